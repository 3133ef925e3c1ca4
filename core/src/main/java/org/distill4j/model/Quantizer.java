package org.distill4j.model;

import java.util.SplittableRandom;

/**
 * The bucketed min–max quantiser of Polino, Pascanu &amp; Alistarh 2018 ("Model compression via
 * distillation and quantization", ICLR), on plain float arrays so the training loop, the shipped
 * file and its loader share one implementation, bit for bit.
 *
 * <p>A tensor, flattened in row-major order, is cut into buckets of {@code bucket} consecutive
 * values (the last one possibly shorter). For a bucket with minimum {@code α} and maximum
 * {@code β}, with {@code L = 2^b − 1} levels above the lowest:
 * <pre>
 *   step = (β − α) / L                               (float32)
 *   x    = (v − α) / step ∈ [0, L]                   (float64)
 *   code = round(x)                                  nearest: ⌊x + ½⌋
 *        = ⌊x⌋ + [u &lt; x − ⌊x⌋],  u ~ U[0, 1)       stochastic: E[code] = x (unbiased)
 *   q    = α + code · step                           (float32: one product, one sum)
 * </pre>
 * clamped to {@code [0, L]}. A constant bucket ({@code step = 0}) has every code 0 and {@code q = α}.
 * This is the paper's scaling {@code s(v) = (v − α)/(β − α)} onto {@code [0, 1]} with {@code 2^b}
 * uniform levels, written with the step so that what is stored (α, step, codes) reproduces
 * {@code q} exactly. Codes are packed {@code b} bits each, least significant bit first.
 */
public final class Quantizer {
    private Quantizer() {}

    /** One tensor's quantised form: a code per value, the minimum and step of each bucket. */
    public record Quantized(int bits, int bucket, int[] codes, float[] mins, float[] steps) {
        /** The values the codes stand for: {@code min + code·step} of each value's bucket. */
        public float[] values() {
            float[] out = new float[codes.length];
            for (int i = 0; i < codes.length; i++) {
                int b = i / bucket;
                out[i] = value(mins[b], steps[b], codes[i]);
            }
            return out;
        }
    }

    /** The highest code at {@code bits} bits: {@code 2^bits − 1}. */
    public static int levels(int bits) {
        checkBits(bits);
        return (1 << bits) - 1;
    }

    static void checkBits(int bits) {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("bits: must be in [1, 8] (got " + bits + ")");
        }
    }

    /** The number of buckets {@code n} values make. */
    public static int buckets(int n, int bucket) {
        return (n + bucket - 1) / bucket;
    }

    /** The value a code stands for; the one formula the trainer and the loader both use. */
    public static float value(float min, float step, int code) {
        return min + code * step;
    }

    /**
     * Quantises {@code v} in buckets of {@code bucket} to {@code bits} bits, rounding to the nearest
     * level ({@code random} null) or stochastically with {@code random}'s draws, one per value in order.
     */
    public static Quantized quantize(float[] v, int bits, int bucket, SplittableRandom random) {
        int top = levels(bits);
        if (bucket < 1) {
            throw new IllegalArgumentException("bucket: must be ≥ 1 (got " + bucket + ")");
        }
        int n = v.length;
        int nb = buckets(n, bucket);
        int[] codes = new int[n];
        float[] mins = new float[nb];
        float[] steps = new float[nb];
        for (int b = 0; b < nb; b++) {
            int from = b * bucket;
            int to = Math.min(n, from + bucket);
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int i = from; i < to; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException("cannot quantise a non-finite value (" + v[i] + " at " + i + ")");
                }
                lo = Math.min(lo, v[i]);
                hi = Math.max(hi, v[i]);
            }
            float step = (hi - lo) / top;
            mins[b] = lo;
            steps[b] = step;
            for (int i = from; i < to; i++) {
                int code = 0;
                if (step > 0) {
                    double x = ((double) v[i] - lo) / step;
                    double floor = Math.floor(x);
                    code = (int) (random == null ? Math.floor(x + 0.5) : floor + (random.nextDouble() < x - floor ? 1 : 0));
                    code = Math.max(0, Math.min(top, code));
                }
                codes[i] = code;
            }
        }
        return new Quantized(bits, bucket, codes, mins, steps);
    }

    /** Bytes {@code n} codes of {@code bits} bits take packed. */
    public static int packedBytes(int n, int bits) {
        checkBits(bits);
        return (int) (((long) n * bits + 7) / 8);
    }

    /** Packs codes of {@code bits} bits each, least significant bit first, into {@link #packedBytes} bytes. */
    public static byte[] pack(int[] codes, int bits) {
        int top = levels(bits);
        byte[] out = new byte[packedBytes(codes.length, bits)];
        long bit = 0;
        for (int c : codes) {
            if (c < 0 || c > top) {
                throw new IllegalArgumentException("code " + c + " does not fit " + bits + " bits");
            }
            for (int k = 0; k < bits; k++, bit++) {
                if ((c >>> k & 1) != 0) {
                    out[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
                }
            }
        }
        return out;
    }

    /** The {@code n} codes of {@code bits} bits {@link #pack} wrote. */
    public static int[] unpack(byte[] packed, int n, int bits) {
        if (packed.length != packedBytes(n, bits)) {
            throw new IllegalArgumentException(n + " codes of " + bits + " bits take " + packedBytes(n, bits)
                    + " bytes, not " + packed.length);
        }
        int[] codes = new int[n];
        long bit = 0;
        for (int i = 0; i < n; i++) {
            int c = 0;
            for (int k = 0; k < bits; k++, bit++) {
                c |= (packed[(int) (bit >>> 3)] >>> (bit & 7) & 1) << k;
            }
            codes[i] = c;
        }
        return codes;
    }
}

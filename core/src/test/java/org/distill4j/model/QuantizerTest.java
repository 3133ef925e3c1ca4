package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bucketed min–max quantiser and the b-bit packing, against hand computations. */
class QuantizerTest {
    /**
     * Two buckets of 4 (the second short and constant) at 2 bits (levels 0…3). Bucket 1: min 0,
     * max 0.9, step 0.9/3 = 0.3; x = v/0.3 = 0, 3, 1, 2.1667 → codes 0, 3, 1, 2 → values 0, 0.9,
     * 0.3, 0.6. Bucket 2 is constant: step 0, codes 0, values −1.
     */
    @Test
    void bucketMathMatchesAHandComputation() {
        float[] v = {0f, 0.9f, 0.3f, 0.65f, -1f, -1f};
        Quantizer.Quantized q = Quantizer.quantize(v, 2, 4, null);
        assertArrayEquals(new float[] {0f, -1f}, q.mins());
        assertArrayEquals(new float[] {0.9f / 3, 0f}, q.steps());
        assertArrayEquals(new int[] {0, 3, 1, 2, 0, 0}, q.codes());
        float[] values = q.values();
        double[] byHand = {0, 0.9, 0.3, 0.6, -1, -1};
        for (int i = 0; i < v.length; i++) {
            assertEquals(byHand[i], values[i], 1e-6, "value " + i);
            int b = i / 4;
            assertEquals(q.mins()[b] + q.codes()[i] * q.steps()[b], values[i], "value = min + code·step, in float32");
        }
        assertEquals(2, Quantizer.buckets(6, 4));
        assertEquals(3, Quantizer.levels(2));
        assertEquals(255, Quantizer.levels(8));
    }

    /** Nearest rounding is off by at most half a step; each bucket's minimum survives exactly. */
    @Test
    void nearestRoundTripIsWithinHalfAStep() {
        Random r = new Random(3);
        float[] v = new float[700]; // buckets of 256, 256 and 188
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.1);
        }
        for (int bits : new int[] {2, 4, 8}) {
            Quantizer.Quantized q = Quantizer.quantize(v, bits, 256, null);
            assertEquals(3, q.mins().length);
            float[] back = q.values();
            for (int i = 0; i < v.length; i++) {
                int b = i / 256;
                assertTrue(q.codes()[i] >= 0 && q.codes()[i] <= Quantizer.levels(bits));
                assertTrue(Math.abs(back[i] - v[i]) <= q.steps()[b] / 2 * (1 + 1e-5) + 1e-7,
                        bits + " bits, value " + i + ": " + v[i] + " → " + back[i] + " (step " + q.steps()[b] + ")");
            }
            for (int b = 0; b < 3; b++) {
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = b * 256; i < Math.min(700, b * 256 + 256); i++) {
                    min = Math.min(min, v[i]);
                    max = Math.max(max, v[i]);
                }
                assertEquals(min, q.mins()[b]);
                assertEquals((max - min) / Quantizer.levels(bits), q.steps()[b]);
            }
        }
    }

    /**
     * Stochastic rounding is unbiased: in a bucket with min 0 and max 3 at 2 bits (step 1), 1.3
     * becomes code 1 with probability 0.7 and code 2 with 0.3, so the mean code over many draws is
     * 1.3. The draws come from a fixed seed: the test is deterministic (the bound is > 6σ).
     */
    @Test
    void stochasticRoundingIsUnbiased() {
        float[] v = {0f, 3f, 1.3f};
        SplittableRandom random = new SplittableRandom(7);
        int n = 20000;
        long sum = 0;
        int[] seen = new int[4];
        for (int k = 0; k < n; k++) {
            Quantizer.Quantized q = Quantizer.quantize(v, 2, 256, random);
            assertEquals(0, q.codes()[0]);
            assertEquals(3, q.codes()[1]);
            sum += q.codes()[2];
            seen[q.codes()[2]]++;
        }
        assertEquals(0, seen[0] + seen[3], "only the two neighbouring levels");
        assertEquals(1.3, (double) sum / n, 0.02);
        assertEquals(1, Quantizer.quantize(v, 2, 256, null).codes()[2], "nearest: 1.3 → 1");
        // the same seed gives the same draws
        assertArrayEquals(Quantizer.quantize(v, 2, 256, new SplittableRandom(9)).codes(),
                Quantizer.quantize(v, 2, 256, new SplittableRandom(9)).codes());
    }

    /** Packing, least significant bit first, by hand for 2, 3, 4 and 8 bits; round trips for 1–8. */
    @Test
    void packsAndUnpacksByHand() {
        // 2 bits: 1 | 2<<2 | 3<<4 | 0<<6 = 1 + 8 + 48 = 57
        assertArrayEquals(new byte[] {57}, Quantizer.pack(new int[] {1, 2, 3, 0}, 2));
        // 3 bits: 5 | 6<<3 | 7<<6 = 501 = 0x1F5 → bytes 0xF5, 0x01
        assertArrayEquals(new byte[] {(byte) 0xF5, 0x01}, Quantizer.pack(new int[] {5, 6, 7}, 3));
        // 4 bits: 0xA | 0x3<<4 = 0x3A, then 0xF
        assertArrayEquals(new byte[] {0x3A, 0x0F}, Quantizer.pack(new int[] {0xA, 0x3, 0xF}, 4));
        assertArrayEquals(new byte[] {(byte) 200, 7}, Quantizer.pack(new int[] {200, 7}, 8));
        assertArrayEquals(new int[] {1, 2, 3, 0}, Quantizer.unpack(new byte[] {57}, 4, 2));
        assertArrayEquals(new int[] {5, 6, 7}, Quantizer.unpack(new byte[] {(byte) 0xF5, 0x01}, 3, 3));
        Random r = new Random(5);
        for (int bits = 1; bits <= 8; bits++) {
            for (int n : new int[] {0, 1, 7, 1001}) {
                int[] codes = new int[n];
                for (int i = 0; i < n; i++) {
                    codes[i] = r.nextInt(1 << bits);
                }
                byte[] packed = Quantizer.pack(codes, bits);
                assertEquals((n * bits + 7) / 8, packed.length);
                assertArrayEquals(codes, Quantizer.unpack(packed, n, bits), bits + " bits, " + n + " codes");
            }
        }
    }

    @Test
    void badParametersAreRejectedNamingTheKey() {
        IllegalArgumentException bits = assertThrows(IllegalArgumentException.class,
                () -> new Quantization(9, 256, null, null));
        assertTrue(bits.getMessage().startsWith("bits: must be in [1, 8] (got 9)"), bits.getMessage());
        IllegalArgumentException bucket = assertThrows(IllegalArgumentException.class,
                () -> new Quantization(4, 0, null, null));
        assertTrue(bucket.getMessage().startsWith("bucket: must be in [1, "), bucket.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Quantizer.pack(new int[] {4}, 2), "4 does not fit 2 bits");
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(new float[] {Float.NaN}, 4, 256, null));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.unpack(new byte[2], 3, 2), "wrong length");
        Quantization q = new Quantization(4, 256, null, null);
        assertEquals(Quantization.Rounding.STOCHASTIC, q.rounding());
        assertEquals(Quantization.Scope.WEIGHTS, q.scope());
    }
}

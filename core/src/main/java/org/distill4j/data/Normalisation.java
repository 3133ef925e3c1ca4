package org.distill4j.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How the samples of a {@link DataSources} dataset were normalised, and what their labels
 * mean: everything a trained model needs to be applied to new inputs. It is a plain record
 * of lists, so it serialises to JSON as it is and can be stored next to a model.
 *
 * <p>Each value {@code x} becomes {@code (x - mean[k]) / std[k]}, where {@code k} is the
 * channel ({@link Layout#PER_CHANNEL}, samples of shape {@code [C, H, W]}) or the feature
 * ({@link Layout#PER_FEATURE}, samples of shape {@code [F]}). {@code x} is the value as the
 * source read it: image pixels scaled to [0, 1] (a byte {@code p} is {@code p / 255}), CSV
 * numbers as written. Statistics are those of the training split only; {@code std} is the
 * population standard deviation, with any value below {@link #STD_FLOOR} (a constant feature or
 * channel) replaced by 1, so nothing is divided by zero.
 *
 * @param layout whether statistics are per channel or per feature
 * @param sampleShape shape of one sample, e.g. {@code [3, 32, 32]} or {@code [4]}
 * @param mean one mean per channel or feature
 * @param std one standard deviation per channel or feature, each {@code > 0}
 * @param classNames class names indexed by label ({@code classNames.get(label)})
 */
public record Normalisation(Layout layout, List<Long> sampleShape, List<Double> mean, List<Double> std,
        List<String> classNames) {

    /** Standard deviations below this are treated as 0 (a constant input) and replaced by 1. */
    public static final double STD_FLOOR = 1e-6;

    /** Whether statistics are kept per channel of an image or per feature of a vector. */
    public enum Layout {
        /** One statistic per channel {@code c} of samples shaped {@code [C, H, W]}. */
        PER_CHANNEL,
        /** One statistic per feature {@code f} of samples shaped {@code [F]}. */
        PER_FEATURE
    }

    public Normalisation {
        Objects.requireNonNull(layout, "layout");
        sampleShape = List.copyOf(sampleShape);
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        classNames = List.copyOf(classNames);
        long groups = layout == Layout.PER_CHANNEL ? (sampleShape.size() == 3 ? sampleShape.get(0) : -1)
                : (sampleShape.size() == 1 ? sampleShape.get(0) : -1);
        if (groups < 1 || mean.size() != groups || std.size() != groups) {
            throw new IllegalArgumentException("normalisation " + layout + " for sample shape " + sampleShape
                    + " needs " + (groups < 1 ? "a [C, H, W] or [F] shape" : groups + " means and stds")
                    + ", got " + mean.size() + " and " + std.size());
        }
        for (double s : std) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("normalisation: every std must be finite and > 0, got " + std);
            }
        }
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException("normalisation: classNames must not be empty");
        }
    }

    /** No normalisation: mean 0 and std 1 for every feature of {@code [F]} samples (token ids of a text source). */
    static Normalisation identity(long[] sampleShape, List<String> classNames) {
        int f = Math.toIntExact(sampleShape[0]);
        return new Normalisation(Layout.PER_FEATURE, Arrays.stream(sampleShape).boxed().toList(),
                java.util.Collections.nCopies(f, 0.0), java.util.Collections.nCopies(f, 1.0), classNames);
    }

    /** @return number of classes (the size of {@link #classNames()}) */
    public int numClasses() {
        return classNames.size();
    }

    /** @return number of values in one sample (the product of {@link #sampleShape()}) */
    public int featureSize() {
        long size = 1;
        for (long d : sampleShape) {
            size = Math.multiplyExact(size, d);
        }
        return Math.toIntExact(size);
    }

    /**
     * Normalises one or more samples, e.g. new inputs for a trained model.
     *
     * @param values values as the source reads them (pixels in [0, 1], CSV numbers), a whole
     *     number of samples one after another
     * @return a new array of normalised values
     * @throws IllegalArgumentException if the length is not a multiple of {@link #featureSize()}
     */
    public float[] apply(float[] values) {
        float[] out = values.clone();
        applyInPlace(out);
        return out;
    }

    /**
     * The raw values {@link #apply} maps to {@code normalised}, up to float rounding:
     * {@code x · std[k] + mean[k]} (e.g. raw test inputs recovered from a normalised dataset).
     */
    public float[] invert(float[] normalised) {
        int size = checkedSize(normalised);
        int groups = mean.size();
        int run = size / groups;
        float[] out = normalised.clone();
        for (int base = 0; base < out.length; base += size) {
            for (int g = 0; g < groups; g++) {
                float m = mean.get(g).floatValue();
                float s = std.get(g).floatValue();
                for (int i = base + g * run; i < base + (g + 1) * run; i++) {
                    out[i] = out[i] * s + m;
                }
            }
        }
        return out;
    }

    private int checkedSize(float[] values) {
        int size = featureSize();
        if (values.length % size != 0) {
            throw new IllegalArgumentException("normalisation: " + values.length
                    + " values are not a whole number of samples of shape " + sampleShape);
        }
        return size;
    }

    /** As {@link #apply(float[])}, overwriting {@code values}. */
    void applyInPlace(float[] values) {
        int size = checkedSize(values);
        int groups = mean.size();
        int run = size / groups; // values in a row sharing one statistic: H*W per channel, 1 per feature
        float[] m = new float[groups];
        float[] inv = new float[groups];
        for (int g = 0; g < groups; g++) {
            m[g] = mean.get(g).floatValue();
            inv[g] = (float) (1.0 / std.get(g));
        }
        for (int base = 0; base < values.length; base += size) {
            for (int g = 0; g < groups; g++) {
                int from = base + g * run;
                for (int i = from; i < from + run; i++) {
                    values[i] = (values[i] - m[g]) * inv[g];
                }
            }
        }
    }

    /**
     * Computes the statistics of the samples at {@code positions} of {@code values}.
     *
     * @param values raw values of all samples, one after another
     * @param positions the training samples, the only ones the statistics are taken from
     */
    static Normalisation compute(Layout layout, long[] sampleShape, float[] values, int[] positions,
            List<String> classNames) {
        int size = 1;
        for (long d : sampleShape) {
            size = Math.multiplyExact(size, (int) d);
        }
        int groups = layout == Layout.PER_CHANNEL ? (int) sampleShape[0] : size;
        int run = size / groups;
        double[] sum = new double[groups];
        for (int p : positions) {
            int base = p * size;
            for (int g = 0; g < groups; g++) {
                double s = 0;
                for (int i = base + g * run, end = i + run; i < end; i++) {
                    s += values[i];
                }
                sum[g] += s;
            }
        }
        double count = (double) positions.length * run;
        Double[] mean = new Double[groups];
        for (int g = 0; g < groups; g++) {
            mean[g] = count == 0 ? 0.0 : sum[g] / count;
        }
        // Second pass over deviations: exact enough in double even where mean >> std.
        double[] squares = new double[groups];
        for (int p : positions) {
            int base = p * size;
            for (int g = 0; g < groups; g++) {
                double mg = mean[g];
                double s = 0;
                for (int i = base + g * run, end = i + run; i < end; i++) {
                    double d = values[i] - mg;
                    s += d * d;
                }
                squares[g] += s;
            }
        }
        Double[] std = new Double[groups];
        for (int g = 0; g < groups; g++) {
            double sd = count == 0 ? 0 : Math.sqrt(squares[g] / count);
            std[g] = sd < STD_FLOOR ? 1.0 : sd;
        }
        return new Normalisation(layout, Arrays.stream(sampleShape).boxed().toList(), Arrays.asList(mean),
                Arrays.asList(std), classNames);
    }
}

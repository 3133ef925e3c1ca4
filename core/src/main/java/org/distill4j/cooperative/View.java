package org.distill4j.cooperative;

import java.util.Arrays;
import java.util.List;

/**
 * How one learner sees an instance: a function from the shared input space (all pixels of an
 * image, all columns of a CSV row) to its own features, and the shape those features have for a
 * network. The counterfactual search moves instances in the shared space; each learner receives
 * a virtual instance through its own view, so views of different widths never exchange rows.
 *
 * <ul>
 *   <li>{@code pixels}: the instance itself (an image keeps its shape);
 *   <li>{@code downsample}: 2×2 average pooling of a {@code [c, h, w]} image, {@code [c, h/2, w/2]};
 *   <li>{@code summary}: 16 summary features of a {@code [1, h, w]} image: mean and standard
 *       deviation of the ink, then the mean of each of 7 horizontal and 7 vertical bands;
 *   <li>{@code columns}: the listed coordinates of the shared space (a CSV column subset).
 * </ul>
 *
 * @param type {@code pixels}, {@code downsample}, {@code summary} or {@code columns}
 * @param columns for {@code columns}: 0-based coordinates of the shared space, distinct
 */
public record View(String type, List<Integer> columns) {
    public static final List<String> TYPES = List.of("pixels", "downsample", "summary", "columns");
    static final int BANDS = 7;

    public View {
        if (type == null || !TYPES.contains(type)) {
            throw new IllegalArgumentException("view: must be one of " + TYPES + " (got " + type + ")");
        }
        if (type.equals("columns")) {
            if (columns == null || columns.isEmpty()) {
                throw new IllegalArgumentException("view.columns: a columns view needs at least one column");
            }
            if (columns.stream().anyMatch(c -> c == null || c < 0) || columns.stream().distinct().count() != columns.size()) {
                throw new IllegalArgumentException("view.columns: must be distinct indices ≥ 0 (got " + columns + ")");
            }
            columns = List.copyOf(columns);
        } else if (columns != null) {
            throw new IllegalArgumentException("view.columns: only a columns view takes columns (view is " + type + ")");
        }
    }

    public static View pixels() {
        return new View("pixels", null);
    }

    public static View columns(Integer... c) {
        return new View("columns", List.of(c));
    }

    /** The shape of one instance in this view, given the shared space's sample shape; checks they fit. */
    public long[] shape(long[] shared) {
        int size = 1;
        for (long s : shared) {
            size *= (int) s;
        }
        return switch (type) {
            case "pixels" -> shared.clone();
            case "downsample" -> {
                requireImage(shared);
                yield new long[] {shared[0], shared[1] / 2, shared[2] / 2};
            }
            case "summary" -> {
                requireImage(shared);
                if (shared[0] != 1 || shared[1] < BANDS || shared[2] < BANDS) {
                    throw new IllegalArgumentException("view summary: needs a one-channel image of at least " + BANDS
                            + "×" + BANDS + " (instances are " + Arrays.toString(shared) + ")");
                }
                yield new long[] {2 + 2 * BANDS};
            }
            default -> {
                int max = columns.stream().mapToInt(Integer::intValue).max().orElseThrow();
                if (max >= size) {
                    throw new IllegalArgumentException("view.columns: column " + max + " is out of range (instances have "
                            + size + " features)");
                }
                yield new long[] {columns.size()};
            }
        };
    }

    private void requireImage(long[] shared) {
        if (shared.length != 3 || shared[1] < 2 || shared[2] < 2) {
            throw new IllegalArgumentException("view " + type + ": needs images [c, h, w] (instances are "
                    + Arrays.toString(shared) + ")");
        }
    }

    /** This view of one instance of the shared space ({@code shared}: its sample shape). */
    public float[] apply(float[] x, long[] shared) {
        return switch (type) {
            case "pixels" -> x.clone();
            case "downsample" -> downsample(x, (int) shared[0], (int) shared[1], (int) shared[2]);
            case "summary" -> summary(x, (int) shared[1], (int) shared[2]);
            default -> {
                float[] out = new float[columns.size()];
                for (int k = 0; k < out.length; k++) {
                    out[k] = x[columns.get(k)];
                }
                yield out;
            }
        };
    }

    /** This view of every row. */
    public float[][] apply(float[][] rows, long[] shared) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = apply(rows[i], shared);
        }
        return out;
    }

    private static float[] downsample(float[] x, int c, int h, int w) {
        int h2 = h / 2;
        int w2 = w / 2;
        float[] out = new float[c * h2 * w2];
        for (int ch = 0; ch < c; ch++) {
            for (int r = 0; r < h2; r++) {
                for (int q = 0; q < w2; q++) {
                    int base = ch * h * w + 2 * r * w + 2 * q;
                    out[ch * h2 * w2 + r * w2 + q] = (x[base] + x[base + 1] + x[base + w] + x[base + w + 1]) / 4f;
                }
            }
        }
        return out;
    }

    private static float[] summary(float[] x, int h, int w) {
        float[] out = new float[2 + 2 * BANDS];
        double sum = 0;
        double sq = 0;
        for (float v : x) {
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / x.length;
        out[0] = (float) mean;
        out[1] = (float) Math.sqrt(Math.max(0, sq / x.length - mean * mean));
        for (int b = 0; b < BANDS; b++) {
            int r0 = b * h / BANDS;
            int r1 = (b + 1) * h / BANDS;
            int c0 = b * w / BANDS;
            int c1 = (b + 1) * w / BANDS;
            double rows = 0;
            double cols = 0;
            for (int r = 0; r < h; r++) {
                for (int q = 0; q < w; q++) {
                    float v = x[r * w + q];
                    if (r >= r0 && r < r1) {
                        rows += v;
                    }
                    if (q >= c0 && q < c1) {
                        cols += v;
                    }
                }
            }
            out[2 + b] = (float) (rows / ((r1 - r0) * w));
            out[2 + BANDS + b] = (float) (cols / ((c1 - c0) * h));
        }
        return out;
    }
}

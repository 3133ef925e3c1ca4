package org.distill4j.testing;

/**
 * Softmax, cross-entropy and KL in plain Java doubles, row by row: the independent side of the
 * online-distillation tests (no engine involved).
 */
public final class HandMath {
    private HandMath() {}

    public static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double[] p = new double[z.length];
        double sum = 0;
        for (int c = 0; c < z.length; c++) {
            p[c] = Math.exp(z[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < z.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /** {@code Σ_i a_i·b_i}. */
    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Row {@code i} of a row-major (rows × classes) array. */
    public static double[] row(double[] m, int i, int classes) {
        return java.util.Arrays.copyOfRange(m, i * classes, (i + 1) * classes);
    }

    /** {@code −mean_i log softmax(z_i)[y_i]}. */
    public static double crossEntropy(double[] logits, int[] labels, int classes) {
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            sum -= Math.log(softmax(row(logits, i, classes))[labels[i]]);
        }
        return sum / labels.length;
    }

    /** {@code KL(p ‖ q)} summed over classes, averaged over rows; p and q given as probabilities. */
    public static double kl(double[][] p, double[][] q) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            for (int c = 0; c < p[i].length; c++) {
                sum += p[i][c] * Math.log(p[i][c] / q[i][c]);
            }
        }
        return sum / p.length;
    }

    /** Softmax of every row. */
    public static double[][] probabilities(double[] logits, int classes) {
        double[][] p = new double[logits.length / classes][];
        for (int i = 0; i < p.length; i++) {
            p[i] = softmax(row(logits, i, classes));
        }
        return p;
    }
}

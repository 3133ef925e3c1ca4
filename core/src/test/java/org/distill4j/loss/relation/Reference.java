package org.distill4j.loss.relation;

/**
 * Independent re-computations of the relation losses' pieces with plain double loops, written from
 * the papers' formulas (not from the NDArray code), for the hand-computation tests.
 */
final class Reference {
    private Reference() {}

    /** Rows of {@code flat} as B vectors of {@code flat.length / b} values. */
    static double[][] rows(double[] flat, int b) {
        int d = flat.length / b;
        double[][] out = new double[b][d];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
        }
        return out;
    }

    static double dot(double[] a, double[] b) {
        return org.distill4j.testing.HandMath.dot(a, b);
    }

    static double[] unit(double[] a) {
        double n = Math.max(Math.sqrt(dot(a, a)), 1e-12);
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] / n;
        }
        return out;
    }

    static double[] minus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    /** Cross-entropy with hard labels, batch mean. */
    static double crossEntropy(double[][] logits, int[] labels) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double z : logits[i]) {
                max = Math.max(max, z);
            }
            double lse = 0;
            for (double z : logits[i]) {
                lse += Math.exp(z - max);
            }
            sum += -(logits[i][labels[i]] - max - Math.log(lse));
        }
        return sum / logits.length;
    }

    /** ‖f_i − f_j‖ (or its square) from the differences, diagonal exactly 0. */
    static double[][] distances(double[][] f, boolean squared) {
        int b = f.length;
        double[][] d = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (i != j) {
                    double[] e = minus(f[i], f[j]);
                    d[i][j] = squared ? dot(e, e) : Math.sqrt(dot(e, e));
                }
            }
        }
        return d;
    }

    static double huber(double x) {
        double a = Math.abs(x);
        return a < 1 ? 0.5 * a * a : a - 0.5;
    }
}

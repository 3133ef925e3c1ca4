package org.distill4j.loss.relation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

/** The supervised contrastive loss against loops over its formula, and its gradient. */
class SupConLossTest {
    // B = 5 rows of 3 values; class 2 has a single sample: that anchor is left out.
    static final double[] X = {0.5, -1.0, 2.0, 1.5, 0.2, -0.7, -0.4, 0.9, 0.6, 1.1, 1.3, -0.2, 0.3, -0.8, 0.4};
    static final Shape SHAPE = new Shape(5, 3);
    static final int[] LABELS = {0, 1, 0, 1, 2};
    static final double TAU = 0.3;

    /** mean over anchors with positives of −(1/|P|)·Σ_p log(exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ)). */
    static double reference(double[] x, int[] labels, double tau) {
        int b = labels.length;
        int d = x.length / b;
        double[][] z = new double[b][d];
        for (int i = 0; i < b; i++) {
            double n = 0;
            for (int c = 0; c < d; c++) {
                n += x[i * d + c] * x[i * d + c];
            }
            for (int c = 0; c < d; c++) {
                z[i][c] = x[i * d + c] / Math.sqrt(n);
            }
        }
        double total = 0;
        int anchors = 0;
        for (int i = 0; i < b; i++) {
            double denominator = 0;
            for (int a = 0; a < b; a++) {
                if (a != i) {
                    denominator += Math.exp(dot(z[i], z[a]) / tau);
                }
            }
            double sum = 0;
            int positives = 0;
            for (int p = 0; p < b; p++) {
                if (p != i && labels[p] == labels[i]) {
                    sum += Math.log(Math.exp(dot(z[i], z[p]) / tau) / denominator);
                    positives++;
                }
            }
            if (positives > 0) {
                total += -sum / positives;
                anchors++;
            }
        }
        return total / anchors;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void valueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            double got = SupConLoss.of(Pairwise.normalize(m.create(X, SHAPE), 1), LABELS, TAU).getDouble();
            double want = reference(X, LABELS, TAU);
            assertTrue(want > 0.1, "a case with something to learn: " + want);
            assertEquals(want, got, 1e-9);
            // no anchor with a positive: nothing to learn, 0
            assertEquals(0, SupConLoss.of(Pairwise.normalize(m.create(X, SHAPE), 1), new int[] {0, 1, 2, 3, 4}, TAU)
                    .getDouble(), 0);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        GradientCheck.assertGradient(x -> SupConLoss.of(Pairwise.normalize(x, 1), LABELS, TAU), X, SHAPE);
    }
}

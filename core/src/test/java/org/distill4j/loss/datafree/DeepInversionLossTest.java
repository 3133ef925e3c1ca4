package org.distill4j.loss.datafree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Network.BatchNormStatistics;
import org.distill4j.testing.GradientCheck;
import org.distill4j.testing.HandMath;
import org.junit.jupiter.api.Test;

/** DeepInversion's terms against plain-Java sums; gradients against finite differences. */
class DeepInversionLossTest {
    // a batch of 2 one-channel 2×3 images
    static final double[] X = {0.5, -1.0, 2.0, 0.0, 1.5, -0.5, 1.0, 1.0, -2.0, 0.25, 0.5, 3.0};
    static final Shape IMAGES = new Shape(2, 1, 2, 3);

    static double x(int b, int i, int j) {
        return X[b * 6 + i * 3 + j];
    }

    /** R_tv by hand: the Frobenius norms of the four neighbour differences. */
    static double tv() {
        double h = 0;
        double v = 0;
        double d1 = 0;
        double d2 = 0;
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    h += Math.pow(x(b, i, j) - x(b, i, j + 1), 2);
                }
            }
            for (int j = 0; j < 3; j++) {
                v += Math.pow(x(b, 0, j) - x(b, 1, j), 2);
            }
            for (int j = 0; j < 2; j++) {
                d1 += Math.pow(x(b, 1, j) - x(b, 0, j + 1), 2); // x[1:, :-1] − x[:-1, 1:]
                d2 += Math.pow(x(b, 0, j) - x(b, 1, j + 1), 2); // x[:-1, :-1] − x[1:, 1:]
            }
        }
        return Math.sqrt(h) + Math.sqrt(v) + Math.sqrt(d1) + Math.sqrt(d2);
    }

    static double norm(double[] v) {
        double s = 0;
        for (double a : v) {
            s += a * a;
        }
        return Math.sqrt(s);
    }

    // two layers' statistics: batch mean and variance per channel against running ones
    static final double[] MEAN1 = {0.1, -0.2};
    static final double[] VAR1 = {1.5, 0.7};
    static final double[] RMEAN1 = {0.0, 0.3};
    static final double[] RVAR1 = {1.0, 1.0};
    static final double[] MEAN2 = {2.0};
    static final double[] VAR2 = {0.2};
    static final double[] RMEAN2 = {1.0};
    static final double[] RVAR2 = {0.5};

    static double feature() {
        return norm(new double[] {0.1, -0.5}) + norm(new double[] {0.5, -0.3}) + 1.0 + 0.3;
    }

    static List<BatchNormStatistics> statistics(NDManager m, NDArray mean1) {
        return List.of(new BatchNormStatistics(mean1, m.create(VAR1), m.create(RMEAN1), m.create(RVAR1)),
                new BatchNormStatistics(m.create(MEAN2), m.create(VAR2), m.create(RMEAN2), m.create(RVAR2)));
    }

    @Test
    void termsMatchHandComputation() {
        double[] logits = {2.0, 1.0, 0.0, 0.0, 0.5, 2.5};
        int[] targets = {1, 2};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X, IMAGES);
            assertEquals(tv(), DeepInversionLoss.totalVariation(x).getDouble(), 1e-12);
            assertEquals(feature(), DeepInversionLoss.featureStatistics(statistics(m, m.create(MEAN1))).getDouble(),
                    1e-12);
            LossValue v = new DeepInversionLoss(10, 0.01, 0.5).compute(m.create(logits, new Shape(2, 3)),
                    m.create(targets), statistics(m, m.create(MEAN1)), x);
            assertEquals(List.of("ce", "feature", "tv", "l2"), List.copyOf(v.terms().keySet()));
            double ce = HandMath.crossEntropy(logits, targets, 3);
            // the weights are float32 constants (0.01f): 1e-8 relative
            assertEquals(ce + 10 * feature() + 0.01 * tv() + 0.5 * norm(X), v.total().getDouble(), 1e-7);
            assertEquals(10 * feature(), v.terms().get("feature").getDouble(), 1e-12);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            GradientCheck.assertGradient(DeepInversionLoss::totalVariation, X, IMAGES);
            GradientCheck.assertGradient(NDArray::norm, X, IMAGES);
            GradientCheck.assertGradient(mean -> DeepInversionLoss.featureStatistics(statistics(m, mean)), MEAN1,
                    new Shape(2));
            GradientCheck.assertGradient(var -> DeepInversionLoss.featureStatistics(List.of(new BatchNormStatistics(
                    m.create(MEAN1), var, m.create(RMEAN1), m.create(RVAR1)))), VAR1, new Shape(2));
        }
    }

    @Test
    void aTeacherWithoutBatchNormHasNothingToMatch() {
        assertThrows(IllegalArgumentException.class, () -> DeepInversionLoss.featureStatistics(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new DeepInversionLoss(10, -1, 0));
    }
}

package org.distill4j.loss.adversarial;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

/** The least-squares adversarial losses against plain-Java sums; gradients against finite differences. */
class LeastSquaresGanTest {
    static final double[] REAL = {0.9, 0.2, 1.4};
    static final double[] FAKE = {-0.5, 0.3};

    @Test
    void lossesMatchHandComputation() {
        double d = ((1 - 0.9) * (1 - 0.9) + (1 - 0.2) * (1 - 0.2) + (1 - 1.4) * (1 - 1.4)) / 3
                + (0.25 + 0.09) / 2;
        double g = ((1 + 0.5) * (1 + 0.5) + (1 - 0.3) * (1 - 0.3)) / 2;
        try (NDManager m = NDManager.newBaseManager()) {
            var real = m.create(REAL, new Shape(3, 1));
            var fake = m.create(FAKE, new Shape(2, 1));
            assertEquals(d, LeastSquaresGan.discriminator(real, fake).getDouble(), 1e-12);
            assertEquals(g, LeastSquaresGan.fool(fake).getDouble(), 1e-12);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            var real = m.create(REAL, new Shape(3, 1));
            var fake = m.create(FAKE, new Shape(2, 1));
            GradientCheck.assertGradient(r -> LeastSquaresGan.discriminator(r, fake), REAL, new Shape(3, 1));
            GradientCheck.assertGradient(f -> LeastSquaresGan.discriminator(real, f), FAKE, new Shape(2, 1));
            GradientCheck.assertGradient(LeastSquaresGan::fool, FAKE, new Shape(2, 1));
        }
    }
}

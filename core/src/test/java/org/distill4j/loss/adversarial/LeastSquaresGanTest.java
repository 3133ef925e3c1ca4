package org.distill4j.loss.adversarial;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.scheme.DiscriminatorSpec.Score;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

/**
 * The least-squares adversarial losses against plain-Java sums, on raw scores and on σ of them
 * ({@code afd}'s default score); gradients against finite differences.
 */
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

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void sigmoidScoredLossesMatchHandComputation() {
        // σ(0.9) = 0.710950, σ(0.2) = 0.549834, σ(1.4) = 0.802184; σ(−0.5) = 0.377541, σ(0.3) = 0.574443
        double d = (Math.pow(1 - 0.7109495, 2) + Math.pow(1 - 0.5498340, 2) + Math.pow(1 - 0.8021839, 2)) / 3
                + (Math.pow(0.3775407, 2) + Math.pow(0.5744425, 2)) / 2;
        double g = (Math.pow(1 - 0.3775407, 2) + Math.pow(1 - 0.5744425, 2)) / 2;
        assertEquals(0.7109495, sigmoid(0.9), 1e-7);
        assertEquals(0.5744425, sigmoid(0.3), 1e-7);
        try (NDManager m = NDManager.newBaseManager()) {
            var real = m.create(REAL, new Shape(3, 1));
            var fake = m.create(FAKE, new Shape(2, 1));
            assertEquals(d, LeastSquaresGan.discriminator(Score.SIGMOID.apply(real), Score.SIGMOID.apply(fake))
                    .getDouble(), 1e-6);
            assertEquals(g, LeastSquaresGan.fool(Score.SIGMOID.apply(fake)).getDouble(), 1e-6);
            // a constant score of 0.5 (raw 0) is the constant guess: 0.25 + 0.25
            var zeros = m.zeros(new Shape(4, 1), ai.djl.ndarray.types.DataType.FLOAT64);
            assertEquals(0.5, LeastSquaresGan.discriminator(Score.SIGMOID.apply(zeros), Score.SIGMOID.apply(zeros))
                    .getDouble(), 1e-12);
            // the linear score leaves the raw values as they are
            assertEquals(LeastSquaresGan.discriminator(real, fake).getDouble(),
                    LeastSquaresGan.discriminator(Score.LINEAR.apply(real), Score.LINEAR.apply(fake)).getDouble());
        }
    }

    @Test
    void sigmoidScoredGradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            var real = m.create(REAL, new Shape(3, 1));
            var fake = m.create(FAKE, new Shape(2, 1));
            GradientCheck.assertGradient(r -> LeastSquaresGan.discriminator(Score.SIGMOID.apply(r),
                    Score.SIGMOID.apply(fake)), REAL, new Shape(3, 1));
            GradientCheck.assertGradient(f -> LeastSquaresGan.discriminator(Score.SIGMOID.apply(real),
                    Score.SIGMOID.apply(f)), FAKE, new Shape(2, 1));
            GradientCheck.assertGradient(f -> LeastSquaresGan.fool(Score.SIGMOID.apply(f)), FAKE, new Shape(2, 1));
        }
    }
}

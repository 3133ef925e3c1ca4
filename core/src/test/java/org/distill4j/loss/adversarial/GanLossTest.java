package org.distill4j.loss.adversarial;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

/** The GAN value and the fooling losses against plain-Java sums; gradients against finite differences. */
class GanLossTest {
    // raw discriminator scores: three real (teacher) samples, two fake (student) ones, one a large score
    static final double[] REAL = {1.5, -0.3, 0.2};
    static final double[] FAKE = {-2.0, 40.0};

    static double sigmoid(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    static double mean(double[] v, java.util.function.DoubleUnaryOperator f) {
        double s = 0;
        for (double x : v) {
            s += f.applyAsDouble(x);
        }
        return s / v.length;
    }

    @Test
    void valueAndFoolingLossesMatchHandComputation() {
        // V = mean log σ(d_r) + mean log(1 − σ(d_f)); log(1 − σ(40)) = −40 − log(1 + e^−40), written out
        double v = mean(REAL, a -> Math.log(sigmoid(a))) + (Math.log(1 - sigmoid(-2.0)) + (-40 - Math.log1p(Math.exp(-40)))) / 2;
        double nonSaturating = mean(FAKE, a -> -Math.log(sigmoid(a)));
        double minimax = (Math.log(1 - sigmoid(-2.0)) + (-40 - Math.log1p(Math.exp(-40)))) / 2;
        try (NDManager m = NDManager.newBaseManager()) {
            var real = m.create(REAL, new Shape(3, 1));
            var fake = m.create(FAKE, new Shape(2, 1));
            assertEquals(v, GanLoss.value(real, fake).getDouble(), 1e-12);
            assertEquals(nonSaturating, GanLoss.fool(fake, GanLoss.Form.NON_SATURATING).getDouble(), 1e-12);
            assertEquals(minimax, GanLoss.fool(fake, GanLoss.Form.MINIMAX).getDouble(), 1e-12);
            // the zero-sum form is V's own fake half: the discriminator's gain is the student's loss
            assertEquals(GanLoss.value(real, fake).getDouble() - mean(REAL, a -> Math.log(sigmoid(a))),
                    GanLoss.fool(fake, GanLoss.Form.MINIMAX).getDouble(), 1e-12);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            var fake = m.create(new double[] {-2.0, 0.7}, new Shape(2, 1));
            var real = m.create(REAL, new Shape(3, 1));
            GradientCheck.assertGradient(r -> GanLoss.value(r, fake), REAL, new Shape(3, 1));
            GradientCheck.assertGradient(f -> GanLoss.value(real, f), new double[] {-2.0, 0.7}, new Shape(2, 1));
            for (GanLoss.Form form : GanLoss.Form.values()) {
                GradientCheck.assertGradient(f -> GanLoss.fool(f, form), new double[] {-2.0, 0.7}, new Shape(2, 1));
            }
        }
    }
}

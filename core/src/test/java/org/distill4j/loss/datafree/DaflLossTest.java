package org.distill4j.loss.datafree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.distill4j.loss.LossValue;
import org.distill4j.testing.GradientCheck;
import org.distill4j.testing.HandMath;
import org.junit.jupiter.api.Test;

/** DAFL's generator loss term by term against plain-Java sums; gradients against finite differences. */
class DaflLossTest {
    // teacher logits of 3 generated images over 3 classes (argmax 0, 2, 1) and their 4 features
    static final double[] Z = {2.0, 1.0, 0.0, 0.0, 0.5, 2.5, -1.0, 1.2, 0.3};
    static final double[] F = {0.5, -1.5, 2.0, 0.1, -0.3, 0.0, 1.0, 4.0, -2.0, 0.25, 0.75, -0.5};
    static final Shape LOGITS = new Shape(3, 3);
    static final Shape FEATURES = new Shape(3, 4);

    static double oneHot() {
        return HandMath.crossEntropy(Z, new int[] {0, 2, 1}, 3);
    }

    static double activation() {
        double s = 0;
        for (double f : F) {
            s += Math.abs(f);
        }
        return -s / F.length;
    }

    static double negativeEntropy(double base) {
        double[][] p = HandMath.probabilities(Z, 3);
        double s = 0;
        for (int c = 0; c < 3; c++) {
            double mean = (p[0][c] + p[1][c] + p[2][c]) / 3;
            s += mean * Math.log(mean) / Math.log(base);
        }
        return s;
    }

    @Test
    void termsMatchHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            var z = m.create(Z, LOGITS);
            var f = m.create(F, FEATURES);
            assertEquals(oneHot(), DaflLoss.oneHot(z).getDouble(), 1e-12);
            assertEquals(activation(), DaflLoss.activation(f).getDouble(), 1e-12);
            // ln 10 and the weights are float32 constants: 1e-7 relative
            assertEquals(negativeEntropy(10), DaflLoss.negativeEntropy(z, 10).getDouble(), 1e-7);
            assertEquals(negativeEntropy(Math.E), DaflLoss.negativeEntropy(z, Math.E).getDouble(), 1e-12);
            // the paper's weights: L_oh + 0.1·L_a + 5·L_ie, each reported weighted, summed in that order
            LossValue v = new DaflLoss(1, 0.1, 5, 10).compute(z, f);
            assertEquals(List.of("oneHot", "activation", "entropy"), List.copyOf(v.terms().keySet()));
            assertEquals(0.1 * activation(), v.terms().get("activation").getDouble(), 1e-7);
            assertEquals(5 * negativeEntropy(10), v.terms().get("entropy").getDouble(), 1e-7);
            assertEquals(oneHot() + 0.1 * activation() + 5 * negativeEntropy(10), v.total().getDouble(), 1e-7);
        }
    }

    @Test
    void aBalancedBatchHasTheLowestEntropyTerm() {
        // log10 base: the most negative L_ie, −log10(C), for a batch whose mean prediction is uniform
        try (NDManager m = NDManager.newBaseManager()) {
            var balanced = m.create(new double[] {30, 0, 0, 0, 30, 0, 0, 0, 30}, LOGITS);
            var collapsed = m.create(new double[] {30, 0, 0, 30, 0, 0, 30, 0, 0}, LOGITS);
            assertEquals(-Math.log10(3), DaflLoss.negativeEntropy(balanced, 10).getDouble(), 1e-6);
            assertEquals(0, DaflLoss.negativeEntropy(collapsed, 10).getDouble(), 1e-6);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            var f = m.create(F, FEATURES);
            var z = m.create(Z, LOGITS);
            DaflLoss loss = new DaflLoss(1, 0.1, 5, 10);
            // the argmax is a constant: away from ties it does not move under ±1e-6
            GradientCheck.assertGradient(zz -> loss.compute(zz, f).total(), Z, LOGITS);
            GradientCheck.assertGradient(ff -> loss.compute(z, ff).total(), F, FEATURES);
        }
    }

    @Test
    void badWeightsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new DaflLoss(1, -0.1, 5, 10));
        assertThrows(IllegalArgumentException.class, () -> new DaflLoss(1, 0.1, 5, 1));
    }
}

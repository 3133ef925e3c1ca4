package org.distill4j.loss.datafree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.testing.GradientCheck;
import org.distill4j.testing.HandMath;
import org.junit.jupiter.api.Test;

/** ZSKT's divergence: KL(T‖S) at τ, per element (the code) or per sample; gradients to both sides. */
class BeliefMatchingTest {
    static final double[] ZT = {2.0, 1.0, 0.0, 0.0, 0.5, 2.5};
    static final double[] ZS = {1.0, 2.0, 0.5, 0.2, -1.0, 3.0};
    static final Shape SHAPE = new Shape(2, 3);

    static double[] scaled(double[] z, double t) {
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] / t;
        }
        return out;
    }

    @Test
    void divergenceMatchesHandComputation() {
        for (double t : new double[] {1, 2.5}) {
            double kl = HandMath.kl(HandMath.probabilities(scaled(ZT, t), 3), HandMath.probabilities(scaled(ZS, t), 3));
            try (NDManager m = NDManager.newBaseManager()) {
                var zt = m.create(ZT, SHAPE);
                var zs = m.create(ZS, SHAPE);
                // 1/τ is a float32 constant: 1e-8 relative
                assertEquals(kl, BeliefMatching.divergence(zt, zs, t, BeliefMatching.Reduction.BATCHMEAN).getDouble(),
                        1e-8);
                assertEquals(kl / 3, BeliefMatching.divergence(zt, zs, t, BeliefMatching.Reduction.ELEMENTWISE)
                        .getDouble(), 1e-8, "the authors' kl_div 'mean': over batch × classes");
            }
        }
    }

    @Test
    void gradientsReachTeacherAndStudent() {
        try (NDManager m = NDManager.newBaseManager()) {
            var zt = m.create(ZT, SHAPE);
            var zs = m.create(ZS, SHAPE);
            for (BeliefMatching.Reduction r : BeliefMatching.Reduction.values()) {
                GradientCheck.assertGradient(s -> BeliefMatching.divergence(zt, s, 1.5, r), ZS, SHAPE);
                // the generator's ascent needs the gradient through the teacher's logits too
                GradientCheck.assertGradient(t -> BeliefMatching.divergence(t, zs, 1.5, r), ZT, SHAPE);
            }
        }
    }
}

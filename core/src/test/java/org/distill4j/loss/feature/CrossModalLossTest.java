package org.distill4j.loss.feature;

import static org.distill4j.loss.feature.Fixtures.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.WeightedSum;
import org.distill4j.testing.GradientCheck;
import org.distill4j.testing.HandMath;
import org.junit.jupiter.api.Test;

/** Cross-modal supervision transfer's loss on a tiny case: embeddings 4 → 2 through a linear regressor, 10 classes. */
class CrossModalLossTest {
    static final double[] V = Fixtures.values(4, 2 * 4, 0);
    static final double[] T = Fixtures.values(5, 2 * 2, 0);
    static final double[] ZS = Fixtures.values(6, 2 * 10, 0);
    static final double[] ZT = Fixtures.values(7, 2 * 10, 0.5);

    /** A batch of the other modality without labels: what the transfer sees. */
    static Batch unlabelled(NDManager m) {
        return new Batch(m.zeros(new Shape(2, 1)), null, new int[] {0, 1}, null);
    }

    static CrossModalLoss bound(Adapters a, double beta, double soft, double temperature) {
        CrossModalLoss loss = new CrossModalLoss("embedding", "embedding", 1, beta, soft, temperature);
        Fixtures.bind(loss, Fixtures.shapes("student", "embedding", new Shape(4)),
                Fixtures.shapes("teacher", "embedding", new Shape(2)), a);
        Fixtures.find(a, "bias", 0).getArray().set(new float[] {0.3f, -0.2f});
        return loss;
    }

    @Test
    void valueMatchesHandComputationWithoutAnyLabel() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            CrossModalLoss loss = bound(a, 2.0, 0.5, 4.0);
            LossValue v = new WeightedSum(0, loss).compute(
                    Fixtures.outputs(f32(m, ZS, new Shape(2, 10)), "embedding", f32(m, V, new Shape(2, 4))),
                    new Knowledge(Fixtures.outputs(f32(m, ZT, new Shape(2, 10)), "embedding",
                            f32(m, T, new Shape(2, 2)))), unlabelled(m));
            double[] w = Fixtures.parameter(a, "weight", 0); // (2, 4)
            double[] bias = Fixtures.parameter(a, "bias", 0);
            double sq = 0;
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 2; o++) {
                    double r = bias[o];
                    for (int k = 0; k < 4; k++) {
                        r += w[o * 4 + k] * V[n * 4 + k];
                    }
                    sq += Math.pow(r - T[n * 2 + o], 2);
                }
            }
            double hint = 2.0 * sq / 4;
            double[] zt = ZT.clone();
            double[] zs = ZS.clone();
            for (int i = 0; i < zt.length; i++) {
                zt[i] /= 4;
                zs[i] /= 4;
            }
            double soft = 0.5 * 16 * HandMath.kl(HandMath.probabilities(zt, 10), HandMath.probabilities(zs, 10));
            assertEquals(List.of("hint", "soft"), List.copyOf(v.terms().keySet()), "no cross-entropy: no labels");
            assertEquals(hint, Fixtures.scalar(v.terms().get("hint")), 1e-5 * hint);
            assertEquals(soft, Fixtures.scalar(v.terms().get("soft")), 1e-5 * soft);
            assertEquals(hint + soft, Fixtures.scalar(v.total()), 1e-5 * (hint + soft));
            // soft 0: features only, the paper's loss
            LossValue features = bound(new Adapters(m), 2.0, 0, 4.0).compute(
                    Fixtures.outputs(f32(m, ZS, new Shape(2, 10)), "embedding", f32(m, V, new Shape(2, 4))),
                    new Knowledge(Fixtures.outputs(f32(m, ZT, new Shape(2, 10)), "embedding",
                            f32(m, T, new Shape(2, 2)))), unlabelled(m));
            assertEquals(List.of("hint"), List.copyOf(features.terms().keySet()));
        }
    }

    /**
     * Gradient w.r.t. the student's logits and embedding: central differences of a float64
     * reference with the regressor's weights fixed, and compute()'s float32 gradient equal to it.
     */
    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            CrossModalLoss loss = bound(a, 2.0, 0.5, 4.0);
            NDArray w = Fixtures.parameter64(m, a, "weight", 0);
            NDArray b = Fixtures.parameter64(m, a, "bias", 0);
            NDArray t = m.create(T, new Shape(2, 2));
            NDArray zt = m.create(ZT, new Shape(2, 10));
                // w.r.t. the embedding: the hint through the linear regressor
            GradientCheck.assertGradient(x -> FitNetLoss.hint(x.matMul(w.transpose()).add(b), t).mul(2.0), V,
                    new Shape(2, 4));
            Fixtures.assertSameGradient(m, new WeightedSum(0, loss),
                    x -> FitNetLoss.hint(x.matMul(w.transpose()).add(b), t).mul(2.0)
                            .add(org.distill4j.loss.response.KdLoss.klDivergence(m.zeros(new Shape(2, 10),
                                    DataType.FLOAT64), m.zeros(new Shape(2, 10), DataType.FLOAT64), 4.0).mul(8.0)),
                    V, new Shape(2, 4), "embedding", "embedding", t);
            // w.r.t. the logits: γ·T²·KL, checked in float64, then compute()'s float32 gradient equals it
            java.util.function.Function<NDArray, NDArray> soft = z -> org.distill4j.loss.response.KdLoss
                    .klDivergence(zt, z, 4.0).mul(0.5 * 16);
            GradientCheck.assertGradient(soft, ZS, new Shape(2, 10));
            NDArray z64 = m.create(ZS, new Shape(2, 10));
            z64.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(soft.apply(z64));
            }
            NDArray z32 = f32(m, ZS, new Shape(2, 10));
            z32.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(loss.compute(Fixtures.outputs(z32, "embedding", f32(m, V, new Shape(2, 4))),
                        new Knowledge(Fixtures.outputs(f32(m, ZT, new Shape(2, 10)), "embedding",
                                f32(m, T, new Shape(2, 2)))), unlabelled(m)).total());
            }
            double[] expected = z64.getGradient().toDoubleArray();
            double[] actual = z32.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5, "logit gradient " + i);
            }
        }
    }

    @Test
    void badParametersAreRefused() {
        assertEquals("soft: must be finite and ≥ 0 (got -1.0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalLoss("embedding", "embedding", 1, 1, -1, 4)).getMessage());
        assertEquals("temperature: must be > 0 (got 0.0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalLoss("embedding", "embedding", 1, 1, 1, 0)).getMessage());
    }
}

package org.distill4j.loss.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.method.HintonKd;
import org.distill4j.model.Outputs;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class KdLossTest {
    // Student and teacher logits (B=2, C=3), labels [1, 2].
    static final double[] ZS = {1.0, 2.0, 0.5, 0.2, -1.0, 3.0};
    static final double[] ZT = {2.0, 1.0, 0.0, 0.0, 0.5, 2.5};
    static final Shape SHAPE = new Shape(2, 3);

    // Computed by hand (python, math module only) from the formulas of METHODS.md §1:
    // CE = −mean log softmax(z_s)[y]; KL at T=2 batch mean; total = 0.5·CE + 0.5·4·KL.
    static final double CE = 0.27025998087896075;
    static final double KL_T2 = 0.08651314517735359;
    static final double TOTAL = 0.30815628079418755;

    private static LossValue compute(NDManager m, DistillationLoss loss, NDArray zs, double[] zt, Batch b) {
        return loss.compute(Outputs.ofLogits(zs), new Knowledge(Outputs.ofLogits(m.create(zt, SHAPE))), b);
    }

    @Test
    void valueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 2);
            LossValue v = compute(m, new HintonKd(2.0, 0.5).objective(), m.create(ZS, SHAPE), ZT, b);
            assertEquals(TOTAL, v.total().getDouble(), 1e-12);
            assertEquals(0.5 * CE, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals(0.5 * 4 * KL_T2, v.terms().get("kd").getDouble(), 1e-12);
            assertEquals(CE, CrossEntropy.of(m.create(ZS, SHAPE), b.labels()).getDouble(), 1e-12);
            // batch mean, not element mean: dividing by B·C would give a third of this
            assertEquals(KL_T2, KdLoss.klDivergence(m.create(ZT, SHAPE), m.create(ZS, SHAPE), 2.0).getDouble(), 1e-12);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 2);
            DistillationLoss loss = new HintonKd(3.0, 0.7).objective();
            GradientCheck.assertGradient(zs -> compute(m, loss, zs, ZT, b).total(), ZS, SHAPE);
        }
    }

    @Test
    void crossEntropyGradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 2);
            GradientCheck.assertGradient(zs -> CrossEntropy.of(zs, b.labels()), ZS, SHAPE);
        }
    }

    @Test
    void teacherReceivesNoGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 2);
            NDArray zs = m.create(ZS, SHAPE);
            NDArray zt = m.create(ZT, SHAPE);
            zs.setRequiresGradient(true);
            zt.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                LossValue v = new HintonKd(4.0, 0.9).objective().compute(Outputs.ofLogits(zs), new Knowledge(Outputs.ofLogits(zt)), b);
                gc.backward(v.total());
            }
            // stopGradient: the teacher's gradient is never computed (DJL reports zeros)
            for (float g : zt.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()) {
                assertEquals(0.0f, g);
            }
        }
    }

    /**
     * Hinton's T² factor: the soft term's gradient magnitude must not depend on T (for logits
     * small relative to T it tends to (z_s − z_t)/(C·B)), whereas the bare KL's shrinks as 1/T².
     */
    @Test
    void temperatureSquaredKeepsGradientScale() {
        double[] zs = {0.3, -0.1, -0.2, 0.1, 0.2, -0.3};
        double[] zt = {-0.2, 0.4, -0.2, 0.3, -0.1, -0.2};
        double soft10 = softGradNorm(zs, zt, 10, true);
        double soft20 = softGradNorm(zs, zt, 20, true);
        double bare10 = softGradNorm(zs, zt, 10, false);
        double bare20 = softGradNorm(zs, zt, 20, false);
        assertEquals(1.0, soft20 / soft10, 0.01, "with T² the gradient scale is independent of T");
        assertEquals(4.0, bare10 / bare20, 0.05, "without T² it falls as 1/T²");
        // the limit value: ‖(z_s − z_t)‖ / (C·B)
        double limit = 0;
        for (int i = 0; i < zs.length; i++) {
            limit += Math.pow((zs[i] - zt[i]) / (3 * 2), 2);
        }
        assertEquals(Math.sqrt(limit), soft20, 0.01 * Math.sqrt(limit));
    }

    private static double softGradNorm(double[] zsv, double[] ztv, double t, boolean scaled) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray zs = m.create(zsv, SHAPE);
            zs.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray v = scaled
                        ? new HintonKd(t, 1.0).objective().compute(Outputs.ofLogits(zs),
                                new Knowledge(Outputs.ofLogits(m.create(ztv, SHAPE))), Batches.withLabels(m, 0, 0)).total()
                        : KdLoss.klDivergence(m.create(ztv, SHAPE), zs, t);
                gc.backward(v);
            }
            return zs.getGradient().norm().getDouble();
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new KdLoss(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new KdLoss(4, 1.5));
    }
}

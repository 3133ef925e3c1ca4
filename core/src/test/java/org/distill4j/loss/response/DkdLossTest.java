package org.distill4j.loss.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class DkdLossTest {
    // Student and teacher logits (B=2, C=4), labels [1, 3].
    static final double[] ZS = {1.0, 2.0, 0.5, -0.3, 0.2, -1.0, 3.0, 0.7};
    static final double[] ZT = {2.0, 1.0, 0.0, 0.4, 0.0, 0.5, 2.5, 1.5};
    static final Shape SHAPE = new Shape(2, 4);

    // Computed by hand with python3's math module from the definitions (softmax at T=2; TCKD on
    // [p_y, 1−p_y]; NCKD on softmax of the three non-target logits / T; KL summed, batch mean).
    static final double TCKD_T2 = 0.04059412167157093;
    static final double NCKD_T2 = 0.05772583186039812;
    static final double CE = 1.4952357685907756;
    static final double TOTAL = 3.504838874809799; // CE + 4·(1·TCKD + 8·NCKD)

    private static LossValue compute(NDManager m, DistillationLoss loss, NDArray zs, double[] zt, Batch b) {
        return loss.compute(Outputs.ofLogits(zs), new Knowledge(Outputs.ofLogits(m.create(zt, zs.getShape()))), b);
    }

    @Test
    void valueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 3);
            LossValue v = compute(m, new WeightedSum(1, new DkdLoss(1, 8, 2, 0)), m.create(ZS, SHAPE), ZT, b);
            assertEquals(TOTAL, v.total().getDouble(), 1e-12);
            assertEquals(CE, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals(4 * TCKD_T2, v.terms().get("tckd").getDouble(), 1e-12);
            assertEquals(4 * 8 * NCKD_T2, v.terms().get("nckd").getDouble(), 1e-12);
            assertEquals(TCKD_T2, DkdLoss.tckd(m.create(ZT, SHAPE), m.create(ZS, SHAPE), b.labels(), 2).getDouble(), 1e-12);
            assertEquals(NCKD_T2, DkdLoss.nckd(m.create(ZT, SHAPE), m.create(ZS, SHAPE), b.labels(), 2).getDouble(), 1e-12);
        }
    }

    /** Zhao et al. Eq. (7): KD = TCKD + (1 − p_t,y)·NCKD, per sample. An independent identity. */
    @Test
    void decomposesClassicalKd() {
        try (NDManager m = NDManager.newBaseManager()) {
            double[] zs = {0.3, -1.2, 2.2, 0.9, -0.4};
            double[] zt = {1.1, 0.2, 3.0, -0.5, 0.6};
            Shape one = new Shape(1, 5);
            NDArray labels = m.create(new int[] {2});
            double t = 4; // a power of two: 1/T is exact in float, so the identity holds to rounding
            double kd = KdLoss.klDivergence(m.create(zt, one), m.create(zs, one), t).getDouble();
            double tckd = DkdLoss.tckd(m.create(zt, one), m.create(zs, one), labels, t).getDouble();
            double nckd = DkdLoss.nckd(m.create(zt, one), m.create(zs, one), labels, t).getDouble();
            double norm = 0;
            for (double z : zt) {
                norm += Math.exp(z / t);
            }
            double ptTarget = Math.exp(zt[2] / t) / norm;
            assertEquals(kd, tckd + (1 - ptTarget) * nckd, 1e-12);
        }
    }

    @Test
    void confidentLogitsStayFinite() {
        try (NDManager m = NDManager.newBaseManager()) {
            // p_y ≈ 1 − 1e-35 in the teacher: log(1 − p_y) must not become log 0
            double[] zt = {0, 80, 0, 0, 1, 2, 3, 90};
            Batch b = Batches.withLabels(m, 1, 3);
            LossValue v = compute(m, new WeightedSum(1, new DkdLoss(1, 8, 1, 0)), m.create(ZS, SHAPE), zt, b);
            assertTrue(Double.isFinite(v.total().getDouble()) && v.terms().get("tckd").getDouble() > 0);
            NDArray zs32 = m.create(ZS, SHAPE).toType(DataType.FLOAT32, false);
            NDArray zt32 = m.create(zt, SHAPE).toType(DataType.FLOAT32, false);
            float total = new WeightedSum(1, new DkdLoss(1, 8, 1, 0)).compute(Outputs.ofLogits(zs32), new Knowledge(Outputs.ofLogits(zt32)), b)
                    .total().getFloat();
            assertTrue(Float.isFinite(total), "float32: " + total);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 3);
            DkdLoss loss = new DkdLoss(1.5, 6, 3, 0);
            GradientCheck.assertGradient(zs -> compute(m, new WeightedSum(0.7, loss), zs, ZT, b).total(), ZS, SHAPE);
        }
    }

    @Test
    void teacherReceivesNoGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 3);
            NDArray zs = m.create(ZS, SHAPE);
            NDArray zt = m.create(ZT, SHAPE);
            zs.setRequiresGradient(true);
            zt.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(new WeightedSum(1, new DkdLoss(1, 8, 4, 0)).compute(Outputs.ofLogits(zs), new Knowledge(Outputs.ofLogits(zt)), b)
                        .total());
            }
            for (double g : zt.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
                assertEquals(0.0, g);
            }
            assertTrue(zs.getGradient().abs().sum().getDouble() > 0);
        }
    }

    @Test
    void warmupRampsTheKdWeightLinearly() {
        assertEquals(1.0 / 20, DkdLoss.warmupWeight(0, 20), 1e-15);
        assertEquals(10.0 / 20, DkdLoss.warmupWeight(9, 20), 1e-15);
        assertEquals(1.0, DkdLoss.warmupWeight(19, 20), 1e-15);
        assertEquals(1.0, DkdLoss.warmupWeight(50, 20), 1e-15);
        assertEquals(1.0, DkdLoss.warmupWeight(0, 0), 1e-15);
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 3);
            DkdLoss loss = new DkdLoss(1, 8, 2, 20);
            assertEquals(1.0 / 20, loss.kdWeight(), 1e-15, "before the first epoch starts: the first epoch's weight");
            loss.startEpoch(4, 10);
            LossValue v = compute(m, new WeightedSum(1, loss), m.create(ZS, SHAPE), ZT, b);
            assertEquals(CE + 5.0 / 20 * (TOTAL - CE), v.total().getDouble(), 1e-12);
            assertEquals(5.0 / 20 * 4 * TCKD_T2, v.terms().get("tckd").getDouble(), 1e-12);
            loss.startEpoch(9, 10);
            assertEquals(0.5, loss.kdWeight(), 1e-15, "10 epochs with warm-up 20 never reach full weight");
            loss.startEpoch(25, 30);
            assertEquals(TOTAL, compute(m, new WeightedSum(1, loss), m.create(ZS, SHAPE), ZT, b).total().getDouble(), 1e-12);
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new DkdLoss(-1, 8, 4, 20));
        assertThrows(IllegalArgumentException.class, () -> new DkdLoss(1, 8, 0, 20));
        assertThrows(IllegalArgumentException.class, () -> new DkdLoss(1, 8, 4, -1));
        assertThrows(IllegalArgumentException.class, () -> new DkdLoss(1, Double.NaN, 4, 20));
    }
}

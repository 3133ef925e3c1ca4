package org.distill4j.loss.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.distill4j.testing.HandMath;
import org.junit.jupiter.api.Test;

/** LwF's loss on a tiny case: 4 classes as two tasks [0, 1], [2, 3]; B = 2. */
class LwfLossTest {
    static final List<List<Integer>> TASKS = List.of(List.of(0, 1), List.of(2, 3));
    static final double[] ZS = {1.0, -0.5, 2.0, 0.3, 0.2, 1.5, -1.0, 0.7};
    static final double[] ZT = {0.4, 0.1, 9.0, -9.0, -0.6, 2.2, 5.0, 5.0}; // recorded; columns 2, 3 never read
    static final Shape SHAPE = new Shape(2, 4);

    static LossValue compute(NDManager m, LwfLoss loss, NDArray zs, Batch b) {
        return loss.compute(Outputs.ofLogits(zs), new Knowledge(Outputs.ofLogits(m.create(ZT, SHAPE))), b);
    }

    /** Columns {@code cols} of row-major (2 × 4) logits, as a (2 × |cols|) array. */
    static double[] columns(double[] z, int... cols) {
        double[] out = new double[2 * cols.length];
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < cols.length; k++) {
                out[i * cols.length + k] = z[i * 4 + cols[k]];
            }
        }
        return out;
    }

    static double[] divide(double[] z, double t) {
        double[] out = z.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] /= t;
        }
        return out;
    }

    @Test
    void newTaskCrossEntropyOverItsHeadPlusOldHeadsKdMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 2, 3); // task 2's classes
            LossValue v = compute(m, new LwfLoss(TASKS, 1, 0.5, 2.0, false), m.create(ZS, SHAPE), b);
            // by hand: CE over columns 2, 3 with labels as positions in the task (0, 1)
            double ce = HandMath.crossEntropy(columns(ZS, 2, 3), new int[] {0, 1}, 2);
            // KL at T = 2 of the recorded head 1 (columns 0, 1) to the current one, batch mean, no T²
            double kl = HandMath.kl(HandMath.probabilities(divide(columns(ZT, 0, 1), 2), 2),
                    HandMath.probabilities(divide(columns(ZS, 0, 1), 2), 2));
            assertEquals(ce, v.terms().get(LwfLoss.NEW).getDouble(), 1e-12);
            assertEquals(0.5 * kl, v.terms().get(LwfLoss.OLD).getDouble(), 1e-12);
            assertEquals(ce + 0.5 * kl, v.total().getDouble(), 1e-12);
        }
    }

    @Test
    void fineTuningHasNoOldTermAndJointTrainsEachSampleOnItsOwnHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            LwfLoss finetune = new LwfLoss(TASKS, 1, 0, 2.0, false);
            assertFalse(finetune.needsTeacher());
            LossValue f = finetune.compute(Outputs.ofLogits(m.create(ZS, SHAPE)), Knowledge.NONE,
                    Batches.withLabels(m, 2, 3));
            assertEquals(List.of(LwfLoss.NEW), List.copyOf(f.terms().keySet()));
            LwfLoss joint = new LwfLoss(TASKS, 1, 1, 2.0, true);
            assertFalse(joint.needsTeacher());
            LossValue j = joint.compute(Outputs.ofLogits(m.create(ZS, SHAPE)), Knowledge.NONE,
                    Batches.withLabels(m, 1, 2)); // sample 0 of task 1, sample 1 of task 2
            double ce0 = -Math.log(HandMath.softmax(new double[] {ZS[0], ZS[1]})[1]);
            double ce1 = -Math.log(HandMath.softmax(new double[] {ZS[6], ZS[7]})[0]);
            assertEquals((ce0 + ce1) / 2, j.total().getDouble(), 1e-12);
            assertTrue(new LwfLoss(TASKS, 1, 1, 2.0, false).needsTeacher());
            assertFalse(new LwfLoss(TASKS, 0, 1, 2.0, false).needsTeacher(), "task 1 has no old heads");
        }
    }

    @Test
    void aSampleOfAnotherTaskIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            LwfLoss loss = new LwfLoss(TASKS, 1, 1, 2.0, false);
            assertEquals("lwf: sample 0 of class 0 is not in task 2 [2, 3]", assertThrows(
                    IllegalArgumentException.class, () -> compute(m, loss, m.create(ZS, SHAPE),
                            Batches.withLabels(m, 0, 3))).getMessage());
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 2, 3);
            LwfLoss loss = new LwfLoss(TASKS, 1, 0.7, 2.0, false);
            GradientCheck.assertGradient(zs -> compute(m, loss, zs, b).total(), ZS, SHAPE);
            LwfLoss joint = new LwfLoss(TASKS, 1, 0, 2.0, true);
            Batch mixed = Batches.withLabels(m, 1, 2);
            GradientCheck.assertGradient(zs -> compute(m, joint, zs, mixed).total(), ZS, SHAPE);
        }
    }

    @Test
    void badParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LwfLoss(TASKS, 2, 1, 2, false));
        assertThrows(IllegalArgumentException.class, () -> new LwfLoss(TASKS, 1, -1, 2, false));
        assertThrows(IllegalArgumentException.class, () -> new LwfLoss(TASKS, 1, 1, 0, false));
    }
}

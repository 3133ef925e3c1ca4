package org.distill4j.scheme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.junit.jupiter.api.Test;

class SnapshotDistillationTest {
    static final TapShapes SHAPES = new TapShapes("student", Map.of("logits", new Shape(3)));

    @Test
    void theLearningRateRestartsAtEveryCycle() {
        // 6 epochs, 3 cycles of 2 epochs, 2 steps per epoch, cosine from 0.1 to 0:
        // 0.05·(1 + cos(π·t)) at t = 0, 1/4, 1/2, 3/4 of the cycle (python, math module).
        double[] withinCycle = {0.1, 0.08535533905932738, 0.05000000000000001, 0.014644660940672627};
        for (int cycle = 0; cycle < 3; cycle++) {
            for (int i = 0; i < 4; i++) {
                int epoch = 2 * cycle + i / 2;
                assertEquals(withinCycle[i], SnapshotDistillation.rate(0.1, 0.0, epoch, i % 2, 2, 6, 3), 1e-15,
                        "epoch " + epoch + " step " + i % 2);
            }
        }
        // with a floor: 0.01 + 0.09·0.5·(1 + cos(π/2)) = 0.055 half way through cycle 2
        assertEquals(0.055, SnapshotDistillation.rate(0.1, 0.01, 3, 0, 2, 6, 3), 1e-15);
    }

    @Test
    void cyclesSplitTheEpochsNearlyEqually() {
        // 7 epochs in 3 cycles: epochs [0, 2), [2, 4), [4, 7)
        assertEquals(List.of(0, 2, 4, 7), List.of(SnapshotDistillation.cycleStart(1, 7, 3),
                SnapshotDistillation.cycleStart(2, 7, 3), SnapshotDistillation.cycleStart(3, 7, 3),
                SnapshotDistillation.cycleStart(4, 7, 3)));
        int[] cycleOfEpoch = {1, 1, 2, 2, 3, 3, 3};
        for (int e = 0; e < 7; e++) {
            assertEquals(cycleOfEpoch[e], SnapshotDistillation.cycleOf(e, 7, 3), "epoch " + e);
        }
        assertEquals(1, SnapshotDistillation.cycleEndingAt(2, 7, 3));
        assertEquals(2, SnapshotDistillation.cycleEndingAt(4, 7, 3));
        assertEquals(3, SnapshotDistillation.cycleEndingAt(7, 7, 3));
        assertEquals(0, SnapshotDistillation.cycleEndingAt(3, 7, 3));
        // the last cycle's 3 epochs decay over 3 epochs: half way is 1.5 epochs in
        assertEquals(0.05, SnapshotDistillation.rate(0.1, 0, 5, 1, 2, 7, 3), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new SnapshotDistillation(2, 3, 4, 0.5, SHAPES, k -> null));
    }

    /** A stand-in snapshot whose "logits" are the number of the cycle it ended. */
    static KnowledgeSource marker(int cycle) {
        return new KnowledgeSource() {
            @Override
            public Knowledge lookup(Batch batch) {
                return new Knowledge(Outputs.ofLogits(batch.input().getManager().full(new Shape(batch.size(), 3),
                        (float) cycle)));
            }

            @Override
            public TapShapes tapShapes() {
                return SHAPES;
            }
        };
    }

    @Test
    void eachCycleIsTaughtByTheSnapshotThatEndedThePreviousOne() {
        List<Integer> loaded = new ArrayList<>();
        SnapshotDistillation s = new SnapshotDistillation(6, 3, 4, 0.5, SHAPES, k -> {
            loaded.add(k);
            return marker(k);
        });
        float[] teacherAt = new float[6];
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, 0, 1);
            for (int epoch = 0; epoch < 6; epoch++) {
                s.startEpoch(epoch, 6);
                Knowledge k = s.lookup(batch);
                teacherAt[epoch] = k.present() ? k.outputs().logits().getFloat(0, 0) : 0;
                Outputs student = Outputs.ofLogits(m.create(new float[] {1, 2, 3, 3, 2, 1}, new Shape(2, 3)));
                var terms = s.compute(student, k, batch).terms().keySet();
                assertEquals(epoch < 2 ? List.of("ce") : List.of("ce", "kd"), List.copyOf(terms), "epoch " + epoch);
            }
        }
        assertEquals(List.of(1, 2), loaded, "each snapshot loaded once, when its next cycle starts");
        assertEquals(List.of(0f, 0f, 1f, 1f, 2f, 2f), List.of(teacherAt[0], teacherAt[1], teacherAt[2], teacherAt[3],
                teacherAt[4], teacherAt[5]));
        assertTrue(s.needsTeacher());

        // resuming in the middle of cycle 3 loads the snapshot of cycle 2 straight away
        List<Integer> resumed = new ArrayList<>();
        SnapshotDistillation r = new SnapshotDistillation(6, 3, 4, 0.5, SHAPES, k -> {
            resumed.add(k);
            return marker(k);
        });
        r.startEpoch(5, 6);
        assertEquals(List.of(2), resumed);
        assertEquals(3, r.cycle());
        assertFalse(resumed.contains(1));
    }
}

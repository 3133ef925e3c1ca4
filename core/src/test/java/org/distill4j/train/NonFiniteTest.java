package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.testing.SoloTraining;
import org.distill4j.testing.Slice;
import org.junit.jupiter.api.Test;

class NonFiniteTest {
    /** Cross-entropy that turns NaN on chosen calls. */
    static final class PoisonedLoss implements DistillationLoss {
        final List<Integer> poisonedCalls;
        int calls;

        PoisonedLoss(Integer... poisoned) {
            this.poisonedCalls = List.of(poisoned);
        }

        @Override
        public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
            NDArray ce = CrossEntropy.of(student.logits(), batch.labels());
            if (poisonedCalls.contains(++calls)) {
                ce = ce.mul(Float.NaN);
            }
            return LossValue.of("ce", ce);
        }

        @Override
        public boolean needsTeacher() {
            return false;
        }
    }

    static Dataset data() {
        return FashionMnist.load(Slice.dir()).train().head(256);
    }

    @Test
    void stopPolicyNamesTheStepAndTheTerms() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.create(new MlpSpec(List.of(8), null), new long[] {1, 28, 28}, 10, m)) {
            TrainSpec spec = new TrainSpec(1, 64, null, null, null, TrainSpec.NonFinitePolicy.STOP, null);
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> new SoloTraining(m, TrainListener.NONE)
                    .train("p", net, spec, new PoisonedLoss(3), null, data(), data().head(0), 1));
            assertTrue(e.getMessage().contains("epoch 1, batch 3") && e.getMessage().contains("ce=NaN"), e.getMessage());
            assertTrue(e.withLastCheckpoint("runs/x/checkpoints/000002-p.ckpt").getMessage()
                    .endsWith("Last good checkpoint: runs/x/checkpoints/000002-p.ckpt"));
        }
    }

    @Test
    void skipPolicySkipsAndCountsWithoutTouchingWeights() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.create(new MlpSpec(List.of(8), null), new long[] {1, 28, 28}, 10, m)) {
            TrainSpec spec = new TrainSpec(2, 64, null, null, null, TrainSpec.NonFinitePolicy.SKIP_BATCH, null);
            TrainingProgress end = new SoloTraining(m, TrainListener.NONE).train("p", net, spec, new PoisonedLoss(2, 5, 6),
                    null, data(), data().head(0), 1, TrainingProgress.start(), SoloTraining.Restore.NONE, SoloTraining.Saver.NONE);
            assertEquals(3, end.skippedBatches());
            for (var e : end.history()) {
                assertTrue(Double.isFinite(e.trainLoss()), "skipped batches do not enter the means");
            }
        }
    }

    @Test
    void clippingBoundsTheGlobalGradientNorm() {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.create(new MlpSpec(List.of(8), null), new long[] {1, 28, 28}, 10, m);
                Optimizer opt = new OptimizerSpec.Sgd(0.1, null, null).create(net.trainableParameters(), m)) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(net.forward(m.randomNormal(new ai.djl.ndarray.types.Shape(4, 1, 28, 28)), true).logits()
                        .square().sum().mul(100));
            }
            double before = opt.gradientNorm();
            assertTrue(before > 1, "a large gradient: " + before);
            opt.scaleGradients(0.5 / before);
            assertEquals(0.5, opt.gradientNorm(), 1e-4);
            opt.zeroGradients();
            assertEquals(0.0, opt.gradientNorm(), 0.0);
        }
    }

    @Test
    void invalidClippingIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TrainSpec(1, 1, null, null, -1.0, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new TrainSpec(1, 1, null, null, Double.POSITIVE_INFINITY, null, null));
    }
}

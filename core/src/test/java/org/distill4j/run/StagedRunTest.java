package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.distill4j.config.CheckpointSpec;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Batch;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.method.HintonKd;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.SoloTraining;
import org.distill4j.scheme.StagedScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The staged scheme on the committed Fashion-MNIST slice (480 train / 120 validation, 15 steps
 * per epoch at batch 32): hand-over, per-stage loss and schedule, resume.
 */
class StagedRunTest {
    static final long SEED = 5;
    /** Stage 1: KD at a constant rate. */
    static final TrainSpec STAGE1 = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.02, 0.9, 0.0),
            new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null));
    /** Stage 2: labels only, with a rate halved every epoch from 0.01. */
    static final TrainSpec STAGE2 = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0),
            new ScheduleSpec(ScheduleSpec.Type.STEP, null, 1, 0.5, null));

    static RunConfig config(boolean baseline) {
        TrainSpec teacherTrain = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null);
        return new RunConfig("staged", SEED, new DataSpec(0.2, null, null),
                new TeacherSpec(new CnnSpec(List.of(8), 32, true, null), teacherTrain, null),
                new StudentSpec(new MlpSpec(List.of(16), null), null, null, baseline), new CheckpointSpec(5, 2),
                new StagedScheme(List.of(new StagedScheme.Stage(new HintonKd(4.0, 0.9), STAGE1),
                        new StagedScheme.Stage(new NoDistillation(), STAGE2))));
    }

    static List<String> names(RunRecord r) {
        return r.models().stream().map(ModelResult::name).toList();
    }

    @Test
    void stageTwoStartsFromStageOnesWeightsWithItsOwnLossAndSchedule(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        List<String> messages = new ArrayList<>();
        RunRecord r = new Experiment(config(true), data, dir, new TrainListener() {
            @Override
            public void onMessage(String text) {
                messages.add(text);
            }
        }).run();
        assertEquals(List.of("teacher", "student-none", "stage1", "stage2"), names(r));
        ModelResult s1 = r.model("stage1");
        ModelResult s2 = r.model("stage2");

        // The network stage 2 built reports its starting digest: stage 1's final weights.
        assertTrue(messages.contains("stage2: starts from the previous phase's weights (digest "
                + s1.weightsDigest().substring(0, 12) + "…)"), messages.toString());
        assertFalse(messages.stream().anyMatch(m -> m.startsWith("stage1: starts from")), "stage 1 starts fresh");

        // Independently: stage 1's saved network trained by the plain offline loop with stage 2's
        // loss, schedule and batch order ends exactly where the scheme's stage 2 ended.
        Dataset.Split split = data.train().split(0.2, Seeds.derive(SEED, "split"));
        try (NDManager m = NDManager.newBaseManager();
                Network handed = Network.load(dir.resolve("stage1.model"), null, m)) {
            assertEquals(s1.weightsDigest(), handed.weightsDigest());
            new SoloTraining(m, TrainListener.NONE).train("replay", handed, STAGE2, WeightedSum.crossEntropy(), null, split.train(),
                    split.validation(), Seeds.derive(SEED, "student-shuffle"));
            assertEquals(s2.weightsDigest(), handed.weightsDigest(), "stage 2 = stage 1's weights trained further");
            // and the final student is the last stage
            try (Network student = Network.load(dir.resolve("student.model"), null, m)) {
                assertEquals(s2.weightsDigest(), student.weightsDigest());
            }
        }
        assertNotEquals(s1.weightsDigest(), s2.weightsDigest());

        // Each stage records its own loss terms and its own schedule (epochs count from 1 again).
        assertEquals(List.of(1, 2), s1.history().stream().map(EpochSummary::epoch).toList());
        assertEquals(List.of(1, 2), s2.history().stream().map(EpochSummary::epoch).toList());
        for (EpochSummary e : s1.history()) {
            assertEquals(Set.of("ce", "kd"), e.trainTerms().keySet());
            assertEquals(0.02, e.lr(), 1e-12);
        }
        for (EpochSummary e : s2.history()) {
            assertEquals(Set.of("ce"), e.trainTerms().keySet());
        }
        assertEquals(0.01, s2.history().get(0).lr(), 1e-12);  // 0.01 · 0.5^0
        assertEquals(0.005, s2.history().get(1).lr(), 1e-12); // 0.01 · 0.5^1
        assertEquals("kd", s1.method());
        assertEquals("none", s2.method());
        // fidelity to the teacher for every stage
        assertTrue(s1.metrics().agreementTest() != null && s2.metrics().agreementTest() != null);

        var stages = r.schemeResults().path("stages");
        assertEquals("initialisation", stages.get(0).path("startsFrom").asText());
        assertEquals("stage1", stages.get(1).path("startsFrom").asText());
        assertEquals("stage2", r.schemeResults().path("student").asText());
        assertTrue(Files.exists(dir.resolve("stage1.model")) && Files.exists(dir.resolve("stage2.model")));
    }

    /** Throws once training reaches (phase, epoch, batch): an in-process stand-in for a crash. */
    static final class CrashAt implements TrainListener {
        final String phase;
        final int epoch;
        final int batch;
        final List<String> messages = new ArrayList<>();
        String current;

        CrashAt(String phase, int epoch, int batch) {
            this.phase = phase;
            this.epoch = epoch;
            this.batch = batch;
        }

        @Override
        public void onStart(String p, int epochs, int batchesPerEpoch, long stepsDone) {
            current = p;
        }

        @Override
        public void onStep(int e, int b, double loss, double lr) {
            if (phase.equals(current) && e == epoch && b == batch) {
                throw new IllegalStateException("simulated crash in " + phase);
            }
        }

        @Override
        public void onMessage(String text) {
            messages.add(text);
        }
    }

    @Test
    void aResumedRunSkipsFinishedStagesAndEndsWhereAnUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunConfig cfg = config(false);
        RunRecord reference = new Experiment(cfg, data, dir.resolve("a"), TrainListener.NONE).run();

        // Crash in stage 2, epoch 2, batch 8: the last checkpoint is stage 2's at step 20.
        CrashAt crash = new CrashAt("stage2", 1, 7);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Experiment(cfg, data, dir.resolve("b"), crash).run());
        assertTrue(e.getMessage().contains("simulated crash"));
        assertTrue(Files.notExists(dir.resolve("b/record.json")));

        CrashAt watch = new CrashAt("none", -1, -1);
        RunRecord resumed = new Experiment(cfg, data, dir.resolve("b"), watch).run();
        assertTrue(watch.messages.contains("stage1: finished before the interruption, loaded stage1.model"),
                watch.messages.toString());
        assertTrue(watch.messages.stream().anyMatch(m -> m.startsWith("resuming from") && m.contains("stage2")),
                watch.messages.toString());
        assertEquals(names(reference), names(resumed));
        for (ModelResult m : reference.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        assertEquals(reference.schemeResults(), resumed.schemeResults());
    }

    /** A loss with one trainable adapter (a learned scale on cross-entropy), recording what it was bound with. */
    static final class ScaledCe implements DistillationLoss {
        Adapters adapters;
        boolean boundEmpty;
        Parameter scale;

        @Override
        public void bind(Binding binding) {
            adapters = binding.adapters();
            boundEmpty = adapters.isEmpty();
            adapters.tensor("scale", new Shape(1), 1f);
            scale = adapters.trainableParameters().get(0);
        }

        @Override
        public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
            var ce = CrossEntropy.of(student.logits(), batch.labels());
            return LossValue.of("ce", ce.mul(adapters.tensor("scale", ce.getManager())));
        }

        @Override
        public boolean needsTeacher() {
            return false;
        }
    }

    /**
     * The per-stage loop every stage runs (a one-network phase through RunContext, one per stage): a later
     * stage's loss binds to empty adapters, and the earlier stage's adapters are freed when it ends.
     */
    @Test
    void anEarlierStagesAdaptersAreNotCarriedOver() throws Exception {
        Dataset train = FashionMnist.load(Slice.dir()).train().head(128);
        TrainSpec oneEpoch = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
        try (NDManager m = NDManager.newBaseManager();
                Network student = Network.create(new MlpSpec(List.of(8), null), new long[] {1, 28, 28}, 10, m)) {
            int parameters = student.trainableParameters().size();
            ScaledCe first = new ScaledCe();
            ScaledCe second = new ScaledCe();
            SoloTraining offline = new SoloTraining(m, TrainListener.NONE);
            offline.train("stage1", student, oneEpoch, first, null, train, train.head(0), 1);
            assertTrue(first.boundEmpty);
            assertTrue(first.scale.getArray().isReleased(), "stage 1's adapter is freed with its stage");
            offline.train("stage2", student, oneEpoch, second, null, train, train.head(0), 2);
            assertTrue(second.boundEmpty, "stage 2 binds to adapters of its own, empty at first");
            assertEquals(parameters, student.trainableParameters().size(), "no adapter became part of the student");
        }
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.model.MlpSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.SnapshotScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot distillation on the committed Fashion-MNIST slice, with a small MLP: 4 epochs, 2 cycles. */
class SnapshotRunTest {
    static RunConfig config() {
        TrainSpec train = new TrainSpec(4, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
        return new RunConfig("snap", 13L, new DataSpec(0.2, null, 100), null,
                new StudentSpec(new MlpSpec(List.of(16), null), train, null, null), null,
                new SnapshotScheme(2, 4.0, 0.5));
    }

    @Test
    void theSnapshotOfEachCycleTeachesTheNext(@TempDir Path dir) throws Exception {
        RunRecord r = new Experiment(config(), FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("student-none", "student-snapshot", "cycle1"),
                r.models().stream().map(ModelResult::name).toList());
        List<EpochSummary> h = r.model("student-snapshot").history();
        assertEquals(4, h.size());
        assertFalse(h.get(0).trainTerms().containsKey("kd"), "cycle 1 learns from labels");
        assertFalse(h.get(1).trainTerms().containsKey("kd"));
        assertTrue(h.get(2).trainTerms().containsKey("kd"), "cycle 2 learns from the snapshot");
        // the rate decays within a cycle and restarts: the end of epoch 3 is early in cycle 2
        assertTrue(h.get(1).lr() < 0.01 && h.get(2).lr() > 0.02, h.get(1).lr() + " then " + h.get(2).lr());
        // the baseline keeps the configured schedule (one cosine over 4 epochs)
        assertTrue(r.model("student-none").history().get(1).lr() > 0.02);
        // cycle1 is the network after epoch 2, and it is what cycle 2 learned from
        ModelResult cycle1 = r.model("cycle1");
        assertEquals(h.subList(0, 2), cycle1.history());
        assertTrue(Files.exists(dir.resolve("cycle1.model")));
        assertEquals(cycle1.weightsDigest(), SafeTensors.open(dir.resolve("knowledge/cycle1.safetensors")).metadata()
                .get("teacher"));
        assertTrue(!cycle1.weightsDigest().equals(r.model("student-snapshot").weightsDigest()));
        var cycles = r.schemeResults().path("cycles");
        assertEquals(2, cycles.size());
        assertEquals(cycle1.metrics().testAccuracy(), cycles.get(0).path("testAccuracy").asDouble());
        assertEquals("cycle1", cycles.get(1).path("taughtBy").asText());
        assertEquals(r.model("student-snapshot").metrics().testAccuracy(), r.schemeResults().path("finalTestAccuracy")
                .asDouble());
    }

    @Test
    void aRunInterruptedInTheMiddleOfACycleResumesWithItsTeacher(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunRecord whole = new Experiment(config(), data, dir.resolve("a"), TrainListener.NONE).run();
        assertThrows(Interruption.Stop.class, () -> new Experiment(config(), data, dir.resolve("b"),
                new Interruption("student-snapshot", 3)).run());
        RunRecord resumed = new Experiment(config(), data, dir.resolve("b"), TrainListener.NONE).run();
        assertEquals(whole.models().size(), resumed.models().size());
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
    }
}

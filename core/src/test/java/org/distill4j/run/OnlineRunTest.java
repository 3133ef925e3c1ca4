package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.CheckpointSpec;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.loss.response.PeerLoss;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.CodistillationScheme;
import org.distill4j.scheme.DmlScheme;
import org.distill4j.scheme.SchemeSpec;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Online schemes end to end on the committed Fashion-MNIST slice (480 train / 120 val / 200 test). */
class OnlineRunTest {
    static final List<ModelSpec> MIXED = List.of(new CnnSpec(List.of(4), 16, true, null), new MlpSpec(List.of(16), null));
    static final List<ModelSpec> MLPS = List.of(new MlpSpec(List.of(16), null), new MlpSpec(List.of(8), null));

    // momentum and weight decay: the optimizers' state must survive a resume too
    static final TrainSpec TWO_EPOCHS = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 5e-4), null);

    static RunConfig config(SchemeSpec scheme, int everySteps) {
        return new RunConfig("online", 3L, new DataSpec(0.2, null, null), null,
                new StudentSpec(null, TWO_EPOCHS, null, true), new CheckpointSpec(everySteps, 2), scheme);
    }

    static FashionMnist.Splits data() {
        return FashionMnist.load(Slice.dir());
    }

    /**
     * dml with a CNN and an MLP peer: every peer, its alone baseline and the churn are recorded;
     * and a run crashed at step 8 of the joint phase, resumed from the step-5 checkpoint of both
     * peers (weights, batch-norm statistics, momentum), ends identical.
     */
    @Test
    void dmlRecordsPeersBaselinesAndChurnAndResumesMidPhase(@TempDir Path dir) throws Exception {
        RunRecord r = assertResumeMatches(config(new DmlScheme(MIXED, null), 5), dir, "dml", 8);
        assertEquals(List.of("peer1", "peer2", "peer1-alone", "peer2-alone"),
                r.models().stream().map(ModelResult::name).toList());
        for (ModelResult m : r.models()) {
            boolean together = !m.name().endsWith("-alone");
            assertEquals(together ? "dml" : "none", m.method());
            assertEquals(2, m.history().size());
            assertEquals(together, m.history().get(0).trainTerms().containsKey(PeerLoss.TERM), m.name());
            assertTrue(m.metrics().testAccuracy() > 0.2, m.name() + " learned: " + m.metrics().testAccuracy());
            assertTrue(Files.exists(dir.resolve("reference").resolve(m.file())));
        }
        assertEquals("cnn", r.model("peer1").architecture().substring(0, 3));
        assertEquals("mlp", r.model("peer2-alone").architecture().substring(0, 3));
        JsonNode churn = r.schemeResults().path("churn");
        for (String which : List.of("peers", "alone")) {
            JsonNode c = churn.path(which);
            assertEquals(1, c.path("pairs").size(), which);
            double d = c.path("meanDisagreement").asDouble(-1);
            assertTrue(d > 0 && d < 1, which + " disagreement " + d);
            assertTrue(c.path("meanTotalVariation").asDouble(-1) > 0);
        }
        assertEquals("peer1-alone", churn.path("alone").path("pairs").get(0).path("a").asText());
        assertEquals("train", r.schemeResults().path("settings").path("targets").asText());
        // written into record.json too
        assertEquals(churn, RunRecord.read(dir.resolve("reference/record.json")).schemeResults().path("churn"));
    }

    @Test
    void codistillationWithDisjointShardsRecordsItsSettings(@TempDir Path dir) throws Exception {
        var scheme = new CodistillationScheme(null, 4, null, null, CodistillationScheme.Shards.DISJOINT);
        RunConfig cfg = new RunConfig("codist", 3L, new DataSpec(0.2, null, null), null,
                new StudentSpec(new MlpSpec(List.of(16), null), TWO_EPOCHS, null, false), null, scheme);
        RunRecord r = new Experiment(cfg, data(), dir, TrainListener.NONE).run();
        assertEquals(List.of("peer1", "peer2"), r.models().stream().map(ModelResult::name).toList());
        JsonNode s = r.schemeResults().path("settings");
        assertEquals("[240,240]", s.path("trainSizes").toString(), "480 training samples cut in two");
        assertEquals(7, s.path("stepsPerEpoch").asInt());
        assertEquals(7, s.path("burnInSteps").asInt(), "default burn-in: one epoch");
        assertTrue(r.schemeResults().path("churn").path("alone").isMissingNode(), "no baseline asked");
        // epoch 1 is the burn-in: the distillation term is 0 there, and on in epoch 2
        for (ModelResult m : r.models()) {
            assertEquals(0.0, m.history().get(0).trainTerms().get(PeerLoss.TERM), 0.0);
            assertTrue(m.history().get(1).trainTerms().get(PeerLoss.TERM) > 0);
        }
    }

    /** A listener that fails (like a crash) at the n-th step of a phase. */
    static TrainListener crashAt(String phase, int step) {
        return new TrainListener() {
            String current;
            int steps;

            @Override
            public void onStart(String p, int epochs, int batchesPerEpoch, long stepsDone) {
                current = p;
                steps = 0;
            }

            @Override
            public void onStep(int epoch, int batch, double loss, double lr) {
                if (current.equals(phase) && ++steps == step) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        };
    }

    /**
     * Crashes at a step, resumes on the same directory, and compares with an uninterrupted run;
     * returns the uninterrupted run's record.
     */
    static RunRecord assertResumeMatches(RunConfig cfg, Path dir, String phase, int step) throws Exception {
        RunRecord reference = new Experiment(cfg, data(), dir.resolve("reference"), TrainListener.NONE).run();
        Path crashed = dir.resolve("crashed");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Experiment(cfg, data(), crashed, crashAt(phase, step)).run());
        assertEquals("simulated crash", e.getMessage());
        assertTrue(Files.notExists(crashed.resolve("record.json")));
        RunRecord resumed = new Experiment(cfg, data(), crashed, TrainListener.NONE).run();
        assertEquals(reference.models().size(), resumed.models().size());
        for (ModelResult m : reference.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        assertEquals(reference.schemeResults(), resumed.schemeResults());
        return reference;
    }

    /**
     * codistillation, crashed at step 5 with the last checkpoint at step 3: the stale copies then
     * hold the weights of step 2 (burn-in 2, refreshes at 2, 6 …), so steps 3 to 5 depend on
     * copies restored from the checkpoint, not on the live peers.
     */
    @Test
    void codistillationResumesWithItsStaleCopies(@TempDir Path dir) throws Exception {
        var scheme = new CodistillationScheme(MLPS, 4, 2, null, CodistillationScheme.Shards.DISJOINT);
        assertResumeMatches(config(scheme, 3), dir, "codistillation", 5);
    }

    /** Crashed in the alone phase: the finished peers are loaded (digests checked), the rest continues. */
    @Test
    void resumesInTheAlonePhase(@TempDir Path dir) throws Exception {
        var scheme = new CodistillationScheme(MLPS, 4, 3, 0.5, CodistillationScheme.Shards.SHARED);
        assertResumeMatches(config(scheme, 0), dir, "codistillation-alone", 20);
    }
}

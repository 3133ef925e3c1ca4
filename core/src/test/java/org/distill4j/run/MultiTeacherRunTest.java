package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.loss.response.MultiTeacherLoss.Weighting;
import org.distill4j.method.MultiTeacher;
import org.distill4j.metric.Ensemble;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.RunContext;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-teacher distillation on the committed Fashion-MNIST slice: a CNN and an MLP teacher of
 * different architectures, confidence-weighted targets and a feature hint per teacher (the
 * teachers' taps named per teacher), into an MLP student.
 */
class MultiTeacherRunTest {
    static final DataSpec DATA = new DataSpec(0.2, null, 100);
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.02, 0.9, 0.0), null);
    static final CnnSpec CNN = new CnnSpec(List.of(4), 16, true, null);
    static final MlpSpec MLP = new MlpSpec(List.of(24), null);
    static final MultiTeacher METHOD = new MultiTeacher(3.0, 0.8, null, Weighting.CONFIDENCE, null, 0.5,
            new MultiTeacher.Hint("embedding", null, List.of("embedding", "fc1"), null, 1.0));

    static FashionMnist.Splits data;
    static Path first;
    static RunRecord whole;

    static RunConfig config(TeacherSpec teacher1, boolean baseline) {
        return new RunConfig("multi", 5L, DATA, null, List.of(teacher1, new TeacherSpec(MLP, ONE, null)),
                new StudentSpec(new MlpSpec(List.of(8), null), ONE, METHOD, baseline), null, null);
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        first = dir.resolve("whole");
        whole = new Experiment(config(new TeacherSpec(CNN, ONE, null), true), data, first, TrainListener.NONE).run();
    }

    @Test
    void everyTeacherTheirEnsembleAndTheBaselinesAreReported() throws Exception {
        assertEquals(List.of("teacher1", "teacher2", RunContext.TEACHERS_ENSEMBLE, "student-none", "student-kd-teacher1",
                "student-kd-teacher2", "student-multi-teacher"), whole.models().stream().map(ModelResult::name).toList());
        assertEquals("cnn[4]/16 + mlp[24]", whole.model(RunContext.TEACHERS_ENSEMBLE).architecture());
        assertEquals(List.of("ce", "kd", "hint"),
                List.copyOf(whole.model("student-multi-teacher").history().get(0).trainTerms().keySet()));
        assertEquals("kd", whole.model("student-kd-teacher2").method());
        Dataset test = data.test().head(100);
        List<Predictions> members = new ArrayList<>();
        StringBuilder digests = new StringBuilder();
        try (NDManager m = NDManager.newBaseManager()) {
            for (String t : List.of("teacher1", "teacher2")) {
                ModelResult r = whole.model(t);
                try (Network net = Network.load(first.resolve(r.file()), null, m)) {
                    assertEquals(r.weightsDigest(), net.weightsDigest());
                    Predictions p = Predictions.of(net, test, m);
                    assertEquals(Metrics.accuracy(p, test.labels()), r.metrics().testAccuracy(), 1e-12);
                    members.add(p);
                }
                digests.append(t).append(' ').append(r.weightsDigest()).append('\n');
                // one knowledge store per teacher, keyed by its own weights digest, holding its hint tap
                Path store = first.resolve("knowledge").resolve(t + ".safetensors");
                var opened = org.distill4j.knowledge.SafeTensors.open(store);
                assertEquals(r.weightsDigest(), opened.metadata().get("teacher"));
                assertTrue(opened.tensors().containsKey("tap." + (t.equals("teacher1") ? "embedding" : "fc1")),
                        opened.tensors().keySet().toString());
            }
        }
        double ensemble = Metrics.accuracy(Ensemble.meanProbabilities(members), test.labels());
        assertEquals(ensemble, whole.model(RunContext.TEACHERS_ENSEMBLE).metrics().testAccuracy(), 1e-12);
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(digests.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))), whole.teacherDigest());
        // fidelity against the teachers' ensemble
        assertNotNull(whole.model("student-multi-teacher").metrics().agreementTest());
        // the students start alike: KD from each teacher and multi-teacher differ only in what they learn from
        assertTrue(!whole.model("student-kd-teacher1").weightsDigest().equals(
                whole.model("student-kd-teacher2").weightsDigest()));
    }

    /**
     * A loaded teacher in the list (the first run's teacher1, saved), the run stopped mid-epoch in
     * the multi-teacher phase and resumed: the very same teachers, ensemble and student as the
     * uninterrupted run that trained teacher1 itself.
     */
    @Test
    void aLoadedTeacherInTheListAndAResumeMidPhaseGiveTheSameStudent(@TempDir Path dir) throws Exception {
        TeacherSpec loaded = new TeacherSpec(CNN, null, first.resolve("teacher1.model").toString());
        RunConfig cfg = config(loaded, false);
        StopMidPhase stop = new StopMidPhase("student-multi-teacher", 4);
        assertThrows(StoppedException.class, () -> new Experiment(cfg, data, dir, stop).stoppedBy(stop.request).run());
        assertTrue(Files.notExists(dir.resolve(Experiment.RECORD)));
        assertTrue(Files.list(dir.resolve("checkpoints")).anyMatch(f -> f.toString().contains("student-multi-teacher")));
        RunRecord r = new Experiment(cfg, data, dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher1", "teacher2", RunContext.TEACHERS_ENSEMBLE, "student-multi-teacher"),
                r.models().stream().map(ModelResult::name).toList());
        assertTrue(r.model("teacher1").loaded());
        assertEquals(whole.model("teacher1").weightsDigest(), r.model("teacher1").weightsDigest());
        assertEquals(whole.model("teacher1").metrics().testAccuracy(), r.model("teacher1").metrics().testAccuracy());
        for (String m : List.of("teacher2", RunContext.TEACHERS_ENSEMBLE, "student-multi-teacher")) {
            assertEquals(whole.model(m).reproducible(), r.model(m).reproducible(), m);
        }
        assertEquals(whole.teacherDigest(), r.teacherDigest());
    }

    @Test
    void aStoreIsRebuiltForAnotherTeacher() throws Exception {
        // a store is keyed by its teacher: opening teacher1's store for teacher2's digest is refused
        Path store = first.resolve("knowledge").resolve("teacher1.safetensors");
        var meta = org.distill4j.knowledge.SafeTensors.open(store).metadata();
        var wrong = new KnowledgeStore.Key(whole.model("teacher2").weightsDigest(), meta.get("data"),
                meta.get("preprocessing"));
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> KnowledgeStore.open(store, wrong));
        assertTrue(e.getMessage().contains("stale") && e.getMessage().contains("teacher weights"), e.getMessage());
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.api.ExportFolder;
import org.distill4j.api.Prediction;
import org.distill4j.api.Student;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.io.DamagedFileException;
import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.knowledge.RetrievalModel;
import org.distill4j.method.ReAugKd;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.ReAugKdScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ReAugKD on the committed Fashion-MNIST slice: a CNN teacher, an MLP student with an 8-value
 * embedding; the knowledge base built once in the run directory, reused while its teacher and
 * data are unchanged and rebuilt otherwise; the student evaluated, loaded and exported with
 * retrieval; a run stopped in the projection phase resumes to the very same models.
 */
class ReAugKdRunTest {
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    static final CnnSpec TEACHER = new CnnSpec(List.of(4), 16, true, null);
    static final MlpSpec STUDENT = new MlpSpec(List.of(8), null);
    static final ReAugKd METHOD = new ReAugKd(2.0, 0.7, 1.0, 4, 0.2, 0.5, 2, 0.2, null, null);

    static FashionMnist.Splits data;
    static Path first;
    static RunRecord whole;

    static RunConfig config(TeacherSpec teacher, double validation, boolean baseline) {
        return config(teacher, validation, baseline, METHOD);
    }

    static RunConfig config(TeacherSpec teacher, double validation, boolean baseline, ReAugKd method) {
        return new RunConfig("reaugkd", 3L, new DataSpec(validation, null, 100), teacher,
                new StudentSpec(STUDENT, ONE, method, baseline), null, new ReAugKdScheme());
    }

    /** The method with k and β left out: chosen on the validation split. */
    static final ReAugKd CHOOSING = new ReAugKd(2.0, 0.7, 1.0, null, 0.2, null, 2, 0.2, null, null);

    static RunConfig config() {
        return config(new TeacherSpec(TEACHER, ONE, null), 0.2, true);
    }

    /** Collects the run's messages. */
    static final class Messages implements TrainListener {
        final List<String> seen = new ArrayList<>();

        @Override
        public void onMessage(String text) {
            seen.add(text);
        }

        boolean any(String part) {
            return seen.stream().anyMatch(s -> s.contains(part));
        }
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        first = dir;
        whole = new Experiment(config(), data, dir, TrainListener.NONE).run();
    }

    @Test
    void theStudentAloneAndWithRetrievalBesideKdAndScratch() throws Exception {
        assertEquals(List.of("teacher", "student-none", "student-kd", ReAugKdScheme.NETWORK, ReAugKdScheme.STUDENT),
                whole.models().stream().map(ModelResult::name).toList());
        assertEquals(java.util.Set.of("ce", "kd", "relation"),
                whole.model(ReAugKdScheme.NETWORK).history().get(0).trainTerms().keySet());
        var r = whole.schemeResults().path("reaugkd");
        Path kbDir = first.resolve(ReAugKdScheme.KNOWLEDGE_BASE);
        assertEquals(KnowledgeBase.bytes(kbDir), r.path("indexBytes").asLong());
        ModelResult withRetrieval = whole.model(ReAugKdScheme.STUDENT);
        ModelResult alone = whole.model(ReAugKdScheme.NETWORK);
        assertEquals(alone.weightsDigest(), withRetrieval.weightsDigest());
        assertEquals(alone.sizeBytes() + r.path("indexBytes").asLong(), withRetrieval.sizeBytes());
        assertEquals(ReAugKdScheme.NETWORK + ".model", withRetrieval.file());
        // the recorded accuracy is the retrieving student's, recomputed here
        TrainedModel m = TrainedModel.find(first, null);
        assertEquals(ReAugKdScheme.STUDENT, m.name());
        assertEquals(kbDir, m.knowledgeBase());
        Dataset test = data.test().head(100);
        try (NDManager root = NDManager.newBaseManager(); Network net = m.load(root);
                KnowledgeBase kb = KnowledgeBase.open(kbDir, null)) {
            assertEquals(data.train().size() - (int) Math.round(0.2 * data.train().size()), kb.size(),
                    "an entry per training sample");
            Predictions p = Predictions.of(new RetrievalModel(net, kb), test, root);
            assertEquals(withRetrieval.metrics().testAccuracy(), Metrics.accuracy(p, test.labels()), 1e-12);
            Predictions plain = Predictions.of(net, test, root);
            assertEquals(alone.metrics().testAccuracy(), Metrics.accuracy(plain, test.labels()), 1e-12);
            assertNotEquals(java.util.Arrays.toString(plain.logits()), java.util.Arrays.toString(p.logits()),
                    "retrieval changes the answers");
            // the check on the validation split, recorded: at the configured β it is the retrieving
            // student's accuracy there, at β = 0 the network's
            assertEquals("config", r.path("betaFrom").asText());
            assertEquals("config", r.path("kFrom").asText());
            assertEquals(0.5, r.path("beta").asDouble());
            assertEquals(4, r.path("k").asInt());
            Dataset validation = Experiment.trainingSplit(config(), org.distill4j.run.RunData.of(data)).validation();
            var check = r.path("validation");
            assertEquals(validation.size(), check.path("samples").asInt());
            assertEquals(4, check.path("byK").get(0).path("k").asInt());
            assertEquals(0.5, check.path("betas").get(5).asDouble());
            assertEquals(Metrics.accuracy(Predictions.of(new RetrievalModel(net, kb), validation, root),
                    validation.labels()), check.path("byK").get(0).path("accuracy").get(5).asDouble(), 1e-12);
            assertEquals(Metrics.accuracy(Predictions.of(net, validation, root), validation.labels()),
                    check.path("network").asDouble(), 1e-12);
        }
    }

    @Test
    void theJavaApiAndTheExportPredictWithRetrieval(@TempDir Path tmp) throws Exception {
        Dataset test = data.test().head(5);
        float[] raw = new float[test.featureSize()];
        List<float[]> probabilities = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager(); Network net = TrainedModel.find(first, null).load(root);
                KnowledgeBase kb = KnowledgeBase.open(first.resolve(ReAugKdScheme.KNOWLEDGE_BASE), null)) {
            Predictions p = Predictions.of(new RetrievalModel(net, kb), test, root);
            for (int i = 0; i < test.size(); i++) {
                double[] d = p.probabilities(i);
                float[] f = new float[d.length];
                for (int c = 0; c < d.length; c++) {
                    f[c] = (float) d[c];
                }
                probabilities.add(f);
            }
            Path out = tmp.resolve("export");
            TrainedModel m = TrainedModel.find(first, null);
            ExportFolder.write(out, m.name(), net, m.preprocessing(), m.classNames(), Map.of(), null, false,
                    m.knowledgeBase());
            var manifest = ExportFolder.verify(out);
            assertEquals(ExportFolder.RETRIEVAL, manifest.path("retrieval").asText());
            assertTrue(manifest.path("files").has(ExportFolder.RETRIEVAL + "/" + KnowledgeBase.MANIFEST));
            for (Path dir : List.of(first, out)) {
                try (Student s = Student.load(dir)) {
                    assertTrue(s.retrieves(), dir.toString());
                    var norm = m.preprocessing().normalisation(m.classNames());
                    for (int i = 0; i < test.size(); i++) {
                        float[] x = new float[test.featureSize()];
                        test.copyFeatures(i, x, 0);
                        Prediction pr = s.predict(norm.invert(x));
                        assertEquals(p.argMax(i), pr.classIndex(), dir + " sample " + i);
                        assertEquals(probabilities.get(i)[pr.classIndex()], pr.probability(), 1e-4, dir + " sample " + i);
                    }
                }
            }
            // a damaged index file of the export is named before anything is used
            Path cfs;
            try (var files = Files.list(out.resolve(ExportFolder.RETRIEVAL))) {
                cfs = files.filter(f -> f.toString().endsWith(".cfs")).findFirst().orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(cfs);
            bytes[bytes.length / 3] ^= 1;
            Files.write(cfs, bytes);
            DamagedFileException e = assertThrows(DamagedFileException.class, () -> Student.load(out));
            assertTrue(e.getMessage().contains(cfs.getFileName().toString()), e.getMessage());
        }
        assertEquals(test.featureSize(), raw.length);
    }

    /** Its knowledge base copied into a new run's directory, the run given {@code cfg}. */
    static Messages runWithCopiedBase(RunConfig cfg, Path dir) throws Exception {
        Path kb = dir.resolve(ReAugKdScheme.KNOWLEDGE_BASE);
        Files.createDirectories(kb);
        for (Path f : KnowledgeBase.files(first.resolve(ReAugKdScheme.KNOWLEDGE_BASE))) {
            Files.copy(f, kb.resolve(f.getFileName()));
        }
        Messages messages = new Messages();
        new Experiment(cfg, data, dir, messages).run();
        return messages;
    }

    static KnowledgeBase.Key key(Path run) throws Exception {
        try (KnowledgeBase kb = KnowledgeBase.open(run.resolve(ReAugKdScheme.KNOWLEDGE_BASE), null)) {
            return kb.key();
        }
    }

    @Test
    void theBaseIsReusedForTheSameTeacherAndDataAndRebuiltWhenEitherChanged(@TempDir Path tmp) throws Exception {
        TeacherSpec same = new TeacherSpec(TEACHER, null, first.resolve("teacher.model").toString());
        Messages reused = runWithCopiedBase(config(same, 0.2, false, CHOOSING), tmp.resolve("same"));
        assertTrue(reused.any("knowledge base read from"), reused.seen.toString());
        // k and β left out: the best on the validation split, recorded and shipped in the base's manifest
        var r = RunRecord.read(tmp.resolve("same").resolve(Experiment.RECORD)).schemeResults().path("reaugkd");
        assertEquals("validation", r.path("betaFrom").asText());
        assertEquals("validation", r.path("kFrom").asText());
        var byK = r.path("validation").path("byK");
        assertEquals(List.of(1, 4, 8, 16, 32, 64), java.util.stream.StreamSupport.stream(byK.spliterator(), false)
                .map(a -> a.path("k").asInt()).toList());
        double best = -1;
        for (var at : byK) {
            for (var a : at.path("accuracy")) {
                best = Math.max(best, a.asDouble());
            }
        }
        int k = r.path("k").asInt();
        int j = java.util.Arrays.binarySearch(org.distill4j.knowledge.RetrievalCheck.BETAS, r.path("beta").asDouble());
        var chosen = java.util.stream.StreamSupport.stream(byK.spliterator(), false).filter(a -> a.path("k").asInt() == k)
                .findFirst().orElseThrow();
        assertEquals(best, chosen.path("accuracy").get(j).asDouble(), "the chosen k and beta are the best on validation");
        try (KnowledgeBase shipped = KnowledgeBase.open(tmp.resolve("same").resolve(ReAugKdScheme.KNOWLEDGE_BASE),
                null)) {
            assertEquals(r.path("beta").asDouble(), shipped.settings().beta());
            assertEquals(k, shipped.settings().k());
        }
        assertTrue(!reused.any("rebuilding"), reused.seen.toString());
        assertEquals(key(first), key(tmp.resolve("same")));

        TeacherSpec other = new TeacherSpec(new MlpSpec(List.of(8), null), null,
                first.resolve("student-none.model").toString());
        Messages teacherChanged = runWithCopiedBase(config(other, 0.2, false), tmp.resolve("teacher"));
        // an MLP teacher of another embedding size: its projection differs too
        assertTrue(teacherChanged.any("stale: it was built for other teacher weights") && teacherChanged.any("rebuilding"),
                teacherChanged.seen.toString());
        assertNotEquals(key(first).teacher(), key(tmp.resolve("teacher")).teacher());

        Messages dataChanged = runWithCopiedBase(config(same, 0.3, false), tmp.resolve("data"));
        assertTrue(dataChanged.any("stale: it was built for other data: rebuilding"), dataChanged.seen.toString());
        assertNotEquals(key(first).data(), key(tmp.resolve("data")).data());
    }

    /**
     * Stopped mid-epoch in the projection's phase and resumed: the same knowledge base entries and
     * the very same student as without the interruption.
     */
    @Test
    void resumesMidProjectionPhaseExactly(@TempDir Path dir) throws Exception {
        StopMidPhase stop = new StopMidPhase(ReAugKdScheme.PROJECTION_PHASE, 3); // epoch 1 of 2
        assertThrows(StoppedException.class, () -> new Experiment(config(), data, dir, stop).stoppedBy(stop.request)
                .run());
        assertTrue(Files.notExists(dir.resolve(ReAugKdScheme.KNOWLEDGE_BASE)));
        RunRecord resumed = new Experiment(config(), data, dir, TrainListener.NONE).run();
        for (ModelResult m : resumed.models()) {
            assertEquals(whole.model(m.name()).weightsDigest(), m.weightsDigest(), m.name());
            assertEquals(whole.model(m.name()).metrics().testAccuracy(), m.metrics().testAccuracy(), m.name());
        }
        try (KnowledgeBase a = KnowledgeBase.open(first.resolve(ReAugKdScheme.KNOWLEDGE_BASE), null);
                KnowledgeBase b = KnowledgeBase.open(dir.resolve(ReAugKdScheme.KNOWLEDGE_BASE), null)) {
            assertArrayEquals(a.vectors(), b.vectors());
            assertEquals(a.key(), b.key());
        }
    }

    @Test
    void badParametersAreRejectedNamingTheKey() {
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> new ReAugKd(null, null, null, 0, null, null, null, null, null, null));
        assertEquals("k: must be in [1, 1000] (got 0)", k.getMessage());
        IllegalArgumentException beta = assertThrows(IllegalArgumentException.class,
                () -> new ReAugKd(null, null, null, null, null, 1.5, null, null, null, null));
        assertEquals("beta: must be in [0, 1] (got 1.5)", beta.getMessage());
        IllegalArgumentException tau = assertThrows(IllegalArgumentException.class,
                () -> new ReAugKd(null, null, null, null, -1.0, null, null, null, null, null));
        assertEquals("tau: must be in (0, 10] (got -1.0)", tau.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReAugKd(null, null, -1.0, null, null, null,
                null, null, null, null)).getMessage().startsWith("relationWeight: "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReAugKd(null, null, null, null, null, null,
                0, null, null, null)).getMessage().startsWith("projectionEpochs: "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReAugKd(null, null, null, null, null, null,
                null, 0.0, null, null)).getMessage().startsWith("projectionTau: "));
        // β to be chosen on a validation split that the run does not have
        RunConfig noValidation = config(new TeacherSpec(TEACHER, ONE, null), 0, false, CHOOSING);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> new Experiment(noValidation,
                data, first.resolveSibling(first.getFileName() + "-noval"), TrainListener.NONE).run());
        assertTrue(none.getMessage().startsWith("student.method.beta: reaugkd chooses beta on the validation split"),
                none.getMessage());
        RunConfig noValidationK = config(new TeacherSpec(TEACHER, ONE, null), 0, false,
                new ReAugKd(2.0, 0.7, 1.0, null, 0.2, 0.5, 2, 0.2, null, null));
        IllegalArgumentException noK = assertThrows(IllegalArgumentException.class, () -> new Experiment(noValidationK,
                data, first.resolveSibling(first.getFileName() + "-novalk"), TrainListener.NONE).run());
        assertTrue(noK.getMessage().startsWith("student.method.k: reaugkd chooses k on the validation split"),
                noK.getMessage());
        // the scheme needs the method
        RunConfig kd = new RunConfig("reaugkd", 3L, new DataSpec(0.2, null, 100), new TeacherSpec(TEACHER, ONE, null),
                new StudentSpec(STUDENT, ONE, new org.distill4j.method.HintonKd(null, null), false), null,
                new ReAugKdScheme());
        IllegalArgumentException scheme = assertThrows(IllegalArgumentException.class,
                () -> new Experiment(kd, data, first.resolveSibling(first.getFileName() + "-kd"), TrainListener.NONE)
                        .run());
        assertTrue(scheme.getMessage().startsWith("student.method: scheme reaugkd trains with method reaugkd"),
                scheme.getMessage());
    }
}

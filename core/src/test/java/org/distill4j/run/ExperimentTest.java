package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole run on the committed slice of real Fashion-MNIST (600 train / 200 test images). */
class ExperimentTest {
    static RunConfig tinyConfig() {
        TrainSpec two = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null);
        return new RunConfig("tiny", 3L, new DataSpec(0.2, null, null),
                new TeacherSpec(new CnnSpec(List.of(8), 32, true, null), two, null),
                new StudentSpec(new MlpSpec(List.of(16), null), two, new HintonKd(4.0, 0.9), true));
    }

    @Test
    void producesARecordWithEveryMetricAndAReport(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunRecord r = new Experiment(tinyConfig(), data, dir, org.distill4j.train.TrainListener.NONE).run();

        assertEquals(List.of("teacher", "student-none", "student-kd"), r.models().stream().map(ModelResult::name).toList());
        for (ModelResult m : r.models()) {
            ModelMetrics x = m.metrics();
            assertEquals(2, m.history().size(), m.name() + " has one summary per epoch");
            assertTrue(m.parameters() > 0);
            assertTrue(x.testAccuracy() > 0.3, m.name() + " learned something: " + x.testAccuracy());
            assertTrue(Double.isFinite(x.testLoss()) && x.expectedCalibrationError() >= 0);
            assertTrue(x.latencyMsBatch1() > 0 && x.latencyMsPerSampleBatch256() > 0);
            assertTrue(Files.exists(dir.resolve(m.file())), m.file());
            if (m.role().equals("teacher")) {
                assertNull(x.agreementTest());
            } else {
                for (Double v : new Double[] {x.agreementTrain(), x.agreementTest(), x.klTrain(), x.klTest()}) {
                    assertNotNull(v);
                    assertTrue(Double.isFinite(v) && v >= 0);
                }
            }
        }
        // both students start from the same weights and differ only in the method
        assertEquals(r.model("student-none").history().size(), r.model("student-kd").history().size());
        assertTrue(r.model("student-kd").history().get(0).trainTerms().containsKey("kd"));

        RunRecord back = RunRecord.read(dir.resolve("record.json"));
        assertEquals(r.runId(), back.runId());
        assertEquals(r.config(), back.config());
        assertEquals(r.model("student-kd").metrics(), back.model("student-kd").metrics());
        assertEquals(3, r.dataDigests().size());
        assertEquals(java.util.Map.of("train", 480, "validation", 120, "test", 200), r.dataSizes());
        assertNotNull(r.teacherDigest());

        assertTrue(Files.exists(dir.resolve("knowledge/teacher.safetensors")), "KD read the teacher from the store");
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("data:image/png;base64,"), "learning curves are embedded pictures");
        assertTrue(html.contains("Validation accuracy per epoch") && html.contains("student-kd"));
    }

    /** A wrong tap name is a TapException before the teacher trains (the CLI: config error, exit 2). */
    @Test
    void aMissingTapFailsBeforeTheTeacherTrains(@TempDir Path dir) throws Exception {
        RunConfig base = tinyConfig();
        RunConfig cfg = new RunConfig(base.name(), base.seed(), base.data(), base.teacher(), new StudentSpec(
                base.student().model(), base.student().train(),
                new org.distill4j.method.SimilarityPreserving("stage9", null, null, null), true));
        org.distill4j.model.TapException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.distill4j.model.TapException.class,
                () -> new Experiment(cfg, FashionMnist.load(Slice.dir()), dir, org.distill4j.train.TrainListener.NONE)
                        .run());
        assertTrue(e.getMessage().contains("'stage9'") && e.getMessage().contains("teacher tap 'embedding'"),
                e.getMessage());
        assertTrue(!Files.exists(dir.resolve("teacher.model")), "no time was spent training the teacher");
    }

    @Test
    void withAugmentationTheStoreIsRefusedAndTheTeacherRunsLive(@TempDir Path dir) throws Exception {
        RunConfig base = tinyConfig();
        TrainSpec augmented = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null, null, null,
                new org.distill4j.data.Augmentation(2, true));
        RunConfig cfg = new RunConfig("aug", 3L, base.data(), base.teacher(),
                new StudentSpec(base.student().model(), augmented, base.student().method(), false));
        java.util.List<String> messages = new java.util.ArrayList<>();
        RunRecord r = new Experiment(cfg, FashionMnist.load(Slice.dir()), dir, new org.distill4j.train.TrainListener() {
            @Override
            public void onMessage(String text) {
                messages.add(text);
            }
        }).run();
        assertEquals(1, messages.stream().filter(m -> m.contains("augmentation is on: teacher runs live")).count(),
                messages.toString());
        assertTrue(Files.notExists(dir.resolve("knowledge")), "no store was built");
        assertTrue(r.model("student-kd").metrics().testAccuracy() > 0.2);
    }

    @Test
    void sameConfigAndSeedGiveAnIdenticalRecord(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunRecord a = new Experiment(tinyConfig(), data, dir.resolve("a"), org.distill4j.train.TrainListener.NONE).run();
        RunRecord b = new Experiment(tinyConfig(), data, dir.resolve("b"), org.distill4j.train.TrainListener.NONE).run();
        assertEquals(a.teacherDigest(), b.teacherDigest());
        assertEquals(a.dataDigests(), b.dataDigests());
        for (ModelResult m : a.models()) {
            assertEquals(m.reproducible(), b.model(m.name()).reproducible(), m.name());
        }
        // and another seed gives other weights
        RunRecord c = new Experiment(tinyConfig().withSeed(4), data, dir.resolve("c"),
                org.distill4j.train.TrainListener.NONE).run();
        assertTrue(!a.teacherDigest().equals(c.teacherDigest()));
    }

    @Test
    void loadsASavedTeacherInsteadOfTraining(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunConfig cfg = tinyConfig();
        RunRecord first = new Experiment(cfg, data, dir.resolve("a"), org.distill4j.train.TrainListener.NONE).run();
        RunConfig reuse = new RunConfig("reuse", 3L, cfg.data(),
                new TeacherSpec(cfg.teacher().model(), null, dir.resolve("a/teacher.model").toString()),
                cfg.student());
        RunRecord second = new Experiment(reuse, data, dir.resolve("b"), org.distill4j.train.TrainListener.NONE).run();
        assertTrue(second.model("teacher").loaded());
        assertEquals(first.teacherDigest(), second.teacherDigest());
        assertEquals(first.model("teacher").metrics().testAccuracy(), second.model("teacher").metrics().testAccuracy());
    }
}

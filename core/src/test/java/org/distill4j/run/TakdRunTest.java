package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.CheckpointSpec;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.HintonKd;
import org.distill4j.metric.Predictions;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.TakdScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The teacher-assistant chain on the committed Fashion-MNIST slice. Who taught whom is checked
 * without trusting the chain's own bookkeeping: a link's weights must equal those of the same
 * network distilled, by a separate run, from the model the chain claims taught it (saved and
 * loaded as a teacher). Assistants and students have fixed initialisation seeds per role, so
 * those runs start from the same weights and batch order.
 */
class TakdRunTest {
    static final long SEED = 9;
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.02, 0.9, 0.0), null);
    static final CnnSpec TEACHER = new CnnSpec(List.of(8), 32, true, null);
    static final CnnSpec A1 = new CnnSpec(List.of(4), 16, true, null);
    static final MlpSpec A2 = new MlpSpec(List.of(24), null);
    static final MlpSpec STUDENT = new MlpSpec(List.of(8), null);
    static final HintonKd KD = new HintonKd(4.0, 0.9);
    static final DataSpec DATA = new DataSpec(0.2, null, null);

    static TeacherSpec trained(ModelSpec spec) {
        return new TeacherSpec(spec, new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null), null);
    }

    static TeacherSpec loaded(ModelSpec spec, Path file) {
        return new TeacherSpec(spec, null, file.toString());
    }

    static RunConfig takd(TeacherSpec teacher, List<ModelSpec> assistants, boolean baseline) {
        return new RunConfig("takd", SEED, DATA, teacher, new StudentSpec(STUDENT, ONE, null, null),
                new CheckpointSpec(5, 2), new TakdScheme(assistants, KD, null, baseline));
    }

    /** The offline scheme: {@code student} distilled directly from {@code teacher}. */
    static RunConfig offline(TeacherSpec teacher, boolean baseline) {
        return new RunConfig("offline", SEED, DATA, teacher, new StudentSpec(STUDENT, ONE, KD, baseline));
    }

    static List<String> names(RunRecord r) {
        return r.models().stream().map(ModelResult::name).toList();
    }

    static String digest(RunRecord r, String model) {
        return r.model(model).weightsDigest();
    }

    /** Share of test samples on which two saved networks' top-1 classes agree, counted here. */
    static double agreement(Path a, Path b, Dataset test) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                Network x = Network.load(a, null, m);
                Network y = Network.load(b, null, m)) {
            Predictions p = Predictions.of(x, test, m);
            Predictions q = Predictions.of(y, test, m);
            int same = 0;
            for (int i = 0; i < test.size(); i++) {
                same += argmax(p.logits(), i * 10) == argmax(q.logits(), i * 10) ? 1 : 0;
            }
            return (double) same / test.size();
        }
    }

    static int argmax(float[] row, int offset) {
        int best = 0;
        for (int c = 1; c < 10; c++) {
            best = row[offset + c] > row[offset + best] ? c : best;
        }
        return best;
    }

    @Test
    void eachLinkIsTaughtByThePreviousModelOfTheChain(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        Path a = dir.resolve("a");
        RunRecord chain = new Experiment(takd(trained(TEACHER), List.of(A1, A2), true), data, a, TrainListener.NONE)
                .run();
        assertEquals(List.of("teacher", "assistant1", "assistant2", "student", "student-direct", "student-alone"),
                names(chain));
        var links = chain.schemeResults().path("chain");
        assertEquals(List.of("teacher", "assistant1", "assistant2"),
                List.of(links.get(0).path("taughtBy").asText(), links.get(1).path("taughtBy").asText(),
                        links.get(2).path("taughtBy").asText()));
        assertEquals(digest(chain, "assistant1"), links.get(1).path("teacherDigest").asText());

        // Cut after assistant1: with it as a loaded teacher and one assistant left, a separate
        // takd run must reproduce assistant2 and the student exactly (any number of assistants: 1).
        RunRecord cut = new Experiment(takd(loaded(A1, a.resolve("assistant1.model")), List.of(A2), false), data,
                dir.resolve("b"), TrainListener.NONE).run();
        assertEquals(List.of("teacher", "assistant1", "student"), names(cut));
        assertEquals(digest(chain, "assistant2"), digest(cut, "assistant1"), "assistant2 was taught by assistant1");
        assertEquals(digest(chain, "student"), digest(cut, "student"));

        // The offline scheme, teacher = the chain's assistant2: the same student.
        RunRecord last = new Experiment(offline(loaded(A2, a.resolve("assistant2.model")), false), data,
                dir.resolve("c"), TrainListener.NONE).run();
        assertEquals(digest(chain, "student"), digest(last, "student-kd"), "the student was taught by assistant2");

        // The baselines: direct KD from the original teacher, and labels alone.
        RunRecord direct = new Experiment(offline(loaded(TEACHER, a.resolve("teacher.model")), true), data,
                dir.resolve("d"), TrainListener.NONE).run();
        assertEquals(digest(chain, "student-direct"), digest(direct, "student-kd"));
        assertEquals(digest(chain, "student-alone"), digest(direct, "student-none"));
        assertNotEquals(digest(chain, "student"), digest(chain, "student-direct"), "the chain made a difference");

        // Fidelity in the record is to the ORIGINAL teacher; each link's own teacher is in the chain.
        Dataset test = data.test();
        assertEquals(agreement(a.resolve("teacher.model"), a.resolve("assistant2.model"), test),
                chain.model("assistant2").metrics().agreementTest(), 1e-12);
        assertEquals(agreement(a.resolve("teacher.model"), a.resolve("student.model"), test),
                chain.model("student").metrics().agreementTest(), 1e-12);
        assertEquals(agreement(a.resolve("assistant1.model"), a.resolve("assistant2.model"), test),
                links.get(1).path("agreementWithOwnTeacherTest").asDouble(), 1e-12);
        assertTrue(Files.exists(a.resolve("knowledge/assistant1.safetensors")), "assistant1's knowledge was stored");

        // No assistants: plain KD, i.e. the offline scheme's student (no student-direct: it would be the same).
        RunRecord none = new Experiment(takd(loaded(TEACHER, a.resolve("teacher.model")), List.of(), true), data,
                dir.resolve("e"), TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student", "student-alone"), names(none));
        assertEquals(digest(direct, "student-kd"), digest(none, "student"));
        assertEquals(digest(direct, "student-none"), digest(none, "student-alone"));
        assertEquals("student", none.schemeResults().path("direct").asText());
    }

    @Test
    void aResumedChainSkipsFinishedLinksAndEndsWhereAnUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunConfig cfg = takd(trained(TEACHER), List.of(A1), true);
        RunRecord reference = new Experiment(cfg, data, dir.resolve("a"), TrainListener.NONE).run();

        // Crash in the student's link, batch 8 of 15: its last checkpoint is at step 5.
        StagedRunTest.CrashAt crash = new StagedRunTest.CrashAt("student", 0, 7);
        assertThrows(IllegalStateException.class, () -> new Experiment(cfg, data, dir.resolve("b"), crash).run());
        StagedRunTest.CrashAt watch = new StagedRunTest.CrashAt("none", -1, -1);
        RunRecord resumed = new Experiment(cfg, data, dir.resolve("b"), watch).run();
        for (String finished : List.of("teacher", "assistant1")) {
            assertTrue(watch.messages.contains(finished + ": finished before the interruption, loaded " + finished
                    + ".model"), watch.messages.toString());
        }
        assertEquals(names(reference), names(resumed));
        for (ModelResult m : reference.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        assertEquals(reference.schemeResults(), resumed.schemeResults());
    }
}

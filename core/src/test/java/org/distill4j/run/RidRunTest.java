package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
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
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.Rid;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.Loop;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.Seeds;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.UpdateReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RID on the data slice: the alternating rounds (teacher filters, then student) step by step, a
 * nuisance teacher (random weights, never trained), and a resume mid-phase — in the teacher
 * filters' part of a round and in the student's — ending exactly where the uninterrupted run does.
 */
class RidRunTest {
    static final CnnSpec TEACHER = new CnnSpec(List.of(4, 8), 16, true, null);
    static final CnnSpec STUDENT = new CnnSpec(List.of(4, 4), 16, true, null);
    static final TrainSpec TWO = new TrainSpec(2, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    // 64 training samples: 4 steps an epoch; rounds of 3 steps, the first the teacher filters'
    static final Rid RID = new Rid(List.of("conv2"), List.of("conv2"), null, null, 3, 1, null, null);
    static FashionMnist.Splits data;
    static RunRecord whole;
    @TempDir
    static Path first;

    static RunConfig config() {
        return new RunConfig("rid", 5L, new DataSpec(0.2, 80, 32), TeacherSpec.random(TEACHER),
                new StudentSpec(STUDENT, TWO, RID, false));
    }

    @BeforeAll
    static void runOnce() throws Exception {
        data = FashionMnist.load(Slice.dir());
        whole = new Experiment(config(), data, first, TrainListener.NONE).run();
    }

    @Test
    void aNuisanceTeacherIsRandomNeverTrainedAndSeeded() throws Exception {
        ModelResult teacher = whole.model("teacher");
        assertEquals("random", teacher.method());
        assertTrue(teacher.history().isEmpty(), "never trained");
        assertTrue(Files.exists(first.resolve("teacher.model")));
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(Seeds.derive(5L, "teacher"));
            try (Network again = Network.create(TEACHER, data.train().sampleShape(), data.train().numClasses(), m)) {
                assertEquals(teacher.weightsDigest(), again.weightsDigest(), "its weights are the seed's");
            }
        }
        ModelResult student = whole.model("student-rid");
        assertTrue(student.history().get(1).trainTerms().get("rid") > 0, "the RID term was trained");
        assertNotEquals(null, student.metrics().agreementTest());
    }

    /** Which participant each update moved, and whether the other's parameters stayed put. */
    @Test
    void oneRoundByHandTeacherFiltersThenStudent() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            Seeds.apply(7);
            Dataset all = data.train();
            Network teacher = Network.create(TEACHER, all.sampleShape(), all.numClasses(), root);
            Network student = Network.create(STUDENT, all.sampleShape(), all.numClasses(), root);
            teacher.freeze();
            Dataset train = all.subset("train", java.util.stream.IntStream.range(0, 96).toArray());
            Dataset validation = all.subset("val", java.util.stream.IntStream.range(96, 112).toArray());
            DistillationLoss objective = new Rid(List.of("conv2"), List.of("conv2"), null, null, 4, 2, null, null)
                    .objective();
            Phase phase = SoloPhase.of("s", student, new TrainSpec(1, 16, null, null), objective,
                    new LiveTeacher(teacher), train, validation, 3, null);
            assertEquals(List.of("s", "s.teacher-filters"), phase.participants().stream().map(Participant::name)
                    .toList());
            Adapters filters = phase.participant("s.teacher-filters").adapters();
            List<String> moved = new ArrayList<>();
            List<boolean[]> unchanged = new ArrayList<>(); // {student net, teacher filters}
            LoopListener watch = new LoopListener() {
                String[] before;

                @Override
                public void beforeStep(LoopState state, long step) {
                    before = new String[] {student.weightsDigest(), digest(filters)};
                }

                @Override
                public boolean onGradients(LoopState state, UpdateReport r) {
                    moved.add(r.participant().name());
                    return true;
                }

                @Override
                public void afterStep(LoopState state, long step, double meanLoss) {
                    unchanged.add(new boolean[] {before[0].equals(student.weightsDigest()),
                            before[1].equals(digest(filters))});
                }
            };
            try {
                new Loop(root, List.of(watch)).run(phase);
                student.close();
                teacher.close();
            } finally {
                SoloPhase.close(phase);
            }
            // 6 steps, rounds of 4: teacher filters at steps 0, 1 and 4, 5; the student at 2, 3
            String f = "s.teacher-filters";
            assertEquals(List.of(f, f, "s", "s", f, f), moved);
            for (int s = 0; s < 6; s++) {
                boolean filterStep = moved.get(s).equals(f);
                assertArrayEquals(new boolean[] {filterStep, !filterStep}, unchanged.get(s), "step " + s);
            }
        }
    }

    static String digest(Adapters a) {
        StringBuilder b = new StringBuilder();
        for (Parameter p : a.trainableParameters()) {
            b.append(java.util.Arrays.toString(p.getArray().toFloatArray()));
        }
        return org.distill4j.io.Provenance.sha256(b.toString());
    }

    /**
     * Stopped after 3 steps, mid-epoch, where round 2 begins: the resumed run restores both
     * participants (student and teacher filters, each with its optimizer) and replays the rounds.
     */
    @Test
    void aResumeMidPhaseEndsWhereTheUninterruptedRunDoes(@TempDir Path dir) throws Exception {
        StopMidPhase stop = new StopMidPhase("student-rid", 3);
        assertThrows(StoppedException.class, () -> new Experiment(config(), data, dir, stop)
                .stoppedBy(stop.request).run());
        assertFalse(Files.exists(dir.resolve(Experiment.RECORD)));
        RunRecord r = new Experiment(config(), data, dir, TrainListener.NONE).run();
        assertEquals(whole.model("teacher").weightsDigest(), r.model("teacher").weightsDigest());
        assertEquals(whole.model("student-rid").reproducible(), r.model("student-rid").reproducible());
    }
}

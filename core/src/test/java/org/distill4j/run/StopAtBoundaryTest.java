package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiPredicate;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.StopRequest;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop request (what SIGTERM and SIGINT set) that comes at the end of a phase — in its last
 * step, or between phases (while a network is evaluated) — writes a
 * checkpoint at the next step boundary and stops the run; the resumed run ends as the
 * uninterrupted one. One that comes after the last training step lets the run finish. The
 * request is made by a listener at an exact moment, so each case is deterministic; the signals
 * themselves are sent to real processes in the cli's RunIntegrityTest.
 */
class StopAtBoundaryTest {
    static FashionMnist.Splits data;
    static RunRecord whole;

    /** Teacher and KD student (the last phase) 1 epoch each, 7 steps (240 samples, batches of 32, the last partial one dropped). */
    static RunConfig config() {
        TrainSpec one = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null, null, null, null);
        return new RunConfig("stop", 9L, new DataSpec(0.2, 300, 100),
                new TeacherSpec(new CnnSpec(List.of(4), 16, false, null), one, null),
                new StudentSpec(new MlpSpec(List.of(16), 0.0), one, new HintonKd(4.0, 0.9), false));
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        whole = new Experiment(config(), data, dir.resolve("whole"), TrainListener.NONE).run();
    }

    /**
     * Requests a stop the first time {@code when} accepts (phase, event): events are "step E/B"
     * (epoch and batch, 0-based) and each message's text.
     */
    static final class StopWhen implements TrainListener {
        final StopRequest stop = new StopRequest();
        final BiPredicate<String, String> when;
        String phase;

        StopWhen(BiPredicate<String, String> when) {
            this.when = when;
        }

        void check(String event) {
            if (stop.requested() == null && when.test(phase, event)) {
                stop.request("SIGTERM");
            }
        }

        @Override
        public void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {
            this.phase = phase;
        }

        @Override
        public void onStep(int epoch, int batch, double loss, double lr) {
            check("step " + epoch + "/" + batch);
        }

        @Override
        public void onMessage(String text) {
            check(text);
        }
    }

    /** Stops where {@code when} says, checks where, resumes, and compares with the uninterrupted run. */
    static StoppedException stopAndResume(Path dir, BiPredicate<String, String> when, String phase) throws Exception {
        StopWhen listener = new StopWhen(when);
        StoppedException e = assertThrows(StoppedException.class,
                () -> new Experiment(config(), data, dir, listener).stoppedBy(listener.stop).run());
        assertEquals("SIGTERM", e.reason());
        assertTrue(Files.exists(e.checkpoint()), e.getMessage());
        assertEquals(phase, CheckpointStore.read(e.checkpoint()).meta().phase(), e.getMessage());
        assertFalse(Files.exists(dir.resolve(Experiment.RECORD)), "a stopped run has no record");
        RunRecord resumed = new Experiment(config(), data, dir, TrainListener.NONE).run();
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        return e;
    }

    @Test
    void aStopInTheLastStepOfAPhaseCheckpointsAtItsEnd(@TempDir Path dir) throws Exception {
        StoppedException e = stopAndResume(dir, (phase, event) -> "teacher".equals(phase) && event.equals("step 0/6"),
                "teacher");
        assertTrue(e.getMessage().contains("in phase teacher after step 7;"), e.getMessage());
    }

    @Test
    void aStopInTheLastStepOfTheRunCheckpointsAtItsEnd(@TempDir Path dir) throws Exception {
        StoppedException e = stopAndResume(dir,
                (phase, event) -> "student-kd".equals(phase) && event.equals("step 0/6"), "student-kd");
        assertTrue(e.getMessage().contains("in phase student-kd after step 7;"), e.getMessage());
    }

    @Test
    void aStopWhileATeacherIsEvaluatedCheckpointsBeforeTheNextPhase(@TempDir Path dir) throws Exception {
        StoppedException e = stopAndResume(dir, (phase, event) -> event.equals("evaluating teacher"), "student-kd");
        assertTrue(e.getMessage().contains("in phase student-kd before its first step;"), e.getMessage());
    }

    @Test
    void aStopAfterTheLastStepLetsTheRunFinish(@TempDir Path dir) throws Exception {
        StopWhen listener = new StopWhen((phase, event) -> event.equals("evaluating student-kd"));
        RunRecord r = new Experiment(config(), data, dir, listener).stoppedBy(listener.stop).run();
        assertEquals("SIGTERM", listener.stop.requested(), "the stop was requested");
        assertTrue(Files.exists(dir.resolve(Experiment.RECORD)));
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), r.model(m.name()).reproducible(), m.name());
        }
    }
}

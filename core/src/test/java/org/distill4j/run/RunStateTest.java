package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.DmlScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-run state: the engine seed, fault-injection settings and counters belong to a run, so runs
 * one after another in one JVM give the records each gives alone.
 */
class RunStateTest {
    static RunConfig offline() {
        TrainSpec one = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null, null,
                TrainSpec.NonFinitePolicy.SKIP_BATCH, null);
        return new RunConfig("a", 5L, new DataSpec(0.2, 300, 100),
                new TeacherSpec(new CnnSpec(List.of(4), 16, true, null), one, null),
                new StudentSpec(new MlpSpec(List.of(16), 0.1), one, new HintonKd(4.0, 0.9), true));
    }

    static RunConfig dml() {
        TrainSpec one = new TrainSpec(1, 32, new OptimizerSpec.Adam(0.003, null, null, null, null), null, null,
                TrainSpec.NonFinitePolicy.SKIP_BATCH, null);
        return new RunConfig("b", 6L, new DataSpec(0.2, 300, 100), null,
                new StudentSpec(new MlpSpec(List.of(16), 0.2), one, null, true), null, new DmlScheme(null, null));
    }

    static List<String> reproducible(RunRecord r) {
        return r.models().stream().map(ModelResult::reproducible).toList();
    }

    @Test
    void runsOneAfterAnotherGiveTheRecordsEachGivesAlone(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        // A fault setting is read when a run starts and counted per run: each run poisons its own
        // 3rd update (skipped, counted once), where a process-wide counter would hit the first run only.
        System.setProperty("distill4j.fault.nanLossAtStep", "3");
        try {
            RunRecord a1 = new Experiment(offline(), data, dir.resolve("a1"), TrainListener.NONE).run();
            RunRecord b1 = new Experiment(dml(), data, dir.resolve("b1"), TrainListener.NONE).run();
            RunRecord a2 = new Experiment(offline(), data, dir.resolve("a2"), TrainListener.NONE).run();
            RunRecord b2 = new Experiment(dml(), data, dir.resolve("b2"), TrainListener.NONE).run();
            assertEquals(reproducible(a1), reproducible(a2));
            assertEquals(reproducible(b1), reproducible(b2));
            assertEquals(1, a1.model("teacher").skippedBatches(), "the first run's 3rd update was poisoned");
            assertEquals(1, a2.model("teacher").skippedBatches(), "and so was the third run's");
            assertEquals(1, b1.model("peer1").skippedBatches() + b1.model("peer2").skippedBatches());
            assertEquals(1, b2.model("peer1").skippedBatches() + b2.model("peer2").skippedBatches());
        } finally {
            System.clearProperty("distill4j.fault.nanLossAtStep");
        }
    }
}

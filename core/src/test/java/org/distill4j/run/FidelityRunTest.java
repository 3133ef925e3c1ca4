package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Augmentation;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fidelity study's run: self-distillation on a mixup distillation set (the teacher relabels
 * the blended inputs live) with fidelity measured at every epoch end, recorded and plotted.
 */
class FidelityRunTest {
    static final CnnSpec NET = new CnnSpec(List.of(4), 16, true, null);

    @Test
    void fidelityEachEpochIsRecordedAndPlottedAndItsLastEpochIsTheFinalMeasure(@TempDir Path dir) throws Exception {
        TrainSpec teacher = new TrainSpec(1, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
        TrainSpec student = new TrainSpec(2, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null, null, null,
                new Augmentation(0, false, true));
        RunConfig cfg = new RunConfig("fidelity", 3L, new DataSpec(0.2, 80, 32), new TeacherSpec(NET, teacher, null),
                new StudentSpec(NET, student, new HintonKd(4.0, 0.5), true, null, true));
        RunRecord r = new Experiment(cfg, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        ModelResult kd = r.model("student-kd");
        assertEquals(2, kd.history().size());
        for (EpochSummary e : kd.history()) {
            assertEquals(java.util.Set.of("agreementTrain", "agreementTest", "klTrain", "klTest"),
                    e.fidelity().keySet(), "epoch " + e.epoch());
        }
        EpochSummary last = kd.history().get(1);
        assertEquals(kd.metrics().agreementTrain(), last.fidelity().get("agreementTrain"), 1e-12);
        assertEquals(kd.metrics().agreementTest(), last.fidelity().get("agreementTest"), 1e-12);
        assertEquals(kd.metrics().klTrain(), last.fidelity().get("klTrain"), 1e-9);
        assertEquals(kd.metrics().klTest(), last.fidelity().get("klTest"), 1e-9);
        // the baseline (the same network on labels alone) is measured too: the fidelity of an independent network
        assertEquals(r.model("student-none").metrics().agreementTest(),
                r.model("student-none").history().get(1).fidelity().get("agreementTest"), 1e-12);
        assertNull(r.model("teacher").metrics().agreementTest(), "the teacher is not measured against itself");
        String report = Files.readString(dir.resolve("report.html"));
        assertTrue(report.contains("Fidelity to the teacher per epoch")
                && report.contains("KL(teacher ‖ student), training set"), "the report plots it");
        assertTrue(RunRecord.JSON.writeValueAsString(r.config()).replace(" ", "").contains("\"mixup\":true"),
                "the record says so");
    }
}

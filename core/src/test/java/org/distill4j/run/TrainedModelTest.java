package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which network of a run {@code export} and {@code predict} take when none is named, scheme by scheme. */
class TrainedModelTest {
    static ModelResult m(String name, String role, String method) {
        return new ModelResult(name, role, method, "mlp[4]", 10, 40, "d", name.equals("ensemble") ? null : name + ".model",
                false, 1, 0, List.of(), null);
    }

    static String main(ModelResult... models) {
        return TrainedModel.mainStudent(new RunRecord(1, "r", "now", Map.of(), 1, null, Map.of(), Map.of(), null,
                Arrays.asList(models), 1, null));
    }

    @Test
    void theMainStudentOfEachScheme() {
        assertEquals("student-kd", main(m("teacher", "teacher", "none"), m("student-none", "student", "none"),
                m("student-kd", "student", "kd")));
        assertEquals("student", main(m("teacher", "teacher", "none"), m("assistant1", "assistant", "kd"),
                m("student", "student", "kd"), m("student-direct", "student", "kd"), m("student-alone", "student", "none")));
        assertEquals("student-snapshot", main(m("student-none", "student", "none"),
                m("student-snapshot", "student", "snapshot"), m("cycle1", "student", "snapshot")));
        assertEquals("stage2", main(m("teacher", "teacher", "none"), m("student-none", "student", "none"),
                m("stage1", "student", "fitnet"), m("stage2", "student", "kd")));
        assertEquals("generation3", main(m("generation0", "student", "none"), m("generation1", "generation1", "born-again"),
                m("generation3", "generation3", "born-again"), m("ensemble", "student", "born-again-ensemble")));
        assertEquals("peer2", main(m("peer1", "peer", "dml"), m("peer2", "peer", "dml"), m("peer1-alone", "peer", "none")));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> main(m("teacher", "teacher", "none"), m("student-none", "student", "none")));
        assertEquals("run r has no distilled student; name a model (it has teacher, student-none)", none.getMessage());
    }

    @Test
    void anUnknownRunOrUnfinishedRunIsNamed(@TempDir Path dir) throws Exception {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TrainedModel.find(dir.resolve("nowhere"), null));
        assertEquals("no run directory " + dir.resolve("nowhere"), missing.getMessage());
        Files.createDirectories(dir.resolve("checkpoints"));
        IllegalArgumentException unfinished = assertThrows(IllegalArgumentException.class,
                () -> TrainedModel.find(dir, null));
        assertTrue(unfinished.getMessage().contains("is not a finished run (no record.json): it has checkpoints"),
                unfinished.getMessage());
    }
}

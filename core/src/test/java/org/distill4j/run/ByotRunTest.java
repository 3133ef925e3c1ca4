package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.ResNetSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.ByotScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole byot run on the committed Fashion-MNIST slice: exits, early exit, baseline. (Resume
 * goes through the same RunContext as every run; the born-again and snapshot tests interrupt and
 * resume runs.)
 */
class ByotRunTest {
    static RunConfig config(int epochs) {
        TrainSpec train = new TrainSpec(epochs, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
        return new RunConfig("byot", 5L, new DataSpec(0.2, null, 100), null,
                new StudentSpec(new ResNetSpec(8, 1), train, new NoDistillation(), true), null,
                new ByotScheme(null, null, null, List.of(0.0, 0.9, 1.5)));
    }

    @Test
    void everyExitIsRecordedBesideThePlainNetwork(@TempDir Path dir) throws Exception {
        RunRecord r = new Experiment(config(1), FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("student-none", "student-byot", "exit1", "exit2", "exit3"),
                r.models().stream().map(ModelResult::name).toList());
        ModelResult whole = r.model("student-byot");
        assertEquals("resnet8+exits", whole.architecture());
        assertTrue(whole.history().get(0).trainTerms().keySet().containsAll(
                List.of("exit1.ce", "exit1.kd", "exit1.feature", "exit2.kd", "exit3.ce")));
        // the deepest exit is the network's own logits; shallower exits need fewer parameters
        assertEquals(whole.metrics().testAccuracy(), r.model("exit3").metrics().testAccuracy());
        assertEquals(r.model("student-none").parameters(), r.model("exit3").parameters());
        assertTrue(r.model("exit1").parameters() < r.model("exit2").parameters());
        assertTrue(r.model("exit2").parameters() < r.model("exit3").parameters());
        for (String exit : List.of("exit1", "exit2", "exit3")) {
            assertEquals("student-byot.model", r.model(exit).file());
            assertTrue(r.model(exit).metrics().latencyMsBatch1() > 0);
        }

        JsonNode s = r.schemeResults();
        assertEquals("byot", s.path("scheme").asText());
        assertEquals(3, s.path("exits").size());
        assertEquals(r.model("exit2").metrics().testAccuracy(), s.path("exits").get(1).path("testAccuracy").asDouble());
        JsonNode early = s.path("earlyExit");
        assertEquals(3, early.size());
        assertEquals(r.model("exit1").metrics().testAccuracy(), early.get(0).path("accuracy").asDouble());
        assertEquals(1.0, early.get(0).path("meanExitDepth").asDouble());
        assertEquals(100, early.get(0).path("exitCounts").get(0).asInt());
        assertEquals(r.model("exit3").metrics().testAccuracy(), early.get(2).path("accuracy").asDouble());
        assertEquals(3.0, early.get(2).path("meanExitDepth").asDouble());
        assertEquals(r.model("student-none").metrics().testAccuracy(), s.path("baseline").path("testAccuracy").asDouble());
        RunRecord back = RunRecord.read(dir.resolve("record.json"));
        assertEquals(s.toString(), back.schemeResults().toString());
    }

    @Test
    void aStudentWithoutStagesIsAConfigError() {
        RunConfig ok = config(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RunConfig("x", 1L, null,
                null, new StudentSpec(new CnnSpec(null, null, null, null), ok.student().train(), null, null), null,
                ok.scheme()));
        assertTrue(e.getMessage().startsWith("scheme: byot adds an exit after each stage of a resnet"), e.getMessage());
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.TapException;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.SadScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self-attention distillation on the committed Fashion-MNIST slice, with a small CNN. */
class SadRunTest {
    static RunConfig config(org.distill4j.model.ModelSpec model) {
        TrainSpec train = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
        return new RunConfig("sad", 17L, new DataSpec(0.2, null, 100), null,
                new StudentSpec(model, train, null, null), null, new SadScheme(null, 500.0, 1));
    }

    @Test
    void theTermSwitchesOnAfterTheWarmUpBesideThePlainNetwork(@TempDir Path dir) throws Exception {
        RunRecord r = new Experiment(config(new CnnSpec(List.of(4, 8), 16, true, null)), FashionMnist.load(Slice.dir()),
                dir, TrainListener.NONE).run();
        assertEquals(List.of("student-none", "student-sad"), r.models().stream().map(ModelResult::name).toList());
        List<EpochSummary> sad = r.model("student-sad").history();
        List<EpochSummary> plain = r.model("student-none").history();
        assertEquals(0.0, sad.get(0).trainTerms().get("sad"), "off during the warm-up");
        assertTrue(sad.get(1).trainTerms().get("sad") > 0, "on after it");
        // same initial weights and batches: identical until the term switches on, different after
        assertEquals(plain.get(0).trainLoss(), sad.get(0).trainLoss());
        assertEquals(plain.get(0).validationAccuracy(), sad.get(0).validationAccuracy());
        assertNotEquals(r.model("student-none").weightsDigest(), r.model("student-sad").weightsDigest());
        assertEquals("[[\"conv1\",\"conv2\"]]", r.schemeResults().path("pairs").toString());
        assertEquals(1, r.schemeResults().path("warmupEpochs").asInt());
    }

    @Test
    void aStudentWithoutFeatureMapsIsRefusedBeforeTraining(@TempDir Path dir) throws Exception {
        TapException e = assertThrows(TapException.class, () -> new Experiment(config(new MlpSpec(List.of(8), null)),
                FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run());
        assertTrue(e.getMessage().contains("sad") && e.getMessage().contains("feature-map"), e.getMessage());
    }
}

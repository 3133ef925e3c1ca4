package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.distill4j.scheme.DaflScheme;
import org.distill4j.scheme.DeepInversionScheme;
import org.distill4j.scheme.ZsktScheme;
import org.distill4j.scheme.GeneratorSpec;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole data-free runs on the committed slice. */
class DataFreeRunTest {
    static TrainSpec train(int epochs) {
        return new TrainSpec(epochs, 32, new OptimizerSpec.Adam(0.003, null, null, null, null), null);
    }

    static TeacherSpec teacher() {
        return new TeacherSpec(new CnnSpec(List.of(4), 16, true, null), train(1), null);
    }

    @Test
    void daflTrainsItsStudentBesideTheBaselines(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("dafl", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new MlpSpec(List.of(16), null), train(1), new HintonKd(null, null), true), null,
                new DaflScheme(new GeneratorSpec(8, List.of(8, 4), null, null, null, null), null, null, null, null,
                        null, null, 3));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student-none", "student-kd", "student-dafl"),
                r.models().stream().map(ModelResult::name).toList());
        var history = r.model("student-dafl").history();
        assertEquals(1, history.size());
        assertTrue(history.get(0).trainTerms().containsKey("kd"), history.get(0).trainTerms().toString());
    }

    @Test
    void zsktTrainsItsStudent(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("zskt", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new CnnSpec(List.of(2), 8, true, null), train(1), new HintonKd(null, null), false),
                null, new ZsktScheme(new GeneratorSpec(8, List.of(8, 4), null, null, null, null), 1, 2, null, null,
                        null, 3));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student-zskt"), r.models().stream().map(ModelResult::name).toList());
        var terms = r.model("student-zskt").history().get(0).trainTerms();
        assertTrue(terms.containsKey("kl") && terms.containsKey("at"), terms.toString());
    }

    @Test
    void deepInversionSynthesizesThenDistils(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("di", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new MlpSpec(List.of(16), null), train(1), new HintonKd(null, null), false), null,
                new DeepInversionScheme(2, 16, 3, null, null, null, null, null, null, null, null));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student-deep-inversion"), r.models().stream().map(ModelResult::name).toList());
        assertTrue(java.nio.file.Files.exists(dir.resolve("deep-inversion.safetensors")));
        System.out.println(r.schemeResults());
    }
}

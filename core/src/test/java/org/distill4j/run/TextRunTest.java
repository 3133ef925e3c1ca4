package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.SourceSpec;
import org.distill4j.data.TextSpec;
import org.distill4j.method.KdHint;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.NgramMlpSpec;
import org.distill4j.model.TextCnnSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole runs on the committed text slice (48 mails) with the tiny ONNX text encoder standing in for
 * MiniLM: the head is fitted on the pooled embeddings, both text students train from scratch and
 * with KD plus the feature loss on the pooled tap, and the embeddings are computed once per runs folder.
 */
class TextRunTest {
    static final Path SLICE = Path.of("src/test/resources/text-slice").toAbsolutePath();
    static final TrainSpec TRAIN = new TrainSpec(6, 8, new OptimizerSpec.Adam(0.01, null, null, null, null), null);

    static DataSpec data() {
        return DataSpec.of(SourceSpec.text(SLICE.resolve("mail").toString(), null, null,
                new TextSpec(SLICE.resolve("tokenizer.json").toString(), 24, null))).withLimits(0.0, null, null);
    }

    static RunConfig config(ModelSpec student) {
        return new RunConfig("text", 3L, data(), TeacherSpec.imported(SLICE.resolve("tiny-encoder.onnx").toString(),
                null, null, null), new StudentSpec(student, TRAIN, new KdHint(2.0, 0.5, "fc1", "pooled", 1.0), true));
    }

    static RunRecord run(RunConfig cfg, Path dir, List<String> messages) throws Exception {
        RunData data = RunData.load(cfg.data(), SLICE, () -> {
            throw new AssertionError("Fashion-MNIST is not asked for");
        });
        TrainListener listen = new TrainListener() {
            @Override
            public void onMessage(String m) {
                messages.add(m);
            }
        };
        return new Experiment(cfg, data, dir, listen).run();
    }

    @Test
    void bothStudentsLearnFromTheEncoderWithAFittedHead(@TempDir Path dir) throws Exception {
        List<String> first = new ArrayList<>();
        RunRecord cnn = run(config(new TextCnnSpec(4000, 8, 16, 3, 16)), dir.resolve("cnn"), first);
        ModelResult teacher = cnn.model("teacher");
        assertEquals("imported", teacher.method());
        // the head separates the slice's two kinds of mail: far above chance on the test mails
        assertTrue(teacher.metrics().testAccuracy() >= 0.8, "teacher " + teacher.metrics().testAccuracy());
        String fitted = first.stream().filter(m -> m.contains("head fitted")).findFirst().orElseThrow();
        assertTrue(fitted.contains("0 embeddings were kept"), fitted);
        ModelResult kd = cnn.model("student-kd-hint");
        double hint = kd.history().get(0).trainTerms().get("hint");
        double soft = kd.history().get(0).trainTerms().get("kd");
        assertTrue(hint > 0 && soft > 0 && Double.isFinite(hint + soft), hint + " " + soft);
        assertTrue(kd.metrics().agreementTest() != null);
        assertTrue(cnn.model("student-none").metrics().testAccuracy() >= 0.75,
                "from scratch " + cnn.model("student-none").metrics().testAccuracy());
        assertTrue(Files.exists(dir.resolve("cnn/knowledge/teacher.safetensors")), "the knowledge store");

        // a second run in the same runs folder reads every embedding from the cache
        List<String> second = new ArrayList<>();
        RunRecord bag = run(config(new NgramMlpSpec(512, 8, 16)), dir.resolve("bag"), second);
        String again = second.stream().filter(m -> m.contains("head fitted")).findFirst().orElseThrow();
        assertTrue(!again.contains(" 0 embeddings were kept"), again);
        assertEquals(teacher.metrics().testAccuracy(), bag.model("teacher").metrics().testAccuracy(), 1e-12,
                "the same head from the cached embeddings");
        assertTrue(bag.model("student-kd-hint").metrics().testAccuracy() >= 0.75,
                "n-gram bag " + bag.model("student-kd-hint").metrics().testAccuracy());
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Normalisation;
import org.distill4j.data.SourceSpec;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.InputShapeException;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.ResNetSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.TinyData;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole runs on the user's own data (CSV, an image folder, IDX of another size) through {@link Experiment}. */
class OwnDataRunTest {
    static final TrainSpec TWO = new TrainSpec(2, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);

    static RunConfig config(DataSpec data, ModelSpec teacher, ModelSpec student) {
        return config(data, teacher, student, TWO);
    }

    static RunConfig config(DataSpec data, ModelSpec teacher, ModelSpec student, TrainSpec train) {
        return new RunConfig("own", 5L, data, new TeacherSpec(teacher, train, null),
                new StudentSpec(student, train, new HintonKd(4.0, 0.9), false));
    }

    static RunData load(DataSpec spec, Path base) {
        return RunData.load(spec, base, () -> {
            throw new AssertionError("Fashion-MNIST is not asked for");
        });
    }

    @Test
    void csvRunDistilsAnMlpFromAnMlpAndRecordsTheNormalisationAndClasses(@TempDir Path dir) throws Exception {
        TinyData.csv(dir.resolve("data/train.csv"), 60, 1, true, "zebra", "ant", "moth");
        TinyData.csv(dir.resolve("data/test.csv"), 15, 2, true, "moth", "zebra", "ant");
        DataSpec spec = DataSpec.of(SourceSpec.csv("data/train.csv", "data/test.csv", "kind"));
        RunData data = load(spec, dir);
        RunConfig cfg = config(spec.resolvedAgainst(dir), new MlpSpec(List.of(16), null), new MlpSpec(List.of(4), null),
                new TrainSpec(12, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null));
        Path run = dir.resolve("run");
        RunRecord r = new Experiment(cfg, data, run, TrainListener.NONE).run();

        assertEquals(List.of("teacher", "student-kd"), r.models().stream().map(ModelResult::name).toList());
        assertEquals(54, r.dataSizes().get("train")); // 60 rows, validation 0.1
        assertEquals(15, r.dataSizes().get("test"));
        for (ModelResult m : r.models()) {
            assertTrue(m.metrics().testAccuracy() > 0.5, m.name() + ": " + m.metrics().testAccuracy());
        }
        Normalisation n = r.data().normalisation();
        assertEquals("csv", r.data().source());
        assertEquals(List.of("ant", "moth", "zebra"), n.classNames(), "sorted, stable");
        assertEquals(Normalisation.Layout.PER_FEATURE, n.layout());
        assertEquals(List.of(4L), n.sampleShape());
        // statistics of the training file only, by hand for feature 0
        double sum = 0;
        List<String> lines = Files.readAllLines(dir.resolve("data/train.csv"));
        for (String line : lines.subList(1, lines.size())) {
            sum += Double.parseDouble(line.split(",")[0]);
        }
        assertEquals(sum / 60, n.mean().get(0), 1e-4);
        // the record reads back with the same data info; the sidecar of each model holds it too
        assertEquals(r.data(), RunRecord.read(run.resolve("record.json")).data());
        JsonNode side = RunRecord.JSON.readTree(run.resolve("student-kd.model.json").toFile());
        assertEquals("[\"ant\",\"moth\",\"zebra\"]", side.path("normalisation").path("classNames").toString());
        assertEquals("PER_FEATURE", side.path("normalisation").path("layout").asText());
        // the knowledge store names the real normalisation, not Fashion-MNIST's constants
        String store = new String(Files.readAllBytes(run.resolve("knowledge/teacher.safetensors")),
                StandardCharsets.ISO_8859_1);
        assertTrue(store.contains("normalise(per_feature,mean=["), "preprocessing key");
        assertFalse(store.contains("mean=0.286"), "preprocessing key");
    }

    @Test
    void imageFolderRunResizesThreeChannelPngsForACnn(@TempDir Path dir) throws Exception {
        TinyData.pngFolder(dir.resolve("imgs"), 6, 12, 10, 3, "red", "green", "blue");
        DataSpec spec = new DataSpec(0.0, null, null, "images", null, "imgs", null, null, null, null, null,
                List.of(8, 8), 3, 0.34, 1L, null);
        RunData data = load(spec, dir);
        assertArrayEquals(new long[] {3, 8, 8}, data.sampleShape());
        RunConfig cfg = config(spec, new CnnSpec(List.of(8), 16, true, null), new CnnSpec(List.of(4, 8), 16, true, null));
        RunRecord r = new Experiment(cfg, data, dir.resolve("run"), TrainListener.NONE).run();
        assertEquals(12, r.dataSizes().get("train"));
        assertEquals(6, r.dataSizes().get("test"));
        assertEquals(List.of("blue", "green", "red"), r.data().normalisation().classNames());
        assertEquals(Normalisation.Layout.PER_CHANNEL, r.data().normalisation().layout());
        assertEquals(3, r.data().normalisation().mean().size());
        assertEquals("cnn[4, 8]/16", r.models().get(1).architecture());
        assertTrue(Files.exists(dir.resolve("run/student-kd.model.json")));
    }

    @Test
    void idxRunOnSixByFiveImagesWithAResNetTeacherAndACnnStudent(@TempDir Path dir) throws Exception {
        TinyData.idx(dir, "train", 48, 6, 5, 3, 1);
        TinyData.idx(dir, "test", 12, 6, 5, 3, 2);
        DataSpec spec = DataSpec.of(SourceSpec.idx("train-images", "train-labels", "test-images", "test-labels"));
        RunData data = load(spec, dir);
        assertArrayEquals(new long[] {1, 6, 5}, data.sampleShape());
        RunRecord r = new Experiment(config(spec, new ResNetSpec(8, 1), new CnnSpec(List.of(4), 8, true, null)), data,
                dir.resolve("run"), TrainListener.NONE).run();
        assertEquals(List.of("0", "1", "2"), r.data().normalisation().classNames());
        assertEquals(List.of(1L, 6L, 5L), r.data().normalisation().sampleShape());
        assertEquals(12, r.dataSizes().get("test"));
        assertEquals(2, r.models().get(1).history().size());
    }

    @Test
    void aCnnOnCsvVectorsIsAConfigErrorNamingTheModelAndTheShapeBeforeAnythingIsWritten(@TempDir Path dir)
            throws Exception {
        TinyData.csv(dir.resolve("t.csv"), 20, 1, true, "a", "b");
        DataSpec spec = DataSpec.of(SourceSpec.csv("t.csv", null, null));
        RunData data = load(spec, dir);
        RunConfig cfg = config(spec, new MlpSpec(List.of(8), null), new CnnSpec(List.of(8), 16, true, null));
        Path run = dir.resolve("run");
        InputShapeException e = assertThrows(InputShapeException.class,
                () -> new Experiment(cfg, data, run, TrainListener.NONE).run());
        assertTrue(e.getMessage().startsWith("student.model: cnn[8]/16 needs images of shape [C, H, W]"), e.getMessage());
        assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("type: mlp"), e.getMessage());
        assertFalse(Files.exists(run), "nothing written");
        // a ResNet teacher likewise; an MLP flattens any shape; a CNN needs 2^stages pixels a side
        RunConfig resnet = config(spec, new ResNetSpec(8, 1), new MlpSpec(List.of(8), null));
        assertTrue(assertThrows(InputShapeException.class, () -> data.checkModels(resnet)).getMessage()
                .startsWith("teacher.model: resnet8 needs images"));
        new MlpSpec(List.of(8), null).checkInput(new long[] {3, 9, 9});
        e = assertThrows(InputShapeException.class,
                () -> new CnnSpec(List.of(4, 4, 4), 8, true, null).checkInput(new long[] {1, 6, 5}));
        assertTrue(e.getMessage().contains("at least 8×8") && e.getMessage().contains("[1, 6, 5]"), e.getMessage());
    }

    @Test
    void fashionMnistConfigsSerialiseAsBeforeSourcesExisted() throws Exception {
        var mapper = RunRecord.JSON.copy().disable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        assertEquals("{\"validation\":0.1,\"trainLimit\":0,\"testLimit\":0}", mapper.writeValueAsString(DataSpec.defaults()));
        DataSpec named = new DataSpec(null, null, null, "fashion-mnist", null, null, null, null, null, null, null, null,
                null, null, null, null);
        assertEquals(DataSpec.defaults(), named, "source: fashion-mnist is the default, in one canonical form");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DataSpec(null, null, null,
                null, null, "x.csv", null, null, null, null, null, null, null, null, null, null));
        assertTrue(e.getMessage().startsWith("train: only with source idx, csv, images or text"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DataSpec(null, null, null, "cvs", null, "x.csv",
                null, null, null, null, null, null, null, null, null, null));
        assertTrue(e.getMessage().startsWith("source: must be one of fashion-mnist, idx, csv, images"), e.getMessage());
        // relative paths become absolute against the config's directory; absolute ones stay
        DataSpec csv = DataSpec.of(SourceSpec.csv("d/a.csv", "/abs/b.csv", null)).resolvedAgainst(Path.of("/cfg"));
        assertEquals("/cfg/d/a.csv", csv.train());
        assertEquals("/abs/b.csv", csv.test());
    }
}

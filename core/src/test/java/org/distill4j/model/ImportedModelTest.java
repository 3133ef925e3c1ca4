package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.Normalisation;
import org.distill4j.run.RunData;
import org.distill4j.testing.ImportedTeachers;
import org.distill4j.testing.Slice;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imported teachers (made by {@code src/test/resources/imported/make_teachers.py} with PyTorch):
 * through distill4j's data pipeline (Fashion-MNIST normalised, mapped back to raw pixels and
 * prepared as the import says) they give the outputs PyTorch gave, within 1e-5, logits and taps;
 * and every way a file can fail to serve a run is one clear error before anything trains.
 */
class ImportedModelTest {
    static final double TOLERANCE = 1e-5;
    static JsonNode expected;
    static Normalisation fashion;
    static Dataset firstTest;

    static Path resource(String name) {
        return ImportedTeachers.resource(name);
    }

    @BeforeAll
    static void load() throws IOException {
        expected = new ObjectMapper().readTree(resource("expected.json").toFile());
        RunData data = RunData.of(FashionMnist.load(Slice.dir()));
        fashion = data.normalisation();
        firstTest = data.test().head(3);
    }

    static ImportedModel.Spec spec(String file, ImportedModel.Preprocess p, Map<String, String> taps) {
        return new ImportedModel.Spec(resource(file), null, p, taps);
    }

    static final ImportedModel.Preprocess SCALED = ImportedTeachers.SCALED;

    /** Runs the first three test images through the import; compares logits and the features tap. */
    static void assertGivesPyTorchsOutputs(ImportedModel.Spec spec, String featuresTap, String variant) {
        try (NDManager m = NDManager.newBaseManager(); ImportedModel teacher = ImportedModel.open("teacher", spec, fashion)) {
            BatchLoader loader = new BatchLoader(firstTest, 3, false, 0, false);
            Batch batch = loader.load(m, loader.plan(0)[0]);
            Outputs out = teacher.infer(batch.input());
            assertClose(expected.path(variant).path("logits"), out.logits().toFloatArray(), spec + " logits");
            assertClose(expected.path(variant).path("features"), out.get(featuresTap).toFloatArray(),
                    spec + " " + featuresTap);
            assertEquals(List.of(4L, 7L, 7L), List.of(teacher.tapShapes("t").shape(featuresTap).getShape()[0],
                    teacher.tapShapes("t").shape(featuresTap).getShape()[1],
                    teacher.tapShapes("t").shape(featuresTap).getShape()[2]));
        }
    }

    static void assertClose(JsonNode rows, float[] actual, String what) {
        int i = 0;
        double worst = 0;
        for (JsonNode row : rows) {
            for (JsonNode v : row) {
                worst = Math.max(worst, Math.abs(v.asDouble() - actual[i++]));
            }
        }
        assertEquals(actual.length, i, what + ": as many values as PyTorch gave");
        assertTrue(i > 0 && worst <= TOLERANCE, what + ": largest difference from PyTorch " + worst);
    }

    @Test
    void onnxGivesPyTorchsLogitsAndFeatures() {
        assertGivesPyTorchsOutputs(spec("tiny.onnx", null, null), "features", "raw");
        assertGivesPyTorchsOutputs(spec("tiny.onnx", SCALED, null), "features", "scaled");
    }

    @Test
    void torchScriptTupleGivesPyTorchsLogitsAndFeatures() {
        // a tuple's items are output0 (the logits: the first output), output1 …
        assertGivesPyTorchsOutputs(spec("tiny.pt", null, null), "output1", "raw");
        assertGivesPyTorchsOutputs(spec("tiny.pt", SCALED, Map.of("features", "output1")), "features", "scaled");
    }

    @Test
    void torchScriptDictGivesPyTorchsLogitsAndFeatures() {
        assertGivesPyTorchsOutputs(spec("tiny-dict.pt", null, null), "features", "raw");
        assertGivesPyTorchsOutputs(spec("tiny-dict.pt", SCALED, null), "features", "scaled");
    }

    @Test
    void digestsSizesAndTaps() throws IOException {
        try (ImportedModel onnx = ImportedModel.open("teacher", spec("tiny.onnx", null, null), fashion);
                ImportedModel scaled = ImportedModel.open("teacher", spec("tiny.onnx", SCALED, null), fashion);
                ImportedModel pt = ImportedModel.open("teacher", spec("tiny.pt", null, Map.of("hidden", "output1")),
                        fashion)) {
            assertEquals(ImportedModel.sha256(resource("tiny.onnx")), onnx.weightsDigest());
            assertEquals(64, onnx.weightsDigest().length());
            assertEquals(onnx.weightsDigest(), scaled.weightsDigest(), "one file, one digest");
            assertNotEquals(onnx.answersDigest(), scaled.answersDigest(), "other inputs, other answers");
            assertTrue(scaled.answersDigest().startsWith(onnx.weightsDigest()), scaled.answersDigest());
            assertEquals(List.of("logits", "features"), onnx.tapNames());
            assertEquals(List.of("logits", "hidden"), pt.tapNames());
            assertEquals(Map.of("logits", "output0", "hidden", "output1"), pt.taps());
            // conv1 4·25+4, batch norm 4+4, conv2 8·36+8, fc 10·8+10 (running statistics are buffers)
            assertEquals(498, pt.parameterCount());
            // the ONNX export folds batch norm into conv1: 104 + 296 + 90
            assertEquals(490, onnx.parameterCount());
            assertEquals(Files.size(resource("tiny.onnx")), onnx.sizeBytes());
            assertEquals("onnx tiny.onnx", onnx.describe());
            assertEquals(10, onnx.numClasses());
        }
    }

    static String error(ImportedModel.Spec spec, Normalisation data) {
        ImportedModelException e = assertThrows(ImportedModelException.class,
                () -> ImportedModel.open("teacher", spec, data).close());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aFileThatIsNotAModelIsNamed(@TempDir Path dir) throws IOException {
        for (String name : List.of("junk.onnx", "junk.pt")) {
            Path junk = Files.writeString(dir.resolve(name), "not a model at all\n");
            String m = error(new ImportedModel.Spec(junk, null, null, null), fashion);
            assertTrue(m.startsWith("teacher.import: " + junk + " is not a") && m.contains("model"), m);
        }
        Path h5 = Files.writeString(dir.resolve("teacher.h5"), "x");
        String m = error(new ImportedModel.Spec(h5, null, null, null), fashion);
        assertTrue(m.contains(h5.toString()) && m.contains(".onnx") && m.contains(".pt"), m);
        m = error(new ImportedModel.Spec(dir.resolve("missing.onnx"), null, null, null), fashion);
        assertTrue(m.contains("no such file " + dir.resolve("missing.onnx")), m);
    }

    @Test
    void aWrongInputShapeIsNamed() {
        String m = error(new ImportedModel.Spec(resource("tiny.onnx"), List.of(1L, 32L, 32L), null, null), fashion);
        assertTrue(m.startsWith("teacher.inputShape: [1, 32, 32]") && m.contains("[1, 28, 28]")
                && m.contains("tiny.onnx"), m);
        Normalisation rgb = new Normalisation(Normalisation.Layout.PER_CHANNEL, List.of(3L, 28L, 28L),
                List.of(0.5, 0.5, 0.5), List.of(0.2, 0.2, 0.2), FashionMnist.CLASS_NAMES);
        for (String file : List.of("tiny.onnx", "tiny.pt")) {
            m = error(spec(file, null, null), rgb);
            assertTrue(m.startsWith("teacher.import: " + resource(file) + " does not take batches of the data's "
                    + "samples (shape [3, 28, 28])"), m);
        }
    }

    @Test
    void logitsThatAreNotOnePerClassAreNamed() {
        Normalisation three = new Normalisation(Normalisation.Layout.PER_CHANNEL, List.of(1L, 28L, 28L),
                List.of(0.3), List.of(0.35), List.of("a", "b", "c"));
        String m = error(spec("tiny.onnx", null, null), three);
        assertTrue(m.contains("tiny.onnx") && m.contains("output 'logits'") && m.contains("(10)")
                && m.contains("3 classes"), m);
        m = error(spec("tiny.onnx", null, Map.of("logits", "features")), fashion);
        assertTrue(m.contains("output 'features'") && m.contains("(4, 7, 7)") && m.contains("10 classes"), m);
    }

    @Test
    void aTapTheGraphDoesNotHaveListsTheOutputs() {
        String m = error(spec("tiny.onnx", null, Map.of("hint", "feature")), fashion);
        assertTrue(m.startsWith("teacher.taps.hint: " + resource("tiny.onnx") + " has no float32 output 'feature'"), m);
        assertTrue(m.contains("logits (10)") && m.contains("features (4, 7, 7)"), m);
        m = error(spec("tiny.pt", null, Map.of("hint", "features")), fashion);
        assertTrue(m.contains("'features'") && m.contains("output0 (10)") && m.contains("output1 (4, 7, 7)"), m);
    }

    @Test
    void preprocessValuesMustFitTheChannels() {
        ImportedModel.Preprocess three = new ImportedModel.Preprocess(1.0, List.of(0.1, 0.2, 0.3), null);
        String m = error(spec("tiny.onnx", three, null), fashion);
        assertTrue(m.startsWith("teacher.preprocess.mean: 3 values, but the samples have 1 channel"), m);
        assertThrows(IllegalArgumentException.class, () -> new ImportedModel.Preprocess(0.0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ImportedModel.Preprocess(null, null, List.of(0.0)));
        assertThrows(IllegalArgumentException.class,
                () -> new ImportedModel.Preprocess(null, Collections.singletonList(Double.NaN), null));
    }
}

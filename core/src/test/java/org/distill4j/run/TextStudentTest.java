package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.api.ExportFolder;
import org.distill4j.api.Prediction;
import org.distill4j.api.Student;
import org.distill4j.data.Dataset;
import org.distill4j.data.TextSource;
import org.distill4j.data.TextTokenizer;
import org.distill4j.io.DamagedFileException;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.model.NgramMlpSpec;
import org.distill4j.model.TextCnnSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text students leave the run: exported with their tokenizer ({@code tokenizer.json} in the
 * folder, its layers in {@code architecture.json}), and the Java {@link Student} classifies raw
 * strings with the probabilities the run's own evaluation gives the same texts.
 */
class TextStudentTest {
    @TempDir
    static Path dir;

    @Test
    void aTextCnnIsExportedAndPredictsStringsAsTheRunEvaluatesThem() throws Exception {
        check(new TextCnnSpec(4000, 8, 16, 3, 16), "cnn", List.of("tokenembedding", "conv1d", "maskedmaxpool1d"));
    }

    @Test
    void anNgramBagIsExportedAndPredictsStringsAsTheRunEvaluatesThem() throws Exception {
        check(new NgramMlpSpec(512, 8, 16), "bag", List.of("ngrambag"));
    }

    private static void check(ModelSpec spec, String name, List<String> layers) throws Exception {
        Path run = dir.resolve(name);
        org.distill4j.report.RunRecord record = TextRunTest.run(TextRunTest.config(spec), run, new ArrayList<>());
        for (org.distill4j.report.ModelResult r : record.models()) { // token models: latency at batch 1 and 64
            assertTrue(r.metrics().latencyMsBatch1() > 0 && r.metrics().latencyMsPerSampleBatch64() > 0, r.name());
            assertTrue(Double.isNaN(r.metrics().latencyMsPerSampleBatch256()), r.name());
        }
        TextSource.Texts texts = TextSource.texts(TextRunTest.SLICE.resolve("mail"), "text", "label", true);
        TrainedModel m = TrainedModel.find(run, null);
        float[] want;
        int classes = m.classNames().size();
        Path out = dir.resolve(name + "-export");
        try (NDManager root = NDManager.newBaseManager(); Network net = m.load(root);
                TextTokenizer tok = TextTokenizer.open(TextRunTest.SLICE.resolve("tokenizer.json"), 24)) {
            // the run's own evaluation (Predictions.of, as the record's metrics) of every text of the slice
            float[] ids = tok.encode(texts.texts());
            int[] labels = new int[texts.size()];
            Dataset all = Dataset.of("slice", ids, labels, new long[] {24}, classes);
            want = Predictions.of(net, all, root).logits();
            ExportFolder.write(out, m.name(), net, m.preprocessing(), m.classNames(), Map.of(), null, false);
        }
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")), "the export carries its tokenizer");
        ObjectMapper json = new ObjectMapper();
        JsonNode pre = json.readTree(out.resolve(ExportFolder.PREPROCESSING).toFile());
        assertEquals("tokenizer.json", pre.path("text").path("tokenizer").asText(), pre.toString());
        assertEquals(24, pre.path("text").path("maxLength").asInt(), pre.toString());
        assertTrue(json.readTree(out.resolve(ExportFolder.MANIFEST).toFile()).path("files").has("tokenizer.json"));
        String arch = Files.readString(out.resolve(ExportFolder.ARCHITECTURE));
        for (String layer : layers) {
            assertTrue(arch.contains("\"type\" : \"" + layer + "\""), layer + " in " + arch);
        }
        Predictions evaluation = new Predictions(want, classes);
        for (Path from : List.of(run, out)) {
            try (Student student = Student.load(from)) {
                assertTrue(student.readsText(), from.toString());
                List<Prediction> got = student.predict(texts.texts());
                assertEquals(texts.size(), got.size());
                for (int i = 0; i < texts.size(); i++) {
                    double[] p = got.get(i).probabilities();
                    double[] q = evaluation.probabilities(i);
                    for (int c = 0; c < classes; c++) {
                        assertEquals(q[c], p[c], 1e-5, from + ": text " + texts.entries().get(i) + ", class " + c);
                    }
                    assertEquals(evaluation.argMax(i), got.get(i).classIndex());
                }
                // one string alone answers as in the batch
                assertEquals(got.get(5).probabilities()[1], student.predict(texts.texts().get(5)).probabilities()[1],
                        1e-6);
                IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                        () -> student.predict(List.of("Subject: hi", " \n")));
                assertEquals("text 1 is blank; every text needs a character that is not white space", blank.getMessage());
            }
        }
        Student closed = Student.load(out);
        closed.close(); // its tokenizer is freed with it: predicting afterwards is an error, not a native crash
        assertEquals("student " + m.name() + " is closed",
                assertThrows(IllegalStateException.class, () -> closed.predict("Subject: hi")).getMessage());
        // the export's tokenizer is verified like every file of the folder
        Files.writeString(out.resolve("tokenizer.json"), " ", java.nio.file.StandardOpenOption.APPEND);
        DamagedFileException damaged = assertThrows(DamagedFileException.class, () -> Student.load(out));
        assertTrue(damaged.getMessage().startsWith(out.resolve("tokenizer.json") + " is damaged"), damaged.getMessage());
    }
}

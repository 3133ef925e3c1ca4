package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code teacher: {import: …}} from YAML: parsed strictly, the path resolved against the config's
 * directory, digest-neutral for configs without it; and each way an imported file cannot serve
 * the run is exit 2 with one line naming the key and the file, before a run directory exists.
 */
class ImportTeacherCliTest {
    static final Path IMPORTED = Path.of("../core/src/test/resources/imported").toAbsolutePath().normalize();
    static final String STUDENT = """
            student:
              model: {type: cnn, channels: [4], hidden: 16}
              train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
              baseline: false
            """;

    static String teacher(String lines) {
        return "name: imported\ndata: {trainLimit: 100, testLimit: 50}\nteacher:\n" + lines + STUDENT;
    }

    @Test
    void theImportKeysParseAndThePathIsResolvedAgainstTheConfigsDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("models"));
        Path cfg = Files.writeString(dir.resolve("c.yaml"), teacher("""
                  import: models/teacher.onnx
                  inputShape: [1, 28, 28]
                  preprocess: {scale: 255, mean: 72.94, std: [90.02]}
                  taps: {embedding: features}
                """));
        RunConfig c = ConfigLoader.load(cfg);
        assertEquals(dir.resolve("models/teacher.onnx").toString(), c.teacher().imported());
        assertEquals(List.of(1L, 28L, 28L), c.teacher().inputShape());
        assertEquals(255.0, c.teacher().preprocess().scale());
        assertEquals(List.of(72.94), c.teacher().preprocess().mean(), "one value may be written bare");
        assertEquals(Map.of("embedding", "features"), c.teacher().taps());
        assertNull(c.teacher().model());
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen"), "round trip through the frozen config");
        assertTrue(ConfigLoader.toYaml(c).contains("import: "), ConfigLoader.toYaml(c));

        // a config without the import keys serialises as before they existed (its digest is unchanged)
        RunConfig zoo = ConfigLoader.parse(teacher("  model: {type: cnn, channels: [4]}\n  train: {epochs: 1}\n"), "z");
        String yaml = ConfigLoader.toYaml(zoo);
        assertFalse(yaml.contains("import:") || yaml.contains("inputShape") || yaml.contains("preprocess")
                || yaml.contains("taps"), yaml);
    }

    static String parseError(String teacherLines) {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(teacher(teacherLines), "c.yaml"));
        return e.getMessage();
    }

    @Test
    void mixingAnImportWithAZooTeacherOrMisspellingIsAConfigError() {
        String m = parseError("  import: t.onnx\n  model: {type: cnn, channels: [4]}\n");
        assertTrue(m.contains("teacher") && m.contains("takes no 'model', 'train' or 'load'"), m);
        m = parseError("  imprt: t.onnx\n");
        assertTrue(m.contains("unknown key 'imprt'") && m.contains("did you mean 'import'?"), m);
        m = parseError("  model: {type: cnn, channels: [4]}\n  train: {epochs: 1}\n  taps: {a: b}\n");
        assertTrue(m.contains("describe an imported teacher"), m);
        m = parseError("  import: t.onnx\n  preprocess: {std: 0}\n");
        assertTrue(m.contains("teacher.preprocess") && m.contains("std") && m.contains("> 0"), m);
        m = parseError("  import: t.onnx\n  preprocess: {scale: -1}\n");
        assertTrue(m.contains("scale: must be finite and > 0 (got -1.0)"), m);
    }

    static void refused(Path dir, String teacherLines, String... named) throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.yaml"), teacher(teacherLines));
        ReliabilityCliTest.Result r = ReliabilityCliTest.cli("train", "-c", cfg.toString(), "--data",
                ReliabilityCliTest.SLICE.toString(), "--runs", dir.resolve("runs").toString());
        assertEquals(Main.CONFIG_ERROR, r.code(), r.err());
        assertTrue(r.err().startsWith("config error: teacher."), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        for (String n : named) {
            assertTrue(r.err().contains(n), n + " in: " + r.err());
        }
        assertFalse(Files.exists(dir.resolve("runs")), "refused before a run directory was created");
    }

    @Test
    void filesThatCannotServeTheRunStopItBeforeItsDirectoryExists(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.onnx"), "not a model");
        refused(dir, "  import: " + junk + "\n", "teacher.import: " + junk, "is not an ONNX model");
        Path onnx = IMPORTED.resolve("tiny.onnx");
        refused(dir, "  import: " + onnx + "\n  inputShape: [3, 28, 28]\n", "teacher.inputShape: [3, 28, 28]",
                onnx.toString(), "[1, 28, 28]");
        refused(dir, "  import: " + onnx + "\n  taps: {logits: features}\n", onnx.toString(), "10 classes");
        refused(dir, "  import: " + IMPORTED.resolve("tiny.pt") + "\n  taps: {embedding: feature}\n",
                "teacher.taps.embedding", "no float32 output 'feature'", "output1 (4, 7, 7)");
    }
}

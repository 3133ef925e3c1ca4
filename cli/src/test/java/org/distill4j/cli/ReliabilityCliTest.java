package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input and provenance through the CLI: clear errors, exit codes, nothing damaged. */
class ReliabilityCliTest {
    static final Path SLICE = CrashResumeTest.SLICE;
    static final String CONFIG = """
            name: rel
            teacher:
              model: {type: cnn, channels: [4], hidden: 16}
              train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
            student:
              model: {type: mlp, hidden: [8]}
              train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
              baseline: false
            """;

    record Result(int code, String out, String err) {}

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Path train(Path dir, String yaml, Path data) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, yaml);
        Result r = cli("train", "-c", cfg.toString(), "--data", data.toString(), "--runs", dir.resolve("runs").toString());
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            return s.findFirst().orElseThrow();
        }
    }

    @Test
    void reproduceRerunsARecordAndFindsItIdentical(@TempDir Path dir) throws Exception {
        Path run = train(dir, CONFIG, SLICE);
        Result r = cli("reproduce", run.toString(), "--data", SLICE.toString(), "--runs", dir.resolve("runs").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("reproduced: identical weights and metrics"), r.out());
        assertTrue(Files.readString(run.resolve("record.json")).contains("\"teacherDigest\""));
    }

    @Test
    void configDriftOnResumeNamesTheKeysUnlessAccepted(@TempDir Path dir) throws Exception {
        Path run = train(dir, CONFIG, SLICE);
        Files.writeString(dir.resolve("c.yaml"), CONFIG.replace("lr: 0.01}}\n  baseline", "lr: 0.02}}\n  baseline")
                .replace("hidden: [8]", "hidden: [9]"));
        Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("student.model.hidden") && r.err().contains("student.train.optimizer.lr")
                && r.err().contains("--accept-config-change"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void aTeacherOfAnotherArchitectureIsRefusedByName(@TempDir Path dir) throws Exception {
        Path run = train(dir, CONFIG, SLICE);
        String wrong = CONFIG.replace("  model: {type: cnn, channels: [4], hidden: 16}\n  train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}",
                "  model: {type: resnet, depth: 8}\n  load: " + run.resolve("teacher.model"));
        Path cfg = dir.resolve("wrong.yaml");
        Files.writeString(cfg, wrong);
        Result r = cli("train", "-c", cfg.toString(), "--data", SLICE.toString(), "--runs", dir.resolve("runs2").toString());
        assertEquals(4, r.code(), r.err());
        assertTrue(r.err().contains("cnn[4]/16") && r.err().contains("resnet8"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        assertFalse(Files.exists(dir.resolve("runs2")), "refused before a run directory was created");
    }

    @Test
    void corruptAndTruncatedDatasetFilesAreDataErrorsAndNothingIsCreated(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        try (Stream<Path> s = Files.list(SLICE)) {
            for (Path f : s.toList()) {
                Files.copy(f, data.resolve(f.getFileName()));
            }
        }
        Path labels = data.resolve("train-labels-idx1-ubyte.gz");
        byte[] b = Files.readAllBytes(labels);
        Files.write(labels, java.util.Arrays.copyOf(b, b.length / 2));
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, CONFIG);
        Result r = cli("train", "-c", cfg.toString(), "--data", data.toString(), "--runs", dir.resolve("runs").toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().startsWith("data error: ") && r.err().contains("train-labels-idx1-ubyte.gz"), r.err());
        assertFalse(Files.exists(dir.resolve("runs")), "no run directory for bad data");
    }

    @Test
    void resumingACheckpointOfAnUnknownFormatVersionFailsAndDamagesNothing(@TempDir Path dir) throws Exception {
        Path run = train(dir, CONFIG, SLICE);
        Path ckpt;
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            ckpt = s.sorted().reduce((a, b) -> b).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(ckpt);
        ByteBuffer.wrap(bytes).putInt(2 + "distill4j-checkpoint".length(), 7);
        Files.write(ckpt, bytes);
        String recordBefore = Files.readString(run.resolve("record.json"));
        Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(4, r.code(), r.err());
        assertTrue(r.err().contains("format version 7"), r.err());
        assertEquals(recordBefore, Files.readString(run.resolve("record.json")));
        assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(ckpt)), "checkpoint left as it was");
    }
}

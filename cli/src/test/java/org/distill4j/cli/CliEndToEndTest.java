package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on the committed slice of real Fashion-MNIST: a run directory with record and report, and a table. */
class CliEndToEndTest {
    static final Path SLICE = Path.of("../core/src/test/resources/fashion-mnist-slice");

    @Test
    void trainWritesRecordReportAndPrintsTheTable(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                name: e2e
                teacher:
                  model: {type: cnn, channels: [8], hidden: 32}
                  train: {epochs: 2, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
                student:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 2, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
                """);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, "train", "-c", cfg.toString(),
                "--data", SLICE.toString(), "--runs", dir.resolve("runs").toString());
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, table);
        for (String col : new String[] {"params", "test acc", "agree test", "KL test", "ECE", "ms/sample b1", "train s"}) {
            assertTrue(table.contains(col), col + " in:\n" + table);
        }
        assertTrue(table.contains("student-kd (mlp[16])") && table.contains("teacher (cnn[8]/32)"), table);
        try (Stream<Path> runs = Files.list(dir.resolve("runs"))) {
            Path run = runs.findFirst().orElseThrow();
            assertTrue(run.getFileName().toString().endsWith("-e2e"));
            assertTrue(Files.size(run.resolve("record.json")) > 1000);
            assertTrue(Files.readString(run.resolve("report.html")).contains("<img"));
        }
    }

    /** --threads sets the engine's count for the run, and every sitting of the record says which and how. */
    @Test
    void theThreadsARunTrainedWithAreInItsRecord(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, """
                name: threads
                teacher:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.01}}
                student:
                  model: {type: mlp, hidden: [4]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.01}}
                  baseline: false
                """);
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        try {
            int code = Main.run(System.out, System.err, "train", "-c", cfg.toString(), "--threads", "1",
                    "--data", SLICE.toString(), "--runs", dir.resolve("runs").toString());
            assertEquals(0, code);
            Path run;
            try (Stream<Path> runs = Files.list(dir.resolve("runs"))) {
                run = runs.findFirst().orElseThrow();
            }
            org.distill4j.report.RunRecord record = org.distill4j.report.RunRecord.read(run.resolve("record.json"));
            org.distill4j.train.EngineThreads t = record.sittings().get(0).threads();
            assertEquals(1, t.intraOp());
            assertEquals("user", t.chosenBy());
            assertEquals("PASSIVE", t.ompWaitPolicy(), "the record keeps the OpenMP wait policy the tests run with");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            code = Main.run(System.out, new PrintStream(err, true, StandardCharsets.UTF_8), "train", "-c",
                    cfg.toString(), "--threads", "many", "--data", SLICE.toString(), "--runs", dir.resolve("runs").toString());
            assertEquals(2, code);
            assertEquals("config error: --threads: a number of threads, auto or default (got 'many')",
                    err.toString(StandardCharsets.UTF_8).strip());
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
            org.distill4j.train.EngineThreads.forget();
        }
    }

    @Test
    void missingDataDirectoryIsAClearDataError(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(System.out, new PrintStream(err, true, StandardCharsets.UTF_8), "quickstart", "--fast",
                "--data", dir.resolve("nowhere").toString(), "--runs", dir.resolve("runs").toString());
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(3, code, text);
        assertTrue(text.startsWith("data error: ") && text.contains("nowhere"), text);
        assertTrue(!text.contains("\tat "), "no stack trace: " + text);
    }

    @Test
    void unwritableRunsDirectoryIsAClearFileError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(System.out, new PrintStream(err, true, StandardCharsets.UTF_8), "quickstart", "--fast",
                "--data", SLICE.toString(), "--runs", file.resolve("runs").toString());
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(4, code, text);
        assertTrue(text.contains("--runs"), text);
    }
}

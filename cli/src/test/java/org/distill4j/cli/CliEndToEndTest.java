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

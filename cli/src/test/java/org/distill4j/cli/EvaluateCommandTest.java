package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.model.MultiExitSpec;
import org.distill4j.model.Network;
import org.distill4j.model.ResNetSpec;
import org.distill4j.run.RunDirectory;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill evaluate RUN_DIR --early-exit …} on a run directory holding a (untrained) multi-exit network. */
class EvaluateCommandTest {
    static final Path SLICE = Path.of("../core/src/test/resources/fashion-mnist-slice");

    static Path runDir(Path dir) throws Exception {
        RunConfig cfg = ConfigLoader.parse("""
                name: byot
                data: {testLimit: 50}
                student:
                  model: {type: resnet, depth: 8}
                  train: {epochs: 1}
                scheme: {name: byot}
                """, "byot.yaml");
        Path run = Files.createDirectories(dir.resolve("run"));
        RunDirectory.freeze(run, cfg, "byot.yaml");
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(1);
            try (Network net = Network.create(new MultiExitSpec(new ResNetSpec(8, 1)), new long[] {1, 28, 28}, 10, m)) {
                net.save(run.resolve("student-byot.model"));
            }
            try (Network plain = Network.create(new ResNetSpec(8, 1), new long[] {1, 28, 28}, 10, m)) {
                plain.save(run.resolve("student-none.model"));
            }
        }
        return run;
    }

    static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    /**
     * A quantized run trained by the CLI: its table shows the shipped size, and {@code evaluate}
     * loads the shipped {@code .qmodel} and prints exactly the accuracy the run recorded.
     */
    @Test
    void aQuantisedStudentIsEvaluatedFromItsShippedFile(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("q.yaml");
        Files.writeString(config, """
                name: q
                data: {validation: 0.2, testLimit: 100}
                teacher:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 1, batchSize: 64}
                student:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64}
                scheme: {name: quantized, bits: [2], baseline: false}
                """);
        Path runs = dir.resolve("runs");
        String[] train = run("train", "-c", config.toString(), "--data", SLICE.toString(), "--runs", runs.toString());
        assertEquals("0", train[0], train[2]);
        Path run;
        try (var list = Files.list(runs)) {
            run = list.findFirst().orElseThrow();
        }
        var record = org.distill4j.report.RunRecord.read(run.resolve("record.json"));
        var q = record.model("student-q2-kd");
        assertEquals(Files.size(run.resolve("student-q2-kd.qmodel")), q.sizeBytes());
        assertTrue(train[1].contains("bytes") && train[1].contains(String.format(java.util.Locale.ROOT, "%,d",
                q.sizeBytes())), train[1]);
        String[] r = run("evaluate", run.toString(), "--model", "student-q2-kd", "--data", SLICE.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("loaded from the shipped student-q2-kd.qmodel") && r[1].contains(String.format(
                java.util.Locale.ROOT, "test accuracy %.2f%% on 100 samples", 100 * q.metrics().testAccuracy())), r[1]);
    }

    @Test
    void printsEveryExitAndEarlyExitAtEachThreshold(@TempDir Path dir) throws Exception {
        Path run = runDir(dir);
        String[] r = run("evaluate", run.toString(), "--early-exit", "0,1.5", "--latency-samples", "5", "--data",
                SLICE.toString());
        assertEquals("0", r[0], r[2]);
        String out = r[1];
        for (String s : new String[] {"exit1", "exit2", "exit3", "logits", "test acc", "early exit at", "mean exit",
            "exit1 answers", "ms/sample b1"}) {
            assertTrue(out.contains(s), s + " in:\n" + out);
        }
        String zero = out.lines().filter(l -> l.startsWith("p ≥ 0 ")).findFirst().orElseThrow();
        assertTrue(zero.matches(".*\\s1\\.00\\s+100\\.00%\\s+0\\.00%\\s+0\\.00%\\s.*"), "threshold 0: exit 1 answers all\n" + out);
        String above = out.lines().filter(l -> l.startsWith("p ≥ 1.5 ")).findFirst().orElseThrow();
        assertTrue(above.matches(".*\\s3\\.00\\s+0\\.00%\\s+0\\.00%\\s+100\\.00%\\s.*"), "threshold 1.5: the last exit\n" + out);
        assertTrue(r[2].contains("on 50 test samples"), r[2]);
    }

    @Test
    void earlyExitNeedsAMultiExitNetworkAndAnExistingOne(@TempDir Path dir) throws Exception {
        Path run = runDir(dir);
        String[] plain = run("evaluate", run.toString(), "--model", "student-none", "--early-exit", "0.9", "--data",
                SLICE.toString());
        assertEquals("2", plain[0]);
        assertTrue(plain[2].startsWith("config error: --early-exit needs a multi-exit network"), plain[2]);
        String[] missing = run("evaluate", run.toString(), "--model", "student-kd", "--data", SLICE.toString());
        assertEquals("4", missing[0]);
        assertTrue(missing[2].contains("student-kd.model") && missing[2].contains("student-byot"), missing[2]);
        String[] accuracy = run("evaluate", run.toString(), "--model", "student-none", "--data", SLICE.toString());
        assertEquals("0", accuracy[0], accuracy[2]);
        assertTrue(accuracy[1].contains("student-none (resnet8): test accuracy"), accuracy[1]);
    }
}

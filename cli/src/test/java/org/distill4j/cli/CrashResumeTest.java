package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume: a run halted at a point (like {@code kill -9}: no shutdown hooks) and resumed
 * with {@code distill resume} must end with the same weights and the same metrics (all but
 * wall-clock times) as an uninterrupted run. Each run is a child JVM on the real data slice.
 * Checkpoints: every 5 steps and every epoch end; 15 steps per epoch.
 */
class CrashResumeTest {
    static final Path SLICE = Path.of("../core/src/test/resources/fashion-mnist-slice").toAbsolutePath();
    static final String CONFIG = """
            name: crash
            seed: 11
            data: {validation: 0.2}
            checkpoint: {everySteps: 5, keepLast: 2}
            teacher:
              model: {type: cnn, channels: [8], hidden: 32, dropout: 0.2}
              train: {epochs: 2, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
            student:
              model: {type: mlp, hidden: [16], dropout: 0.1}
              train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
            """;

    static Path configFile;
    static RunRecord reference;

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        configFile = dir.resolve("crash.yaml");
        Files.writeString(configFile, CONFIG);
        Path runs = dir.resolve("runs");
        assertEquals(0, cli(List.of(), "train", "-c", configFile.toString(), "--data", SLICE.toString(), "--runs",
                runs.toString()));
        reference = RunRecord.read(onlyRun(runs).resolve("record.json"));
    }

    /** Runs the CLI in a child JVM; its output goes to a log file whose tail a failing assertion shows. */
    static int cli(List<String> faults, String... args) throws IOException, InterruptedException {
        Path log = Files.createTempFile("distill4j-child", ".log");
        Process p = start(faults, log, args);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child finished");
        int code = p.exitValue();
        LAST_LOG.set(log);
        return code;
    }

    /** The log of the last child run by {@link #cli} on this thread. */
    static final ThreadLocal<Path> LAST_LOG = new ThreadLocal<>();

    /** The tail of the last child's output, for assertion messages. */
    static String lastLog() {
        try {
            Path log = LAST_LOG.get();
            if (log == null) {
                return "";
            }
            String text = Files.readString(log);
            return "\n--- child output (tail) ---\n" + text.substring(Math.max(0, text.length() - 3000));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A child JVM running the CLI. The engine's thread counts are pinned (1 intra-op, 1 inter-op,
     * one OpenMP/MKL thread, no dynamic adjustment): the tests compare runs bit for bit, and a run's
     * floating-point results depend on how many threads split its reductions.
     */
    static Process start(List<String> faults, Path log, String... args) throws IOException {
        return start(List.of(), faults, log, args);
    }

    /** As {@link #start(List, Path, String...)}, the JVM started through {@code prefix} (e.g. {@code env …}). */
    static Process start(List<String> prefix, List<String> faults, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Xmx1g", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1"));
        faults.forEach(f -> cmd.add("-Ddistill4j.fault." + f));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.distill4j.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("MKL_NUM_THREADS", "1");
        pb.environment().put("OMP_DYNAMIC", "FALSE");
        pb.environment().put("MKL_DYNAMIC", "FALSE");
        return pb.start();
    }

    static Path onlyRun(Path runs) throws IOException {
        try (Stream<Path> s = Files.list(runs)) {
            List<Path> dirs = s.toList();
            assertEquals(1, dirs.size(), dirs.toString());
            return dirs.get(0);
        }
    }

    /** Halts at the fault, checks nothing finished, resumes, and compares with the uninterrupted run. */
    static void crashAndResume(Path dir, String fault) throws Exception {
        crashAndResume(dir, fault, 137);
    }

    static void crashAndResume(Path dir, String fault, int exitCode) throws Exception {
        crashAndResume(dir, configFile, reference, fault, exitCode);
    }

    /** Runs {@code config} halted at {@code fault}, resumes it, and compares with {@code expected}. */
    static void crashAndResume(Path dir, Path config, RunRecord expected, String fault, int exitCode) throws Exception {
        Path runs = dir.resolve("runs");
        assertEquals(exitCode, cli(List.of(fault), "train", "-c", config.toString(), "--data", SLICE.toString(),
                "--runs", runs.toString()), "halted at " + fault + lastLog());
        Path run = onlyRun(runs);
        assertTrue(Files.notExists(run.resolve("record.json")), "the run did not finish");
        assertEquals(0, cli(List.of(), "resume", run.toString(), "--data", SLICE.toString()), "resumed" + lastLog());
        assertSame(expected, RunRecord.read(run.resolve("record.json")));
    }

    static void assertSameAsReference(RunRecord resumed) {
        assertSame(reference, resumed);
    }

    static void assertSame(RunRecord expected, RunRecord resumed) {
        assertEquals(expected.teacherDigest(), resumed.teacherDigest());
        assertEquals(expected.models().size(), resumed.models().size());
        for (ModelResult m : expected.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name() + lastLog());
        }
    }

    @Test
    void killedBetweenEpochs(@TempDir Path dir) throws Exception {
        crashAndResume(dir, "haltAfterCheckpoint=3"); // right after the teacher's epoch-1 checkpoint
    }

    @Test
    void killedMidEpoch(@TempDir Path dir) throws Exception {
        crashAndResume(dir, "haltAfterStep=22"); // teacher epoch 2, two steps after its last checkpoint
    }

    @Test
    void killedDuringACheckpointWrite(@TempDir Path dir) throws Exception {
        crashAndResume(dir, "haltDuringCheckpoint=4"); // half of checkpoint 4 written; 3 must be used
    }

    @Test
    void killedWhileDistillingAfterEarlierPhasesFinished(@TempDir Path dir) throws Exception {
        crashAndResume(dir, "haltAfterCheckpoint=14"); // in student-kd: teacher and student-none are done
    }

    @Test
    void diskFullDuringACheckpointStopsCleanlyAndResumes(@TempDir Path dir) throws Exception {
        crashAndResume(dir, "failCheckpointWrite=4", Main.IO_ERROR); // exit 4 with a message; checkpoint 3 intact
    }

    @Test
    void realSigkillAtAnArbitraryMoment(@TempDir Path dir) throws Exception {
        Path runs = dir.resolve("runs");
        Process p = start(List.of(), null, "train", "-c", configFile.toString(), "--data", SLICE.toString(), "--runs",
                runs.toString());
        Path checkpoints = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(runs)) {
                try (Stream<Path> s = Files.list(runs)) {
                    Path run = s.findFirst().orElse(null);
                    if (run != null && Files.isDirectory(run.resolve("checkpoints"))) {
                        File[] files = run.resolve("checkpoints").toFile().listFiles((d, n) -> n.endsWith(".ckpt"));
                        if (files != null && files.length >= 2) {
                            checkpoints = run.resolve("checkpoints");
                            break;
                        }
                    }
                }
            }
            Thread.sleep(20);
        }
        assertTrue(checkpoints != null, "checkpoints appeared");
        p.destroyForcibly(); // SIGKILL
        p.waitFor();
        Path run = onlyRun(runs);
        if (Files.exists(run.resolve("record.json"))) {
            return; // finished before the signal landed: nothing to resume
        }
        assertEquals(0, cli(List.of(), "resume", run.toString(), "--data", SLICE.toString()));
        assertSameAsReference(RunRecord.read(run.resolve("record.json")));
    }
}

package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.distill4j.io.RunLock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * I/O errors through the CLI, made with real files in the way (tests run as root, for whom
 * permissions are no obstacle): a file where a directory goes, a directory where a file goes.
 * Each is one line naming the path and what is wrong, exit 4, on a line of its own — never on
 * the progress bar's line; nothing is marked finished that did not finish. Benches lock their
 * work directory. (A full disk is simulated in AtomicFileTest and RunIntegrityTest; a real one,
 * on a small tmpfs, is in bench/results/faults.md.)
 */
class FileErrorsCliTest {
    static final Path SLICE = CrashResumeTest.SLICE;
    static final String CONFIG = ReliabilityCliTest.CONFIG.replace("name: rel", "name: files");

    static Path finished;

    @BeforeAll
    static void oneFinishedRun(@TempDir Path dir) throws Exception {
        finished = ReliabilityCliTest.train(dir, CONFIG, SLICE);
    }

    static ReliabilityCliTest.Result cli(String... args) {
        return ReliabilityCliTest.cli(args);
    }

    /** A copy of the finished run as it was before its record and report were written. */
    static Path unfinished(Path dir) throws IOException {
        Path run = dir.resolve("run");
        RunIntegrityTest.copy(finished, run);
        Files.delete(run.resolve("record.json"));
        Files.delete(run.resolve("report.html"));
        return run;
    }

    /** The one line of {@code err} that starts with {@code prefix}; it must name {@code path}. */
    static String theLine(ReliabilityCliTest.Result r, String prefix, Path path) {
        List<String> lines = r.err().lines().filter(l -> l.startsWith(prefix)).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).contains(path.toString()), r.err());
        return lines.get(0);
    }

    @Test
    void runsIsAFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("runs"), "");
        Path cfg = Files.writeString(dir.resolve("c.yaml"), CONFIG);
        ReliabilityCliTest.Result r = cli("train", "-c", cfg.toString(), "--data", SLICE.toString(), "--runs",
                file.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(theLine(r, "file error: ", file).contains(file + " exists and is not a directory"), r.err());
    }

    @Test
    void theCheckpointDirectoryIsAFile(@TempDir Path dir) throws Exception {
        Path run = unfinished(dir);
        Path checkpoints = run.resolve("checkpoints");
        try (var s = Files.list(checkpoints)) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(checkpoints);
        Files.writeString(checkpoints, "");
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(theLine(r, "file error: ", checkpoints).contains(checkpoints + " exists and is not a directory"),
                r.err());
    }

    /** The report is written before the record: a run whose report failed is not marked finished. */
    @Test
    void theReportIsADirectory(@TempDir Path dir) throws Exception {
        Path run = unfinished(dir);
        Path report = Files.createDirectories(run.resolve("report.html").resolve("inside")).getParent();
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertEquals("file error: cannot write " + report + ": it is a directory, where distill4j writes a file",
                theLine(r, "file error: ", report));
        assertFalse(Files.exists(run.resolve("record.json")), "not marked finished");

        Files.delete(report.resolve("inside"));
        Files.delete(report);
        r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(report) && Files.isRegularFile(run.resolve("record.json")));
    }

    @Test
    void theKnowledgeDirectoryIsAFile(@TempDir Path dir) throws Exception {
        Path run = unfinished(dir);
        Path knowledge = run.resolve("knowledge");
        try (var s = Files.list(knowledge)) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(knowledge);
        Files.writeString(knowledge, "");
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(theLine(r, "file error: ", knowledge).contains(knowledge + " exists and is not a directory"),
                r.err());
    }

    @Test
    void theRecordIsADirectory(@TempDir Path dir) throws Exception {
        Path run = unfinished(dir);
        Path record = Files.createDirectories(run.resolve("record.json").resolve("inside")).getParent();
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(theLine(r, "file error: ", record).toLowerCase(java.util.Locale.ROOT).contains("is a directory"),
                r.err());
    }

    @Test
    void theLockIsADirectory(@TempDir Path dir) throws Exception {
        Path run = unfinished(dir);
        Files.delete(run.resolve(RunLock.FILE));
        Path lock = Files.createDirectories(run.resolve(RunLock.FILE).resolve("inside")).getParent();
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(theLine(r, "file error: ", lock).toLowerCase(java.util.Locale.ROOT).contains("is a directory"),
                r.err());
    }

    @Test
    void aLoadedTeacherIsADirectory(@TempDir Path dir) throws Exception {
        Path teacher = Files.createDirectories(dir.resolve("teacher.model"));
        Path cfg = Files.writeString(dir.resolve("c.yaml"), CONFIG.replace(
                "  train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}\nstudent:",
                "  load: " + teacher + "\nstudent:"));
        ReliabilityCliTest.Result r = cli("train", "-c", cfg.toString(), "--data", SLICE.toString(), "--runs",
                dir.resolve("runs").toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertEquals("file error: " + teacher + " is a directory, not a network file", theLine(r, "file error: ", teacher));
        assertFalse(Files.exists(dir.resolve("runs")), "refused before a run directory was created");
    }

    /** A bench whose work directory another process uses exits at once naming it; its output goes nowhere. */
    @Test
    void aBenchOnALockedWorkDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Path work = Files.createDirectories(dir.resolve("runs").resolve("bench-schemes"));
        Path methodsWork = Files.createDirectories(dir.resolve("methods-work"));
        Path out = dir.resolve("out");
        try (RunLock a = RunLock.acquire(work); RunLock b = RunLock.acquire(methodsWork)) {
            ReliabilityCliTest.Result r = cli("bench", "schemes", "-c", "../bench/schemes.yaml", "--runs",
                    dir.resolve("runs").toString(), "--data", SLICE.toString(), "--out", out.toString());
            assertEquals(Main.RUN_LOCKED, r.code(), r.err());
            assertTrue(theLine(r, "run locked: ", work).contains("process " + ProcessHandle.current().pid()), r.err());
            r = cli("bench", "methods", "-c", "../bench/methods.yaml", "--work", methodsWork.toString(), "--data",
                    SLICE.toString(), "--out", out.toString());
            assertEquals(Main.RUN_LOCKED, r.code(), r.err());
            assertTrue(theLine(r, "run locked: ", methodsWork).contains("process " + ProcessHandle.current().pid()),
                    r.err());
        }
        try (var s = Files.list(work)) {
            assertEquals(List.of(RunLock.FILE), s.map(p -> p.getFileName().toString()).toList(), "nothing written");
        }
    }

    /** A bench's --out that cannot be a directory fails before any work. */
    @Test
    void aBenchOutputThatIsAFileFailsFirst(@TempDir Path dir) throws Exception {
        Path out = Files.writeString(dir.resolve("out"), "");
        Path work = dir.resolve("work");
        ReliabilityCliTest.Result r = cli("bench", "methods", "-c", "../bench/methods.yaml", "--work", work.toString(),
                "--data", SLICE.toString(), "--out", out.toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(theLine(r, "file error: ", out).contains(out + " exists and is not a directory"), r.err());
        assertFalse(Files.exists(work), "no work began");
    }

    /** What a terminal shows of {@code text}: each line as it ends up after its carriage returns. */
    static List<String> shown(String text) {
        return Arrays.stream(text.split("\n", -1)).map(l -> l.substring(l.lastIndexOf('\r') + 1).stripTrailing())
                .toList();
    }

    /**
     * The bar's redraws and the messages share one lock, and an error printed while a bar is still
     * on screen ends its line first. The redraws are made here as the library's timer makes them.
     */
    @Test
    void messagesAndErrorsNeverShareTheBarsLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressListener progress = new ProgressListener(err);
        try {
            progress.onStart("teacher", 2, 10, 0);
            progress.onStep(0, 0, 1.5, 0.1);
            progress.line.accept("teacher    5% [=        ]  1/20 epoch 1/2 loss 1.5000");
            progress.onMessage("note: a message while the bar is shown");
            progress.line.accept("teacher    5% [=        ]  1/20 epoch 1/2 loss 1.5000");
            int code = Main.handle(new IOException("cannot write /runs/x/checkpoints/000001-teacher.ckpt: "
                    + "No space left on device"), err);
            assertEquals(Main.IO_ERROR, code);
        } finally {
            progress.close();
        }
        List<String> lines = shown(bytes.toString(StandardCharsets.UTF_8));
        assertTrue(lines.contains("note: a message while the bar is shown"), lines.toString());
        assertTrue(lines.contains("file error: cannot write /runs/x/checkpoints/000001-teacher.ckpt: "
                + "No space left on device"), lines.toString());
    }
}

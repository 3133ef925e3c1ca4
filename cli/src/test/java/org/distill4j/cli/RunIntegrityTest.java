package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.distill4j.io.RunLock;
import org.distill4j.report.RunRecord;
import org.distill4j.report.Sitting;
import org.distill4j.run.RunDirectory;
import org.distill4j.train.CheckpointStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that cannot be fooled: resume checks the data, the teacher and the config against what the
 * checkpoints were made with; damaged model files are refused; a run directory is locked while a
 * process trains in it; a --seed run resumes without flags; SIGTERM and SIGINT stop at a step with
 * a checkpoint; a finished run is left alone; every sitting is recorded. Child JVMs where a process
 * must die or hold a lock (helpers of {@link CrashResumeTest}), the CLI in this JVM otherwise.
 */
class RunIntegrityTest {
    static final Path SLICE = CrashResumeTest.SLICE;
    static final String CONFIG = """
            name: integrity
            seed: 3
            data: {validation: 0.2}
            checkpoint: {everySteps: 5, keepLast: 2}
            teacher:
              model: {type: cnn, channels: [4], hidden: 16}
              train: {epochs: 2, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
            student:
              model: {type: mlp, hidden: [8]}
              train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}
              baseline: false
            """;

    static Path shared;
    static Path finished;

    @BeforeAll
    static void oneFinishedRun(@TempDir Path dir) throws Exception {
        shared = dir;
        finished = ReliabilityCliTest.train(dir, CONFIG, SLICE);
    }

    static ReliabilityCliTest.Result cli(String... args) {
        return ReliabilityCliTest.cli(args);
    }

    /** A run halted (as by kill -9) in the teacher's first epoch, by a child JVM. */
    static Path halted(Path dir, String yaml, String... extra) throws Exception {
        Files.createDirectories(dir);
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, yaml);
        Path runs = dir.resolve("runs");
        List<String> args = new java.util.ArrayList<>(List.of("train", "-c", cfg.toString(), "--data",
                SLICE.toString(), "--runs", runs.toString()));
        args.addAll(List.of(extra));
        assertEquals(137, CrashResumeTest.cli(List.of("haltAfterStep=8"), args.toArray(String[]::new)),
                CrashResumeTest.lastLog());
        return CrashResumeTest.onlyRun(runs);
    }

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A copy of the data slice with one byte of the training labels changed. */
    static Path oneLabelChanged(Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("modified"));
        try (Stream<Path> s = Files.list(SLICE)) {
            for (Path f : s.toList()) {
                Files.copy(f, data.resolve(f.getFileName()));
            }
        }
        Path labels = data.resolve("train-labels-idx1-ubyte.gz");
        byte[] raw;
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(labels))) {
            raw = in.readAllBytes();
        }
        raw[8 + 3] = (byte) ((raw[8 + 3] + 1) % 10); // the fourth label (after the 8-byte IDX header)
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        }
        Files.write(labels, bytes.toByteArray());
        return data;
    }

    @Test
    void changedDataIsRefusedNamingTheFileAndAnAcceptedChangeIsRecorded(@TempDir Path dir) throws Exception {
        Path run = halted(dir, CONFIG);
        Path data = oneLabelChanged(dir);
        List<String> before = listing(run.resolve("checkpoints"));

        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", data.toString());
        assertEquals(Main.DATA_ERROR, r.code(), r.err());
        // (the halted process left its lock behind: the resume took it over and said so first)
        String error = r.err().lines().filter(l -> l.startsWith("data error: ")).findFirst().orElse("");
        assertTrue(error.contains("data.train (") && error.contains("data.file train-labels-idx1-ubyte.gz (")
                && error.contains(data.toString()) && error.contains("--accept-data-change"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("data error")).count(), r.err());
        assertEquals(before, listing(run.resolve("checkpoints")), "nothing written");
        assertFalse(Files.exists(run.resolve("record.json")));

        // a stale lock (its process gone, no OS lock held) is taken over and said so
        Files.writeString(run.resolve(RunLock.FILE), "999999999 " + java.net.InetAddress.getLocalHost().getHostName()
                + " 2026-01-01T00:00:00Z\n");
        r = cli("resume", run.toString(), "--data", data.toString(), "--accept-data-change");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("took over the stale lock of process 999999999"), r.err());
        RunRecord record = RunRecord.read(run.resolve("record.json"));
        assertEquals(2, record.sittings().size());
        Sitting second = record.sittings().get(1);
        assertTrue(second.accepted().stream().anyMatch(a -> a.startsWith("data.train ("))
                && second.accepted().stream().anyMatch(a -> a.contains("train-labels-idx1-ubyte.gz")), second.toString());
        assertTrue(record.sittings().get(0).accepted().isEmpty());
        assertEquals(null, record.sittings().get(0).resumedFrom());
        assertTrue(second.resumedFrom().endsWith(".ckpt"));
        assertEquals(record.sittings().stream().mapToDouble(Sitting::seconds).sum(), record.totalSeconds(), 1e-9);
        assertEquals(record.provenance().data().get("train"), record.dataDigests().get("train"));
        assertNotEquals(RunRecord.read(finished.resolve("record.json")).dataDigests().get("train"),
                record.dataDigests().get("train"), "the record carries the data the run finished with");

        // the original data now differs from what the run's checkpoints were made with
        String recordBytes = Files.readString(run.resolve("record.json"));
        r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.DATA_ERROR, r.code(), r.err());
        assertEquals(recordBytes, Files.readString(run.resolve("record.json")));
    }

    @Test
    void aDamagedTeacherFileIsRefusedNamingItBeforeAnythingIsCreated(@TempDir Path dir) throws Exception {
        Path teacher = dir.resolve("teacher.model");
        byte[] b = Files.readAllBytes(finished.resolve("teacher.model"));
        for (int i = b.length / 2; i < b.length / 2 + 16; i++) {
            b[i] ^= (byte) 0xFF;
        }
        Files.write(teacher, b);
        Path cfg = dir.resolve("load.yaml");
        Files.writeString(cfg, CONFIG.replace("  train: {epochs: 2, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}",
                "  load: " + teacher));
        ReliabilityCliTest.Result r = cli("train", "-c", cfg.toString(), "--data", SLICE.toString(), "--runs",
                dir.resolve("runs").toString());
        assertEquals(Main.IO_ERROR, r.code(), r.err());
        assertTrue(r.err().startsWith("file error: " + teacher + " is damaged") && r.err().contains("SHA-256"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("runs")), "refused before a run directory was created");
    }

    /** A load: teacher replaced by another valid network between sittings: exit 2 naming it, unless accepted. */
    @Test
    void aChangedTeacherIsRefusedOnResumeUnlessAccepted(@TempDir Path dir) throws Exception {
        Path teacher = dir.resolve("teacher.model");
        Files.copy(finished.resolve("teacher.model"), teacher);
        Path run = halted(dir, CONFIG.replace("  train: {epochs: 2, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}",
                "  load: " + teacher)); // halted in student-kd: the teacher's digest is in the checkpoints
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                org.distill4j.model.Network a = org.distill4j.model.Network.load(teacher, null, m)) {
            org.distill4j.train.Seeds.apply(99);
            try (org.distill4j.model.Network b = org.distill4j.model.Network.create(a.spec(), a.sampleShape(),
                    a.numClasses(), m)) {
                b.save(teacher);
            }
        }
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.CONFIG_ERROR, r.code(), r.err());
        String error = r.err().lines().filter(l -> l.startsWith("config error: ")).findFirst().orElse("");
        assertTrue(error.contains("the teacher " + teacher) && error.contains("weights digest")
                && error.contains("--accept-teacher-change"), r.err());
        assertFalse(Files.exists(run.resolve("record.json")));
        r = cli("resume", run.toString(), "--data", SLICE.toString(), "--accept-teacher-change");
        assertEquals(0, r.code(), r.err());
        RunRecord record = RunRecord.read(run.resolve("record.json"));
        assertTrue(record.sittings().get(1).accepted().stream().anyMatch(a -> a.startsWith("teacher (")),
                record.sittings().toString());
        assertEquals(record.teacherDigest(), record.provenance().teacher());
    }

    @Test
    void resumingAFinishedRunSaysSoAndChangesNothing(@TempDir Path dir) throws Exception {
        String record = Files.readString(finished.resolve("record.json"));
        List<String> checkpoints = listing(finished.resolve("checkpoints"));
        ReliabilityCliTest.Result r = cli("resume", finished.toString(), "--data", SLICE.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("finished already") && r.err().contains("nothing changed"), r.err());
        assertEquals(record, Files.readString(finished.resolve("record.json")));
        assertEquals(checkpoints, listing(finished.resolve("checkpoints")));
        RunRecord once = RunRecord.read(finished.resolve("record.json"));
        assertEquals(1, once.sittings().size());
        assertEquals(once.sittings().get(0).seconds(), once.totalSeconds(), 1e-9);
    }

    /** Another process holds the lock: a second resume exits at once (7) naming it, and writes nothing. */
    @Test
    void aLockedRunIsRefusedNamingTheHolder(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        copy(finished, run);
        Files.delete(run.resolve("record.json"));
        List<String> before = listing(run.resolve("checkpoints"));
        try (RunLock lock = RunLock.acquire(run)) {
            int code = CrashResumeTest.cli(List.of(), "resume", run.toString(), "--data", SLICE.toString());
            String log = CrashResumeTest.lastLog();
            assertEquals(Main.RUN_LOCKED, code, log);
            assertTrue(log.contains("run locked: ") && log.contains("process " + ProcessHandle.current().pid())
                    && log.contains(RunLock.FILE), log);
            // the same JVM is refused too
            ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
            assertEquals(Main.RUN_LOCKED, r.code(), r.err());
        }
        assertEquals(before, listing(run.resolve("checkpoints")));
        assertFalse(Files.exists(run.resolve("record.json")));
        assertEquals("", Files.readString(run.resolve(RunLock.FILE)), "a released lock is empty");
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    /** train --seed N, halted, resumes without flags and ends as the uninterrupted --seed N run. */
    @Test
    void aSeedOverrideResumesWithoutFlagsAndEndsAsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, CONFIG);
        Path refRuns = dir.resolve("ref");
        assertEquals(0, CrashResumeTest.cli(List.of(), "train", "-c", cfg.toString(), "--seed", "42", "--data",
                SLICE.toString(), "--runs", refRuns.toString()), CrashResumeTest.lastLog());
        RunRecord reference = RunRecord.read(CrashResumeTest.onlyRun(refRuns).resolve("record.json"));
        assertEquals(42, reference.seed());

        Path run = halted(dir.resolve("halted"), CONFIG, "--seed", "42");
        int code = CrashResumeTest.cli(List.of(), "resume", run.toString(), "--data", SLICE.toString());
        String log = CrashResumeTest.lastLog();
        assertEquals(0, code, log);
        assertFalse(log.contains("seed ("), "the seed is not reported as a change: " + log);
        RunRecord resumed = RunRecord.read(run.resolve("record.json"));
        assertEquals(42, resumed.seed());
        assertEquals(resumed.config().digest(), RunDirectory.frozenConfig(run).digest());
        CrashResumeTest.assertSame(reference, resumed);
    }

    /** An accepted config change is written into the run's config.yaml and record: reproduce accepts the run. */
    @Test
    void anAcceptedConfigChangeIsWrittenIntoTheRunAndReproduceWorks(@TempDir Path dir) throws Exception {
        Path run = halted(dir, CONFIG);
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, CONFIG.replace("train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.01}}",
                "train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.02}}"));
        ReliabilityCliTest.Result r = cli("resume", run.toString(), "--data", SLICE.toString());
        assertEquals(Main.CONFIG_ERROR, r.code(), r.err());
        r = cli("resume", run.toString(), "--data", SLICE.toString(), "--accept-config-change");
        assertEquals(0, r.code(), r.err());
        RunRecord record = RunRecord.read(run.resolve("record.json"));
        assertEquals(0.02, record.config().student().train().optimizer().lr(), 1e-12);
        assertEquals(record.config().digest(), RunDirectory.frozenConfig(run).digest(),
                "config.yaml says what the run did");
        assertTrue(record.sittings().get(1).accepted().stream().anyMatch(a -> a.contains("student.train.optimizer.lr")),
                record.sittings().toString());
        r = cli("reproduce", run.toString(), "--data", SLICE.toString(), "--runs", dir.resolve("again").toString());
        assertNotEquals(Main.CONFIG_ERROR, r.code(), r.err());
        assertTrue(r.code() == 0 || r.code() == Main.NOT_REPRODUCED, r.out() + r.err());
        assertTrue(r.err().contains("accepted changes while it ran"), r.err());
    }

    /** A full disk: exit 4, the message names the checkpoint file, on a line of its own. */
    @Test
    void aFullDiskNamesThePathOnALineOfItsOwn(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, CONFIG);
        assertEquals(Main.IO_ERROR, CrashResumeTest.cli(List.of("failCheckpointWrite=1"), "train", "-c",
                cfg.toString(), "--data", SLICE.toString(), "--runs", dir.resolve("runs").toString()));
        String log = Files.readString(CrashResumeTest.LAST_LOG.get());
        assertTrue(log.lines().anyMatch(l -> l.startsWith("file error: cannot write ")
                && l.contains("checkpoints/000001-teacher.ckpt") && l.contains("No space left on device")), log);
    }

    /** Whether {@code env --default-signal} (GNU coreutils ≥ 8.31) is there. */
    static final boolean DEFAULT_SIGNAL_ENV = defaultSignalEnv();

    static boolean defaultSignalEnv() {
        try {
            return new ProcessBuilder("env", "--default-signal=INT", "true").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Waits (no time limit asserted beyond the child's own) for a checkpoint, then sends a signal. */
    static Process startAndSignal(Path dir, String signal) throws Exception {
        Path cfg = dir.resolve("long.yaml");
        // long enough that the run cannot finish between its first checkpoint and the signal
        Files.writeString(cfg, CONFIG.replace("epochs: 2", "epochs: 30"));
        Path runs = dir.resolve("runs");
        Path log = dir.resolve("child.log");
        // a child inherits an ignored SIGINT (e.g. from a background shell); env restores its default
        List<String> prefix = signal.equals("INT") && DEFAULT_SIGNAL_ENV ? List.of("env", "--default-signal=INT")
                : List.of();
        Process p = CrashResumeTest.start(prefix, List.of(), log, "train", "-c", cfg.toString(), "--data", SLICE.toString(),
                "--runs", runs.toString());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        boolean checkpointed = false;
        while (!checkpointed && p.isAlive() && System.nanoTime() < deadline) {
            if (Files.isDirectory(runs)) {
                try (Stream<Path> s = Files.walk(runs)) {
                    checkpointed = s.anyMatch(f -> f.toString().endsWith(".ckpt"));
                }
            }
            Thread.sleep(20);
        }
        assertTrue(checkpointed, "a checkpoint appeared" + Files.readString(log));
        if (signal.equals("TERM")) {
            p.destroy(); // SIGTERM
        } else {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        }
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        return p;
    }

    static void assertStoppedWithACheckpoint(Path dir, Process p, int code, String signal) throws Exception {
        assertStoppedWithACheckpoint(dir, p, code, signal, "teacher", "");
    }

    /**
     * The child exited with {@code code}, its last line saying it stopped by the signal in
     * {@code phase} after a step (the step: {@code step}, unless empty), naming the checkpoint
     * written (of that phase) and how to resume; no record.
     */
    static CheckpointStore.Loaded assertStoppedWithACheckpoint(Path dir, Process p, int code, String signal,
            String phase, String step) throws Exception {
        String log = Files.readString(dir.resolve("child.log"));
        assertEquals(code, p.exitValue(), log);
        Path run = CrashResumeTest.onlyRun(dir.resolve("runs"));
        String last = log.lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("stopped by SIG" + signal + " in phase " + phase + " after step " + step)
                && last.endsWith("resume with: ./distill resume " + run), log);
        String name = last.replaceAll(".*checkpoint (\\S+\\.ckpt) written.*", "$1");
        CheckpointStore.Loaded ckpt = CheckpointStore.read(run.resolve("checkpoints").resolve(name));
        assertEquals(phase, ckpt.meta().phase());
        assertFalse(Files.exists(run.resolve("record.json")));
        return ckpt;
    }

    /**
     * Sends {@code signal} to a child paused (a test hook) right after the run's step
     * {@code runStep}: the signal lands exactly there, whatever the machine's load.
     */
    static Process signalAfterRunStep(Path dir, int runStep, String signal) throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, CONFIG);
        Path marker = dir.resolve("paused");
        List<String> prefix = signal.equals("INT") && DEFAULT_SIGNAL_ENV ? List.of("env", "--default-signal=INT")
                : List.of();
        Process p = CrashResumeTest.start(prefix, List.of("pauseAfterRunStep=" + runStep, "pauseMarker=" + marker),
                dir.resolve("child.log"), "train", "-c", cfg.toString(), "--data", SLICE.toString(), "--runs",
                dir.resolve("runs").toString());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(marker) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(marker), "the child paused" + Files.readString(dir.resolve("child.log")));
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        return p;
    }

    /** A signal in the last step of a phase: the checkpoint at the phase's end, not one in the next phase. */
    @Test
    void aSignalInTheLastStepOfAPhaseStopsAtItsEnd(@TempDir Path dir) throws Exception {
        Process p = signalAfterRunStep(dir, 30, "TERM"); // the teacher's 2 epochs of 15 steps
        CheckpointStore.Loaded ckpt = assertStoppedWithACheckpoint(dir, p, Main.STOPPED_BY_SIGTERM, "TERM", "teacher",
                "30;");
        assertEquals(2, ckpt.meta().progress().get("teacher").epoch(), "saved at the end of its last epoch");
    }

    /** A signal in the last step of the run: a checkpoint and exit 130, not a finished run. */
    @Test
    void aSignalInTheLastStepOfTheRunStopsWithACheckpoint(@TempDir Path dir) throws Exception {
        List<org.distill4j.report.ModelResult> models = RunRecord.read(finished.resolve("record.json")).models();
        String last = models.get(models.size() - 1).name();
        Process p = signalAfterRunStep(dir, 30 + 15, "INT"); // then the student's 1 epoch of 15 steps
        assertStoppedWithACheckpoint(dir, p, Main.STOPPED_BY_SIGINT, "INT", last, "15;");
    }

    @Test
    void sigtermWritesACheckpointAndExits143AndTheRunResumes(@TempDir Path dir) throws Exception {
        Process p = startAndSignal(dir, "TERM");
        assertStoppedWithACheckpoint(dir, p, Main.STOPPED_BY_SIGTERM, "TERM");
        // resuming from a mid-epoch checkpoint ends exactly as an uninterrupted run: CrashResumeTest
    }

    @Test
    void sigintWritesACheckpointAndExits130(@TempDir Path dir) throws Exception {
        Process p = startAndSignal(dir, "INT");
        assertStoppedWithACheckpoint(dir, p, Main.STOPPED_BY_SIGINT, "INT");
    }
}

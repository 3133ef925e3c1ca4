package org.distill4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.io.AtomicFile;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunData;

/**
 * A bench's index of its runs, {@code <work>/runs.json}: a key per run (its name, seed and config
 * digest) mapped to its run directory, written as soon as a directory is made. A bench started
 * again reads a finished run back, resumes an interrupted one from its checkpoints, and runs the
 * rest, so a table can be finished over several sittings. Runs on the same data source share one
 * load. Used by {@link RunBench} and {@code bench kd}.
 */
final class BenchIndex {
    private final ObjectNode dirs;
    private final Path index;
    private final RunOptions options;
    private final Main main;
    private final PrintStream err;
    private final Map<DataSpec, RunData> loaded = new HashMap<>();

    private BenchIndex(ObjectNode dirs, Path index, RunOptions options, Main main, PrintStream err) {
        this.dirs = dirs;
        this.index = index;
        this.options = options;
        this.main = main;
        this.err = err;
    }

    /** The index of work directory {@code work} (empty if the bench has not run there yet). */
    static BenchIndex open(Path work, RunOptions options, Main main, PrintStream err) throws IOException {
        Path index = work.resolve("runs.json");
        ObjectNode dirs;
        try {
            dirs = Files.exists(index) ? (ObjectNode) RunRecord.JSON.readTree(index.toFile())
                    : RunRecord.JSON.createObjectNode();
        } catch (IOException | ClassCastException e) {
            throw new IOException("cannot read the bench index " + index + " (" + e.getMessage()
                    + "): repair or delete it (its runs stay where they are)", e);
        }
        return new BenchIndex(dirs, index, options, main, err);
    }

    /** The directory of run {@code key} if it finished earlier, else null. */
    Path finished(String key) {
        Path dir = dirs.has(key) ? Path.of(dirs.get(key).asText()) : null;
        return dir != null && Files.exists(dir.resolve(Experiment.RECORD)) ? dir : null;
    }

    /** Drops run {@code key} from the index (its directory stays), so it runs anew in a new directory. */
    void forget(String key) {
        dirs.remove(key);
    }

    /**
     * The directory of the finished run {@code key} of {@code cfg}: read back, resumed, or run now.
     *
     * @param source where the config came from, as the run directory records it
     * @param dirName the new run directory's name after its time stamp
     * @param what the progress line's start, e.g. {@code "seed 1/3 → "}
     */
    Path runOrRead(String key, RunConfig cfg, String source, String dirName, String what) throws Exception {
        Path done = finished(key);
        if (done != null) {
            err.println(what + done + ": finished earlier");
            return done;
        }
        Path dir = dirs.has(key) ? Path.of(dirs.get(key).asText()) : null;
        // Each run's config names its data; runs on the same source share one load (limits apply later).
        RunData data = loaded.get(cfg.data().withLimits(null, null, null));
        if (data == null) {
            data = DataLoader.load(cfg, options.data, err);
            loaded.put(cfg.data().withLimits(null, null, null), data);
        } else {
            data.checkModels(cfg);
        }
        if (dir == null || !Files.isDirectory(dir)) {
            dir = options.newRunDir(dirName);
            org.distill4j.run.RunDirectory.freeze(dir, cfg, source);
            dirs.put(key, dir.toString());
            AtomicFile.write(index, o -> RunRecord.JSON.writeValue(o, dirs));
        }
        err.println(what + dir);
        // Experiment resumes from the directory's checkpoints if an earlier bench was interrupted
        // (or stopped by SIGTERM / SIGINT, which checkpoints it: the bench started again continues).
        RunData runData = data;
        Path runDir = dir;
        try (org.distill4j.io.RunLock runLock = TrainCommand.locked(dir, main);
                ProgressListener progress = new ProgressListener(err)) {
            Main.obeyingStops(() -> new Experiment(cfg, runData, runDir, progress)
                    .stoppedBy(Main.stopRequest()).run());
        }
        return dir;
    }

    /**
     * The copy of a finished run's record at {@code copy} (a file a bench commits, so that a resume in
     * a fresh checkout, whose {@code runs/} is empty, trains only what is missing), if there is one
     * made from this very config; else null (a copy from another config is said and ignored).
     */
    static RunRecord committedRecord(Path copy, RunConfig cfg, PrintStream err) throws IOException {
        if (!Files.exists(copy)) {
            return null;
        }
        RunRecord r = RunRecord.read(copy);
        if (!cfg.digest().equals(r.config().digest())) {
            err.println("run record " + copy + " was made from another config: that run trains again");
            return null;
        }
        return r;
    }

    /** Copies finished run {@code dir}'s record to {@code copy} (the file a bench commits) and returns it. */
    static RunRecord copyRecord(Path dir, Path copy) throws IOException {
        byte[] bytes = Files.readAllBytes(dir.resolve(Experiment.RECORD));
        AtomicFile.write(copy, o -> o.write(bytes));
        return RunRecord.read(copy);
    }
}

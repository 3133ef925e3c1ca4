package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.io.RunLock;
import org.distill4j.run.RunData;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunDirectory;
import org.distill4j.train.StoppedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distill train -c FILE.yaml}: one run of a config. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a teacher (or load it) and distil a student, as a YAML config says.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "run config (YAML); see examples/")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "change one config key for this run, e.g. --set student.train.epochs=2 --set data.source=csv;"
                    + " validated like the file; the run directory's config.yaml and record hold the result")
    java.util.List<String> overrides = new java.util.ArrayList<>();

    @Mixin
    SeedOption seed;

    @Mixin
    RunOptions options;

    @picocli.CommandLine.ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        RunConfig cfg = ConfigLoader.load(config, overrides);
        cfg = seed.apply(cfg);
        return execute(cfg, options, main, config.toAbsolutePath().toString(), seed.seed, overrides);
    }

    static int execute(RunConfig cfg, RunOptions options, Main main, String source) throws Exception {
        return execute(cfg, options, main, source, null, java.util.List.of());
    }

    /** Validates data and output first, then runs (its directory locked) and prints the table. */
    static int execute(RunConfig cfg, RunOptions options, Main main, String source, Long seedOverride,
            java.util.List<String> overrides) throws Exception {
        options.setUpThreads(main.err);
        RunData data = DataLoader.load(cfg, options.data, main.err);
        data.checkLoadedTeacher(cfg);
        Path dir = options.newRunDir(cfg.name());
        try (RunLock lock = locked(dir, main)) {
            RunDirectory.freeze(dir, cfg, source, seedOverride, overrides);
            main.err.println("run directory " + dir + " · data " + DataLoader.describe(data) + " · resume with: ./distill resume "
                    + dir);
            return supervise(dir, main, progress -> new Experiment(cfg, data, dir, progress).recordingDataFiles());
        }
    }

    /** Locks a run directory for this process, saying so when it takes over a stale lock. */
    static RunLock locked(Path dir, Main main) throws java.io.IOException {
        RunLock lock = RunLock.acquire(dir);
        if (lock.takenOver() != null) {
            main.err.println(dir + ": " + lock.takenOver());
        }
        return lock;
    }

    /**
     * Runs an experiment under this process's stop request, its progress bar closed before any
     * message follows; prints the table. A stop (SIGTERM, SIGINT) is exit 143 / 130 with how to
     * resume; one that came after the last training step (while the last network was evaluated or
     * the record written) lets the run finish, and says so.
     */
    static int supervise(Path dir, Main main, java.util.function.Function<ProgressListener, Experiment> experiment)
            throws Exception {
        RunRecord record;
        try (ProgressListener progress = new ProgressListener(main.err)) {
            try {
                record = Main.obeyingStops(() -> experiment.apply(progress).stoppedBy(Main.stopRequest()).run());
            } catch (StoppedException e) {
                progress.close();
                main.err.println(e.getMessage() + "; resume with: ./distill resume " + dir);
                return "SIGINT".equals(e.reason()) ? Main.STOPPED_BY_SIGINT : Main.STOPPED_BY_SIGTERM;
            }
        }
        String late = Main.stopRequest().requested();
        if (late != null) {
            main.err.println(late + " came after the last training step: the run finished (" + dir.resolve(Experiment.RECORD)
                    + ") instead of stopping");
        }
        RunPrinter.print(record, dir, main.out);
        return 0;
    }
}

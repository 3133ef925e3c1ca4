package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
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
        return execute(cfg, options, main, config.toAbsolutePath().toString(), overrides);
    }

    /** Validates data and output first, then runs and prints the table. */
    static int execute(RunConfig cfg, RunOptions options, Main main, String source) throws Exception {
        return execute(cfg, options, main, source, java.util.List.of());
    }

    static int execute(RunConfig cfg, RunOptions options, Main main, String source, java.util.List<String> overrides)
            throws Exception {
        RunData data = DataLoader.load(cfg, options.data, main.err);
        if (cfg.teacher() != null && cfg.teacher().load() != null) {
            org.distill4j.model.Network.checkSaved(Path.of(cfg.teacher().load()), cfg.teacher().model());
            DataLoader.checkLoadedTeacher(Path.of(cfg.teacher().load()), cfg, data);
        }
        Path dir = options.newRunDir(cfg.name());
        RunOptions.freeze(dir, cfg, source, overrides);
        main.err.println("run directory " + dir + " · data " + DataLoader.describe(data) + " · resume with: ./distill resume "
                + dir);
        RunRecord record = new Experiment(cfg, data, dir, new ProgressListener(main.err)).run();
        RunPrinter.print(record, dir, main.out);
        return 0;
    }
}

package org.distill4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.config.RunConfig;
import org.distill4j.data.FashionMnist;
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

    @Mixin
    SeedOption seed;

    @Mixin
    RunOptions options;

    @picocli.CommandLine.ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        RunConfig cfg = ConfigLoader.load(config);
        cfg = seed.apply(cfg);
        return execute(cfg, options, main, config.toAbsolutePath().toString());
    }

    /** Validates data and output first, then runs and prints the table. */
    static int execute(RunConfig cfg, RunOptions options, Main main, String source) throws Exception {
        Path dataDir = DataLocator.locate(options.data, main.err);
        FashionMnist.Splits data = FashionMnist.load(dataDir);
        if (cfg.teacher() != null && cfg.teacher().load() != null) {
            org.distill4j.model.Network.checkSaved(Path.of(cfg.teacher().load()), cfg.teacher().model());
        }
        Path dir = options.newRunDir(cfg.name());
        RunOptions.freeze(dir, cfg, source);
        main.err.println("run directory " + dir + " · data " + dataDir + " · resume with: ./distill resume " + dir);
        RunRecord record = new Experiment(cfg, data, dir, new ProgressListener(main.err)).run();
        RunPrinter.print(record, dir, main.out);
        return 0;
    }
}

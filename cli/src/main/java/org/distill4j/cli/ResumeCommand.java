package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill resume runs/<id>}: continues an interrupted run from its newest checkpoint with
 * the config frozen in the run directory. If the YAML the run came from has changed since, the
 * differing keys are named and nothing runs, unless {@code --accept-config-change}.
 */
@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Continue an interrupted run from its newest checkpoint; ends where an uninterrupted run would.")
final class ResumeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "the run directory, e.g. runs/20261123-120000-quickstart")
    Path runDir;

    @Option(names = "--accept-config-change", description = "resume with the changed YAML the run came from")
    boolean acceptChange;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory (as for train)")
    Path data;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        RunConfig cfg = frozenConfig(runDir);
        Path sourceFile = Path.of(Files.readString(runDir.resolve(RunOptions.CONFIG_SOURCE)).trim());
        if (!sourceFile.toString().startsWith("builtin:") && Files.exists(sourceFile)) {
            RunConfig now = ConfigLoader.load(sourceFile, RunOptions.overrides(runDir));
            List<String> changed = ConfigLoader.differingKeys(cfg, now);
            if (!changed.isEmpty()) {
                if (!acceptChange) {
                    throw new ConfigException(sourceFile + " changed since the run started: " + String.join(", ", changed)
                            + "; restore it, or pass --accept-config-change to resume with the new values");
                }
                main.err.println("resuming with the changed config: " + String.join(", ", changed));
                cfg = now;
            }
        }
        RunData splits = DataLoader.load(cfg, data, main.err);
        RunRecord record = new Experiment(cfg, splits, runDir, new ProgressListener(main.err))
                .acceptingConfigChange(acceptChange).run();
        RunPrinter.print(record, runDir, main.out);
        return 0;
    }

    /** The config a run directory was started with. */
    static RunConfig frozenConfig(Path runDir) throws Exception {
        Path frozen = runDir.resolve(RunOptions.FROZEN_CONFIG);
        if (!Files.isDirectory(runDir)) {
            throw new java.io.IOException("no run directory " + runDir);
        }
        if (!Files.exists(frozen)) {
            throw new java.io.IOException(runDir + " has no " + RunOptions.FROZEN_CONFIG + ": not a distill4j run directory");
        }
        return ConfigLoader.load(frozen);
    }
}

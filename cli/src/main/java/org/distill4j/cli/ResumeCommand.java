package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.io.RunLock;
import org.distill4j.run.RunData;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunDirectory;
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

    @Option(names = "--accept-data-change",
            description = "resume with data (or preprocessing) other than the checkpoints were made from")
    boolean acceptData;

    @Option(names = "--accept-teacher-change",
            description = "resume with a loaded teacher whose weights differ from those the checkpoints were made with")
    boolean acceptTeacher;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory (as for train)")
    Path data;

    @Option(names = "--threads", paramLabel = "N|auto|default",
            description = "PyTorch intra-op threads (default: those the run started with, for an exact resume)")
    String threads;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        RunOptions.setUpThreads(threads, main.err, false);
        RunConfig frozen = RunDirectory.frozenConfig(runDir);
        try (RunLock lock = TrainCommand.locked(runDir, main)) {
            // a finished run is only checked (config, checkpoints, data), never trained or rewritten
            boolean finished = Files.exists(runDir.resolve(Experiment.RECORD));
            RunDirectory.Source source = RunDirectory.source(runDir);
            RunConfig cfg = frozen;
            List<String> changed = List.of();
            Path sourceFile = Path.of(source.source());
            if (!source.source().startsWith("builtin:") && !source.source().startsWith("reproduce:")
                    && Files.exists(sourceFile)) {
                // the overrides the run was started with (--seed) apply to the source again
                RunConfig now = source.apply(ConfigLoader.load(sourceFile, RunDirectory.overrides(runDir)));
                changed = ConfigLoader.differingKeys(cfg, now);
                if (!changed.isEmpty()) {
                    if (!acceptChange) {
                        throw new ConfigException(sourceFile + " changed since the run started: "
                                + String.join(", ", changed)
                                + "; restore it, or pass --accept-config-change to resume with the new values");
                    }
                    cfg = now;
                }
            }
            RunData splits = DataLoader.load(cfg, data, main.err);
            if (!changed.isEmpty() && !finished) {
                // the run's own config follows the accepted change: reproduce and later resumes use it
                main.err.println("resuming with the changed config: " + String.join(", ", changed) + " (written to "
                        + runDir.resolve(RunDirectory.FROZEN_CONFIG) + ")");
                RunDirectory.freeze(runDir, cfg, source.source(), source.seedOverride(), RunDirectory.overrides(runDir));
            }
            RunConfig run = cfg;
            String keys = String.join(", ", changed);
            return TrainCommand.supervise(runDir, main, progress -> {
                Experiment e = new Experiment(run, splits, runDir, progress).recordingDataFiles()
                        .acceptingConfigChange(acceptChange)
                        .acceptingDataChange(acceptData).acceptingTeacherChange(acceptTeacher);
                return keys.isEmpty() ? e : e.noting("config keys " + keys);
            });
        }
    }
}

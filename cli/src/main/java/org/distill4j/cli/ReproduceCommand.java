package org.distill4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigException;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill reproduce runs/<id>}: runs the frozen config of a finished run again into a new
 * run directory and compares, model by model, the weights digest and every metric that is not
 * a wall-clock time. Exit 0 when all are identical, 6 otherwise.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Re-run a finished run from its record and compare weights and metrics.")
final class ReproduceCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "a finished run directory")
    Path runDir;

    @Mixin
    RunOptions options;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        RunRecord original = RunRecord.read(runDir.resolve("record.json"));
        RunConfig cfg = RunDirectory.frozenConfig(runDir);
        if (!cfg.digest().equals(original.config().digest())) {
            throw new ConfigException(runDir + ": config.yaml does not match the config in record.json");
        }
        RunOptions.setUpThreads(options.threads, main.err, false);
        if (!original.sittings().isEmpty()) { // the original's thread count, for the same last bits
            org.distill4j.train.EngineThreads as = org.distill4j.train.EngineThreads.resumeWith(
                    original.sittings().get(0).threads());
            if (as != null) {
                main.err.println("engine: " + as.intraOp() + " intra-op threads, as the original run");
            }
        }
        RunData data = DataLoader.load(cfg, options.data, main.err);
        if (!data.train().digest().isEmpty() && original.dataDigests() == null) {
            throw new java.io.IOException("record has no data digests");
        }
        if (original.sittings().stream().anyMatch(s -> !s.accepted().isEmpty())) {
            main.err.println(runDir + " accepted changes while it ran ("
                    + original.sittings().stream().flatMap(s -> s.accepted().stream())
                            .collect(java.util.stream.Collectors.joining("; "))
                    + "): it is re-run with its final config and data, so its weights match only if the change did not touch what was trained before it");
        }
        Path dir = options.newRunDir(cfg.name() + "-reproduce");
        RunRecord again;
        try (org.distill4j.io.RunLock lock = org.distill4j.io.RunLock.acquire(dir);
                ProgressListener progress = new ProgressListener(main.err)) {
            RunDirectory.freeze(dir, cfg, "reproduce:" + runDir);
            again = new Experiment(cfg, data, dir, progress).run();
        }
        boolean same = Objects.equals(original.dataDigests(), again.dataDigests());
        main.out.printf(Locale.ROOT, "%-16s %-9s %-10s %-10s %s%n", "model", "weights", "test acc", "again", "metrics");
        for (ModelResult m : original.models()) {
            ModelResult r = again.model(m.name());
            boolean weights = m.weightsDigest().equals(r.weightsDigest());
            boolean metrics = m.reproducible().equals(r.reproducible());
            same &= weights && metrics;
            main.out.printf(Locale.ROOT, "%-16s %-9s %-10.4f %-10.4f %s%n", m.name(), weights ? "identical" : "DIFFER",
                    m.metrics().testAccuracy(), r.metrics().testAccuracy(), metrics ? "identical" : "DIFFER");
        }
        main.out.println(same ? "reproduced: identical weights and metrics (" + dir + ")"
                : "NOT reproduced (data digests equal: " + Objects.equals(original.dataDigests(), again.dataDigests()) + ")");
        return same ? 0 : Main.NOT_REPRODUCED;
    }
}

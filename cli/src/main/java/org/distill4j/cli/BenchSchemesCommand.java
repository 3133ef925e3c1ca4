package org.distill4j.cli;

import picocli.CommandLine.Command;

/**
 * {@code distill bench schemes}: every scheme beside its fair baseline over several seeds. Each
 * configured run (a normal run config, e.g. {@code bench/schemes/dml.yaml}) runs once per seed
 * through {@link org.distill4j.run.Experiment}; each row then compares two models of that run's
 * record (e.g. a DML peer against the same network trained alone from the same initial weights).
 * A run that was interrupted resumes from its checkpoints when the bench is started again.
 */
@Command(name = "schemes", mixinStandardHelpOptions = true,
        description = "Online, self and staged schemes beside their fair baselines over several seeds.")
final class BenchSchemesCommand extends RunBench {
    @Override
    String name() {
        return "schemes";
    }

    @Override
    String intro() {
        return "Each scheme beside its fair baseline (same data, schedule and initial weights where the scheme allows).";
    }

    @Override
    boolean sizes() {
        return false;
    }

    @Override
    String kind() {
        return "scheme";
    }
}

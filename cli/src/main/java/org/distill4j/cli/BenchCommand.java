package org.distill4j.cli;

import picocli.CommandLine.Command;

/** {@code distill bench …}: benchmarks that measure accuracy or speed at scale (not tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: results tables under bench/results.",
        subcommands = {BenchKdCommand.class, BenchPerfCommand.class, BenchMethodsCommand.class, BenchSchemesCommand.class,
            BenchAlgorithmsCommand.class, BenchCooperativeCommand.class, BenchRlCommand.class, BenchSparkCommand.class,
            BenchTextCommand.class, BenchTeacherCommand.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    Main main;

    @Override
    public void run() {
        spec.commandLine().usage(main.out);
    }
}

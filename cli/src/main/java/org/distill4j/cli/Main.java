package org.distill4j.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.distill4j.data.DatasetException;
import org.distill4j.train.NonFiniteLossException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code distill} command line. Exit codes: 0 success, 1 internal error, 2 bad config or
 * usage, 3 data problem, 4 file or I/O problem, 5 training diverged (non-finite loss), 6 a
 * reproduction gave different results.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, version = "distill4j 0.1.0",
        description = "Knowledge distillation for the JVM.",
        subcommands = {QuickstartCommand.class, TrainCommand.class, ResumeCommand.class, ReproduceCommand.class,
            EvaluateCommand.class, BenchCommand.class})
public final class Main implements Callable<Integer> {
    public static final int CONFIG_ERROR = 2;
    public static final int DATA_ERROR = 3;
    public static final int IO_ERROR = 4;
    public static final int DIVERGED = 5;
    public static final int NOT_REPRODUCED = 6;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Results (tables) go here. */
    final PrintStream out;
    /** Progress and messages go here. */
    final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(System.out, System.err, args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine cl = new CommandLine(new Main(out, err));
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> handle(e, err));
        return cl.execute(args);
    }

    static int handle(Exception e, PrintStream err) {
        if (e instanceof ConfigException || e instanceof org.distill4j.run.ConfigDriftException
                || e instanceof org.distill4j.model.TapException
                || e instanceof org.distill4j.model.InputShapeException) {
            err.println("config error: " + e.getMessage());
            return CONFIG_ERROR;
        }
        if (e instanceof DatasetException) {
            err.println("data error: " + e.getMessage());
            return DATA_ERROR;
        }
        if (e instanceof java.io.IOException) {
            err.println("file error: " + e.getMessage());
            if (e.getMessage() == null) {
                e.printStackTrace(err);
            }
            return IO_ERROR;
        }
        if (e instanceof NonFiniteLossException) {
            err.println("training stopped: " + e.getMessage());
            return DIVERGED;
        }
        err.println("internal error: " + e);
        e.printStackTrace(err);
        return 1;
    }
}

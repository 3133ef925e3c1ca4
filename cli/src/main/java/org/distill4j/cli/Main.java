package org.distill4j.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigException;
import org.distill4j.data.DatasetException;
import org.distill4j.train.NonFiniteLossException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code distill} command line. Exit codes: 0 success, 1 internal error, 2 bad config or
 * usage (or a changed config or teacher not accepted), 3 data problem (or changed data not
 * accepted), 4 file or I/O problem (a damaged file among them), 5 training diverged (non-finite
 * loss), 6 a reproduction gave different results, 7 the run directory is locked by another
 * process, 130 / 143 stopped by SIGINT / SIGTERM after writing a checkpoint.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, version = "distill4j 0.1.0",
        description = "Knowledge distillation for the JVM.",
        subcommands = {QuickstartCommand.class, TrainCommand.class, ResumeCommand.class, ReproduceCommand.class,
            EvaluateCommand.class, ExportCommand.class, PredictCommand.class, KnowledgeCommand.class, BenchCommand.class})
public final class Main implements Callable<Integer> {
    public static final int CONFIG_ERROR = 2;
    public static final int DATA_ERROR = 3;
    public static final int IO_ERROR = 4;
    public static final int DIVERGED = 5;
    public static final int NOT_REPRODUCED = 6;
    public static final int RUN_LOCKED = 7;
    public static final int STOPPED_BY_SIGINT = 130;
    public static final int STOPPED_BY_SIGTERM = 143;

    /**
     * What the process's SIGTERM and SIGINT handlers set (installed by {@link #main} only: a run
     * inside a test JVM is never stopped by a signal).
     */
    private static volatile org.distill4j.train.StopRequest stop = org.distill4j.train.StopRequest.NONE;
    /** Whether a run that obeys {@link #stop} is under way; otherwise a signal exits at once. */
    private static volatile boolean obeyed;

    /** The stop request of this process's runs. */
    static org.distill4j.train.StopRequest stopRequest() {
        return stop;
    }

    /**
     * Runs {@code body} as the process's stoppable run: a SIGTERM or SIGINT meanwhile asks it to
     * checkpoint and stop at the next step boundary instead of ending the process at once.
     */
    static <T> T obeyingStops(java.util.concurrent.Callable<T> body) throws Exception {
        obeyed = true;
        try {
            return body.call();
        } finally {
            obeyed = false;
        }
    }

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
        installSignalHandlers();
        System.exit(run(System.out, System.err, args));
    }

    /**
     * SIGTERM and SIGINT ask the run to write a checkpoint at the next step boundary and stop
     * (exit 143 / 130); a second signal, or one while no run obeys stops (data loading, a bench
     * that cannot resume), exits at once with that code.
     */
    private static void installSignalHandlers() {
        org.distill4j.train.StopRequest request = new org.distill4j.train.StopRequest();
        stop = request;
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (request.requested() != null || !obeyed) {
                        ProgressListener.endOpenLines();
                        System.err.println(request.requested() != null
                                ? "SIG" + name + " again: exiting at once (the run resumes from its last checkpoint)"
                                : "stopped by SIG" + name);
                        Runtime.getRuntime().halt(name.equals("INT") ? STOPPED_BY_SIGINT : STOPPED_BY_SIGTERM);
                    }
                    request.request("SIG" + name);
                });
            } catch (IllegalArgumentException unavailable) {
                // the platform or -Xrs reserves the signal: its default action stays
            }
        }
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
        ProgressListener.endOpenLines(); // an error never shares the line of a bar still shown
        if (e instanceof java.io.UncheckedIOException u) {
            return handle(u.getCause(), err);
        }
        if (e instanceof org.distill4j.io.ProvenanceException p) {
            err.println((p.isData() ? "data error: " : "config error: ") + e.getMessage());
            return p.isData() ? DATA_ERROR : CONFIG_ERROR;
        }
        if (e instanceof org.distill4j.io.RunLock.Held) {
            err.println("run locked: " + e.getMessage());
            return RUN_LOCKED;
        }
        if (e instanceof ConfigException || e instanceof org.distill4j.run.ConfigDriftException
                || e instanceof org.distill4j.model.TapException
                || e instanceof org.distill4j.model.InputShapeException
                || e instanceof org.distill4j.model.ImportedModelException) {
            err.println("config error: " + e.getMessage());
            return CONFIG_ERROR;
        }
        if (e instanceof DatasetException) {
            err.println("data error: " + e.getMessage());
            return DATA_ERROR;
        }
        if (e instanceof java.io.IOException io) {
            // (a file system exception's message may be only its path: its reason is spelt out)
            err.println("file error: " + org.distill4j.io.AtomicFile.describe(io));
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

package org.distill4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Option;

/** Options every run-producing command shares: where data comes from and where runs go. */
final class RunOptions {
    @Option(names = "--data", paramLabel = "DIR",
            description = "directory with the four Fashion-MNIST IDX files (default: $DISTILL4J_DATA, then /usr/share/datasets/fashion-mnist)")
    Path data;

    @Option(names = "--threads", paramLabel = "N|auto|default",
            description = "PyTorch intra-op threads: a number, auto (the default: the faster of 1 and all cores, "
                    + "measured at start), or default (the engine's own); also $DISTILL4J_THREADS")
    String threads;

    @Option(names = "--runs", paramLabel = "DIR", defaultValue = "runs",
            description = "where run directories are created (default: ${DEFAULT-VALUE})")
    Path runs;

    /** Sets the engine's thread counts as {@link #setUpThreads(String, java.io.PrintStream)} says. */
    void setUpThreads(java.io.PrintStream err) throws org.distill4j.config.ConfigException {
        setUpThreads(threads, err);
    }

    /**
     * Sets PyTorch's intra-op thread count before a run: the number given ({@code --threads N}, else
     * {@code $DISTILL4J_THREADS}, else DJL's {@code -Dai.djl.pytorch.num_threads}); {@code default}
     * keeps the engine's own; otherwise ({@code auto}) the faster of 1 and all cores, measured once
     * per process. Says what it chose on {@code err}; a bad value is a usage error.
     */
    static void setUpThreads(String option, java.io.PrintStream err) throws org.distill4j.config.ConfigException {
        setUpThreads(option, err, true);
    }

    /**
     * As {@link #setUpThreads(String, java.io.PrintStream)}; with {@code measure} false, {@code auto}
     * measures nothing (resume and reproduce train with the run's recorded counts instead).
     */
    static void setUpThreads(String option, java.io.PrintStream err, boolean measure)
            throws org.distill4j.config.ConfigException {
        String how = option != null ? option : System.getenv("DISTILL4J_THREADS");
        String where = option != null ? "--threads" : "DISTILL4J_THREADS";
        if (how == null && System.getProperty("ai.djl.pytorch.num_threads") != null) {
            how = System.getProperty("ai.djl.pytorch.num_threads");
            where = "-Dai.djl.pytorch.num_threads";
        }
        if (how == null || how.isBlank() || how.equals("auto")) {
            if (!measure) {
                org.distill4j.train.EngineThreads.manage();
            } else if (!org.distill4j.train.EngineThreads.managed()) {
                err.println("engine: " + org.distill4j.train.EngineThreads.measure(Runtime.getRuntime().availableProcessors())
                        .describe());
            }
            return;
        }
        if (how.equals("default")) {
            return;
        }
        int n;
        try {
            n = Integer.parseInt(how.trim());
        } catch (NumberFormatException e) {
            throw new org.distill4j.config.ConfigException(where + ": a number of threads, auto or default (got '" + how + "')");
        }
        if (n < 1 || n > 4096) {
            throw new org.distill4j.config.ConfigException(where + ": must be between 1 and 4096 (got " + n + ")");
        }
        org.distill4j.train.EngineThreads.user(n);
    }

    /**
     * Creates {@code runs/<timestamp>-<name>} (a new one: two processes starting in the same second
     * get two), failing early and clearly if it cannot be written.
     */
    Path newRunDir(String name) throws IOException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        try {
            org.distill4j.io.AtomicFile.createDirectories(runs);
            Path dir = runs.resolve(stamp + "-" + name);
            for (int i = 2; ; i++) {
                try {
                    Files.createDirectory(dir);
                    break;
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    dir = runs.resolve(stamp + "-" + name + "-" + i);
                }
            }
            Path probe = Files.createTempFile(dir, ".probe", ".tmp");
            Files.delete(probe);
            return dir;
        } catch (IOException e) {
            throw new IOException("cannot write run directory under '" + runs + "' ("
                    + org.distill4j.io.AtomicFile.describe(e) + "); choose another with --runs DIR", e);
        }
    }
}

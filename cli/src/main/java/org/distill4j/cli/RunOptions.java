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

    @Option(names = "--runs", paramLabel = "DIR", defaultValue = "runs",
            description = "where run directories are created (default: ${DEFAULT-VALUE})")
    Path runs;

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

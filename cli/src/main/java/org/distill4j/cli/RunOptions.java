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

    static final String FROZEN_CONFIG = "config.yaml";
    static final String CONFIG_SOURCE = "config-source.txt";
    /** The {@code --set} overrides a run was started with, one a line (only when there were any). */
    static final String CONFIG_OVERRIDES = "config-overrides.txt";

    /** Records the effective config (and where it came from) in a new run directory. */
    static void freeze(java.nio.file.Path dir, org.distill4j.config.RunConfig cfg, String source) throws IOException {
        freeze(dir, cfg, source, null, java.util.List.of());
    }

    /**
     * Records the effective config, where it came from and the command-line overrides applied to
     * it ({@code seed}: null for none), so that resume compares like with like.
     */
    static void freeze(Path dir, org.distill4j.config.RunConfig cfg, String source, Long seedOverride,
            java.util.List<String> overrides) throws IOException {
        org.distill4j.io.AtomicFile.writeString(dir.resolve(FROZEN_CONFIG), ConfigLoader.toYaml(cfg));
        org.distill4j.io.AtomicFile.writeString(dir.resolve(CONFIG_SOURCE),
                source + "\n" + (seedOverride == null ? "" : "override seed " + seedOverride + "\n"));
        if (!overrides.isEmpty()) {
            org.distill4j.io.AtomicFile.writeString(dir.resolve(CONFIG_OVERRIDES), String.join("\n", overrides) + "\n");
        }
    }

    /** Where a run's config came from and what the command line overrode in it. */
    record Source(String source, Long seedOverride) {
        org.distill4j.config.RunConfig apply(org.distill4j.config.RunConfig cfg) {
            return seedOverride == null ? cfg : cfg.withSeed(seedOverride);
        }
    }

    static Source source(Path runDir) throws IOException {
        Path file = runDir.resolve(CONFIG_SOURCE);
        java.util.List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw org.distill4j.io.AtomicFile.named(file, "cannot read", e);
        }
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty: not a distill4j run directory");
        }
        Long seed = null;
        for (String line : lines.subList(1, lines.size())) {
            if (line.startsWith("override seed ")) {
                seed = Long.parseLong(line.substring("override seed ".length()).trim());
            }
        }
        return new Source(lines.get(0).trim(), seed);
    }

    /** The {@code --set} overrides a run directory was started with (none if it has no such file). */
    static java.util.List<String> overrides(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_OVERRIDES);
        try {
            return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isEmpty()).toList()
                    : java.util.List.of();
        } catch (IOException e) {
            throw org.distill4j.io.AtomicFile.named(file, "cannot read", e);
        }
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

package org.distill4j.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.io.AtomicFile;

/**
 * The files that say how a run directory was started, written before it trains, whoever starts
 * it (the CLI or {@link org.distill4j.api.Distill}), and read by resume, reproduce and evaluate:
 * {@value #FROZEN_CONFIG} (the effective config), {@value #CONFIG_SOURCE} (where it came from:
 * a YAML file, {@code builtin:…}, {@code api:…}; and a seed override) and {@value #CONFIG_OVERRIDES}
 * (the {@code --set} overrides, only when there were any).
 */
public final class RunDirectory {
    public static final String FROZEN_CONFIG = "config.yaml";
    public static final String CONFIG_SOURCE = "config-source.txt";
    /** The {@code --set} overrides a run was started with, one a line (only when there were any). */
    public static final String CONFIG_OVERRIDES = "config-overrides.txt";

    private RunDirectory() {}

    /** Records the effective config and where it came from in a new run directory. */
    public static void freeze(Path dir, RunConfig cfg, String source) throws IOException {
        freeze(dir, cfg, source, null, List.of());
    }

    /**
     * Records the effective config, where it came from and the command-line overrides applied to
     * it ({@code seedOverride}: null for none), so that resume compares like with like.
     */
    public static void freeze(Path dir, RunConfig cfg, String source, Long seedOverride, List<String> overrides)
            throws IOException {
        AtomicFile.writeString(dir.resolve(FROZEN_CONFIG), ConfigLoader.toYaml(cfg));
        AtomicFile.writeString(dir.resolve(CONFIG_SOURCE),
                source + "\n" + (seedOverride == null ? "" : "override seed " + seedOverride + "\n"));
        if (!overrides.isEmpty()) {
            AtomicFile.writeString(dir.resolve(CONFIG_OVERRIDES), String.join("\n", overrides) + "\n");
        }
    }

    /** The config a run directory was started with. */
    public static RunConfig frozenConfig(Path runDir) throws IOException, ConfigException {
        Path frozen = runDir.resolve(FROZEN_CONFIG);
        if (!Files.isDirectory(runDir)) {
            throw new IOException("no run directory " + runDir);
        }
        if (!Files.exists(frozen)) {
            throw new IOException(runDir + " has no " + FROZEN_CONFIG + ": not a distill4j run directory");
        }
        return ConfigLoader.load(frozen);
    }

    /** Where a run's config came from and what the command line overrode in it. */
    public record Source(String source, Long seedOverride) {
        public RunConfig apply(RunConfig cfg) {
            return seedOverride == null ? cfg : cfg.withSeed(seedOverride);
        }
    }

    public static Source source(Path runDir) throws IOException {
        Path file = runDir.resolve(CONFIG_SOURCE);
        List<String> lines;
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
    public static List<String> overrides(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_OVERRIDES);
        try {
            return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isEmpty()).toList()
                    : List.of();
        } catch (IOException e) {
            throw org.distill4j.io.AtomicFile.named(file, "cannot read", e);
        }
    }
}

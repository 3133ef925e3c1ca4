package org.distill4j.cli;

import org.distill4j.config.RunConfig;
import picocli.CommandLine.Option;

/** The {@code --seed} override shared by commands that run one config. */
final class SeedOption {
    @Option(names = "--seed", description = "override the config's seed")
    Long seed;

    RunConfig apply(RunConfig cfg) {
        return seed == null ? cfg : cfg.withSeed(seed);
    }
}

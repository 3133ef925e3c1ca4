package org.distill4j.cli;

import picocli.CommandLine.Command;

/**
 * {@code distill bench algorithms}: the distillation algorithms (multi-teacher, quantized,
 * adversarial, data-free, …) each beside its fair baseline over several seeds: the same student
 * from the same initial weights with plain KD and from scratch, and for quantized students the
 * same bit width without distillation and the full-precision student. Runs and rows come from
 * {@code bench/algorithms.yaml} (run configs under {@code bench/algorithms/}), in the format of
 * {@code bench schemes}; the table adds each model's shipped size in bytes.
 */
@Command(name = "algorithms", mixinStandardHelpOptions = true,
        description = "Distillation algorithms beside their fair baselines over several seeds, with shipped sizes.")
final class BenchAlgorithmsCommand extends RunBench {
    @Override
    String name() {
        return "algorithms";
    }

    @Override
    String intro() {
        return "Each algorithm beside its fair baseline (the same student from the same initial weights and batch "
                + "order); bytes = the size of the model as shipped (float32 weights, or the packed quantised file), "
                + "the baseline's shown where it differs.";
    }

    @Override
    boolean sizes() {
        return true;
    }

    @Override
    String kind() {
        return "algorithm";
    }
}

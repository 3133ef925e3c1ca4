package org.distill4j.scheme;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.List;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.TrainSpec;

/**
 * A discriminator of an adversarial scheme ({@code adversarial}, {@code afd}) and how it trains:
 * an MLP on the flattened features it judges, {@code Linear(h₁) → LeakyReLU(0.2) → … →
 * Linear(1)}, whose one output is a raw score (no sigmoid: the loss applies what it needs).
 * Every key may be left out; the scheme supplies its defaults ({@link #or}).
 *
 * @param hidden the hidden widths, each in [1, 65536] (may be empty: a linear discriminator)
 * @param optimizer its optimizer (default: Adam, lr 2e-4, β₁ 0.5, the usual GAN setting)
 * @param schedule its learning-rate schedule (absent: the student's)
 * @param clipGradNorm rescale its gradient above this global norm (0: off)
 * @param steps its updates per training step, before the student's, in [1, 100]
 */
public record DiscriminatorSpec(List<Integer> hidden, OptimizerSpec optimizer, ScheduleSpec schedule,
        Double clipGradNorm, Integer steps) {
    /** Adam with lr 2e-4 and β₁ 0.5 (Radford et al. 2016), the usual GAN setting. */
    static final OptimizerSpec GAN_ADAM = new OptimizerSpec.Adam(2e-4, 0.5, 0.999, null, null);

    public DiscriminatorSpec {
        if (hidden != null) {
            if (hidden.stream().anyMatch(h -> h == null || h < 1 || h > 65536)) {
                throw new IllegalArgumentException("hidden: widths in [1, 65536], e.g. [64] (got " + hidden + ")");
            }
            hidden = List.copyOf(hidden);
        }
        if (clipGradNorm != null && !(clipGradNorm >= 0 && Double.isFinite(clipGradNorm))) {
            throw new IllegalArgumentException("clipGradNorm: must be a finite number ≥ 0, 0 meaning off (got "
                    + clipGradNorm + ")");
        }
        if (steps != null && !(steps >= 1 && steps <= 100)) {
            throw new IllegalArgumentException("steps: must be in [1, 100] (got " + steps + ")");
        }
    }

    /** The defaults: one hidden layer of 64, Adam 2e-4/0.5, the student's schedule, no clipping, one step. */
    static DiscriminatorSpec defaults() {
        return new DiscriminatorSpec(List.of(64), GAN_ADAM, null, 0.0, 1);
    }

    /** This spec with each absent key taken from {@code defaults}. */
    DiscriminatorSpec or(DiscriminatorSpec defaults) {
        return new DiscriminatorSpec(hidden != null ? hidden : defaults.hidden,
                optimizer != null ? optimizer : defaults.optimizer, schedule != null ? schedule : defaults.schedule,
                clipGradNorm != null ? clipGradNorm : defaults.clipGradNorm, steps != null ? steps : defaults.steps);
    }

    /** Its schedule: the student's epochs and batch size, its own optimizer, clipping and schedule (or the student's). */
    TrainSpec train(TrainSpec student) {
        return new TrainSpec(student.epochs(), student.batchSize(), optimizer,
                schedule != null ? schedule : student.schedule(), clipGradNorm, student.onNonFinite(), null);
    }

    /** The network, for inputs of {@code features} values per sample. */
    Block build() {
        SequentialBlock d = new SequentialBlock().add(Blocks.batchFlattenBlock());
        for (int h : hidden) {
            d.add(Linear.builder().setUnits(h).build()).add(Activation.leakyReluBlock(0.2f));
        }
        return d.add(Linear.builder().setUnits(1).build());
    }

    /** The input shape of its block for samples of {@code features} values. */
    static Shape inputShape(long features) {
        return new Shape(2, features);
    }
}

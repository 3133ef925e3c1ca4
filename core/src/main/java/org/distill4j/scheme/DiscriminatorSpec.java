package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.List;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.TrainSpec;

/**
 * A discriminator of an adversarial scheme ({@code adversarial}, {@code afd}) and how it trains:
 * an MLP on the flattened features it judges, {@code [standardise →] Linear(h₁) → LeakyReLU(0.2)
 * → … → Linear(1)}, whose one output is a raw score {@code d}. What a loss reads is {@link #score}:
 * {@code sigmoid} gives {@code σ(d)} in (0, 1), {@code linear} the raw {@code d}. Every key may be
 * left out; the scheme supplies its defaults ({@link #or}).
 *
 * <p><em>Why the input and score matter to {@code afd}.</em> Its least-squares loss (Mao et al.
 * 2017) asks for 1 on real and 0 on fake; a constant guess of 0.5 scores 0.5. On the raw map it is
 * unbounded: a network can grow its features (its transfer layer's output) until their size, not
 * the real/fake difference, dominates; in the issue 11 bench the discriminators' losses were
 * 65–670 and they never learned. With {@link #normalize} each sample's judged vector is first
 * standardised over its own values, {@code (x − mean x) / sqrt(var x + 1e-5)} (a layer norm without
 * scale or shift, through which the fooling network's gradient flows): D then sees the pattern of a
 * map, not its size, which a network cannot inflate. The score is then the raw {@code d}
 * ({@code linear}) by default. {@code sigmoid}, {@code σ(d)} in (0, 1) as LSGAN codes that end D
 * with a sigmoid do, bounds each term but saturates: once a network's features push {@code d} far
 * out, {@code σ'} vanishes and D cannot pull them back. On 5,400-image probes (seed 1, λ = 0.01)
 * D₁/D₂ ended epoch 2 at 1.00/2.00 with sigmoid on the raw map and 1.00/1.00 with sigmoid on the
 * standardised map (epoch 1: 1.018/1.046 at λ = 0.01, 0.1 and 1 alike — Adam makes the transfer
 * layer's steps blind to λ), and at 0.15/1.14 with the linear score on the standardised map (epoch
 * 3: 0.15/0.98) — D₁ well below the constant guess, D₂ not; so {@code afd}'s defaults are
 * {@code normalize: true, score: linear}.
 * {@code adversarial}'s loss reads the raw score through {@code log σ(d)} ({@code GanLoss}), so it
 * takes only {@code linear}, and by default judges the logits unnormalised, as before.
 *
 * @param hidden the hidden widths, each in [1, 65536] (may be empty: a linear discriminator)
 * @param optimizer its optimizer (default: Adam, lr 2e-4, β₁ 0.5, the usual GAN setting)
 * @param schedule its learning-rate schedule (absent: the student's)
 * @param clipGradNorm rescale its gradient above this global norm (0: off)
 * @param steps its updates per training step, before the student's, in [1, 100]
 * @param score what the loss reads: {@code sigmoid} ({@code σ(d)}) or {@code linear} (the raw
 *     {@code d}); the default is the scheme's (linear for both; {@code adversarial} takes only linear)
 * @param normalize standardise each sample's input over its own values before the first layer; the
 *     default is the scheme's ({@code afd}: true; {@code adversarial}: false)
 */
public record DiscriminatorSpec(List<Integer> hidden, OptimizerSpec optimizer, ScheduleSpec schedule,
        Double clipGradNorm, Integer steps, Score score, Boolean normalize) {
    /** What a loss reads of the discriminator's raw output {@code d}. */
    public enum Score {
        /** {@code σ(d)}, in (0, 1). */
        @com.fasterxml.jackson.annotation.JsonProperty("sigmoid") SIGMOID,
        /** The raw {@code d}. */
        @com.fasterxml.jackson.annotation.JsonProperty("linear") LINEAR;

        /** The score of raw outputs {@code d}. */
        public NDArray apply(NDArray d) {
            return this == SIGMOID ? Activation.sigmoid(d) : d;
        }
    }

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

    /** Without {@code score} (the scheme's default). */
    public DiscriminatorSpec(List<Integer> hidden, OptimizerSpec optimizer, ScheduleSpec schedule, Double clipGradNorm,
            Integer steps) {
        this(hidden, optimizer, schedule, clipGradNorm, steps, null, null);
    }

    /**
     * The defaults: one hidden layer of 64, Adam 2e-4/0.5, the student's schedule, no clipping, one
     * step, and {@code score} and {@code normalize} (the scheme's).
     */
    static DiscriminatorSpec defaults(Score score, boolean normalize) {
        return new DiscriminatorSpec(List.of(64), GAN_ADAM, null, 0.0, 1, score, normalize);
    }

    /** This spec with each absent key taken from {@code defaults}. */
    DiscriminatorSpec or(DiscriminatorSpec defaults) {
        return new DiscriminatorSpec(hidden != null ? hidden : defaults.hidden,
                optimizer != null ? optimizer : defaults.optimizer, schedule != null ? schedule : defaults.schedule,
                clipGradNorm != null ? clipGradNorm : defaults.clipGradNorm, steps != null ? steps : defaults.steps,
                score != null ? score : defaults.score, normalize != null ? normalize : defaults.normalize);
    }

    /** Its schedule: the student's epochs and batch size, its own optimizer, clipping and schedule (or the student's). */
    TrainSpec train(TrainSpec student) {
        return new TrainSpec(student.epochs(), student.batchSize(), optimizer,
                schedule != null ? schedule : student.schedule(), clipGradNorm, student.onNonFinite(), null);
    }

    /** The network, for inputs of {@code features} values per sample. */
    Block build() {
        SequentialBlock d = new SequentialBlock().add(Blocks.batchFlattenBlock());
        if (Boolean.TRUE.equals(normalize)) {
            d.add(LambdaBlock.singleton(DiscriminatorSpec::standardise));
        }
        for (int h : hidden) {
            d.add(Linear.builder().setUnits(h).build()).add(Activation.leakyReluBlock(0.2f));
        }
        return d.add(Linear.builder().setUnits(1).build());
    }

    /** Each row of {@code x} (samples × values) standardised over its own values: {@code (x − mean) / sqrt(var + 1e-5)}. */
    static NDArray standardise(NDArray x) {
        NDArray centred = x.sub(x.mean(new int[] {1}, true));
        return centred.div(centred.square().mean(new int[] {1}, true).add(1e-5f).sqrt());
    }

    /** The input shape of its block for samples of {@code features} values. */
    static Shape inputShape(long features) {
        return new Shape(2, features);
    }
}

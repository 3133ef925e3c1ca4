package org.distill4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Learning-rate schedule over a run, evaluated every step.
 *
 * @param type {@code constant}, {@code step} (multiply by {@code gamma} every {@code stepEvery}
 *     epochs) or {@code cosine} (from the base rate to {@code minLr} at the last step)
 * @param warmupEpochs linear warm-up from ~0 to the base rate over this many epochs (may be fractional)
 * @param stepEvery epochs between decays, for {@code step}
 * @param gamma decay factor, for {@code step}, in (0, 1]
 * @param minLr final rate, for {@code cosine}, ≥ 0
 */
public record ScheduleSpec(Type type, Double warmupEpochs, Integer stepEvery, Double gamma, Double minLr) {
    /** The schedule kinds a config may name. */
    public enum Type {
        @JsonProperty("constant") CONSTANT,
        @JsonProperty("step") STEP,
        @JsonProperty("cosine") COSINE
    }

    public ScheduleSpec {
        type = type == null ? Type.COSINE : type;
        warmupEpochs = warmupEpochs == null ? 0.0 : warmupEpochs;
        stepEvery = stepEvery == null ? 10 : stepEvery;
        gamma = gamma == null ? 0.1 : gamma;
        minLr = minLr == null ? 0.0 : minLr;
        if (!(warmupEpochs >= 0 && warmupEpochs <= 1000)) {
            throw new IllegalArgumentException("warmupEpochs: must be in [0, 1000] (got " + warmupEpochs + ")");
        }
        if (stepEvery < 1) {
            throw new IllegalArgumentException("stepEvery: must be ≥ 1 (got " + stepEvery + ")");
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("gamma: must be in (0, 1] (got " + gamma + ")");
        }
        if (!(minLr >= 0)) {
            throw new IllegalArgumentException("minLr: must be ≥ 0 (got " + minLr + ")");
        }
    }

    public static ScheduleSpec defaults() {
        return new ScheduleSpec(null, null, null, null, null);
    }

    /**
     * The rate at a position in training.
     *
     * @param base the optimizer's base rate
     * @param epoch 0-based epoch
     * @param step 0-based step within the epoch
     * @param stepsPerEpoch steps in one epoch
     * @param epochs total epochs
     */
    public double rate(double base, int epoch, int step, int stepsPerEpoch, int epochs) {
        double t = epoch + (double) step / stepsPerEpoch; // progress in epochs
        double lr = switch (type) {
            case CONSTANT -> base;
            case STEP -> base * Math.pow(gamma, epoch / stepEvery);
            case COSINE -> {
                double span = Math.max(epochs - warmupEpochs, 1e-9);
                double p = Math.min(Math.max((t - warmupEpochs) / span, 0), 1);
                yield minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
            }
        };
        if (t < warmupEpochs) {
            lr = base * (t + 1.0 / stepsPerEpoch) / warmupEpochs;
        }
        return lr;
    }
}

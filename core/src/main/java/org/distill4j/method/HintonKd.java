package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.response.KdLoss;

/**
 * {@code kd}: Hinton et al. 2015 response distillation, see {@link KdLoss}. Its objective is
 * {@code (1−α)·CE + kd} with {@code kd = α·T²·KL}.
 *
 * @param temperature softening temperature T (default 4; Hinton used 20 on MNIST)
 * @param alpha weight of the soft term, in [0, 1] (default 0.9)
 */
public record HintonKd(Double temperature, Double alpha) implements MethodSpec {
    public HintonKd {
        temperature = temperature == null ? 4.0 : temperature;
        alpha = alpha == null ? 0.9 : alpha;
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha: must be in [0, 1] (got " + alpha + ")");
        }
    }

    @Override
    public DistillationLoss loss() {
        return new KdLoss(temperature, alpha);
    }

    /** {@code 1 − α}: Hinton's weight of the hard-label term. */
    @Override
    public double crossEntropyWeight() {
        return 1 - alpha;
    }

    @Override
    public String name() {
        return "kd";
    }
}

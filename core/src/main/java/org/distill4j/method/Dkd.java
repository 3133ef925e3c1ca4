package org.distill4j.method;

import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.response.DkdLoss;

/**
 * {@code dkd}: decoupled KD (Zhao et al. 2022), see {@link DkdLoss}. Its objective is
 * {@code ceWeight·CE + tckd + nckd}.
 *
 * @param alpha weight of the target-class term TCKD (default 1)
 * @param beta weight of the non-target term NCKD (default 8)
 * @param temperature softening temperature T (default 4)
 * @param warmup epochs over which the KD weight rises linearly to 1 (default 20; 0 = no ramp).
 *     With fewer training epochs than this, the KD weight never reaches 1.
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record Dkd(Double alpha, Double beta, Double temperature, Integer warmup, Double ceWeight)
        implements MethodSpec {
    public Dkd {
        alpha = alpha == null ? 1.0 : alpha;
        beta = beta == null ? 8.0 : beta;
        temperature = temperature == null ? 4.0 : temperature;
        warmup = warmup == null ? 20 : warmup;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        MethodChecks.require(alpha, "alpha");
        MethodChecks.require(beta, "beta");
        MethodChecks.require(ceWeight, "ceWeight");
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (warmup < 0 || warmup > 10000) {
            throw new IllegalArgumentException("warmup: must be in [0, 10000] epochs, 0 meaning none (got " + warmup + ")");
        }
    }

    @Override
    public DistillationLoss loss() {
        return new DkdLoss(alpha, beta, temperature, warmup);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "dkd";
    }
}

package org.distill4j.loss.datafree;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.model.Scalars;

/**
 * The generator's loss of DAFL (Chen et al. 2019, "Data-Free Learning of Student Networks",
 * ICCV), on the frozen teacher's logits {@code z} and features {@code f} for a generated batch
 * of n images:
 *
 * <pre>
 *   L_G = α_oh · L_oh + α_a · L_a + α_ie · L_ie
 *   L_oh = (1/n) Σ_i CE(z_i, argmax_c z_ic)          one-hot: confident teacher outputs
 *   L_a  = −mean_{i,j} |f_ij|                          activation: strong features
 *   L_ie = Σ_c p̄_c · log_b p̄_c,  p̄ = (1/n) Σ_i softmax(z_i)   minus the batch's information entropy: balanced classes
 * </pre>
 *
 * The paper's weights are α_oh = 1, α_a = 0.1, α_ie = 5. <em>(Choices the paper leaves open, taken
 * from the authors' code:)</em> L_a is the mean absolute feature over batch and units (the paper
 * writes a sum of L1 norms divided by n, a larger scale); the logarithm of L_ie has base {@code b}
 * = 10 (the code's {@code torch.log10}) unless base e is asked for. The argmax is a constant
 * (no gradient goes through it). Terms are reported weighted: {@code oneHot}, {@code activation},
 * {@code entropy}.
 */
public final class DaflLoss {
    private final double oneHot;
    private final double activation;
    private final double entropy;
    private final double logBase;

    /**
     * @param oneHot α_oh, ≥ 0
     * @param activation α_a, ≥ 0
     * @param entropy α_ie, ≥ 0
     * @param logBase the base b of L_ie's logarithm: 10 or e
     */
    public DaflLoss(double oneHot, double activation, double entropy, double logBase) {
        if (!(oneHot >= 0 && activation >= 0 && entropy >= 0) || !(logBase > 1)) {
            throw new IllegalArgumentException("dafl: weights must be ≥ 0 and the log base > 1 (got " + oneHot + ", "
                    + activation + ", " + entropy + ", base " + logBase + ")");
        }
        this.oneHot = oneHot;
        this.activation = activation;
        this.entropy = entropy;
        this.logBase = logBase;
    }

    /** L_oh: the cross-entropy of the logits with their own argmax. */
    public static NDArray oneHot(NDArray logits) {
        NDArray argmax = logits.argMax(1).toType(DataType.INT32, false).stopGradient();
        return CrossEntropy.of(logits, argmax);
    }

    /** L_a: minus the mean absolute feature. */
    public static NDArray activation(NDArray features) {
        return features.abs().mean().neg();
    }

    /** L_ie: {@code Σ_c p̄_c log_b p̄_c} of the batch-mean prediction (minus its entropy, in base b). */
    public static NDArray negativeEntropy(NDArray logits, double logBase) {
        NDArray mean = logits.softmax(1).mean(new int[] {0});
        return Scalars.div(mean.mul(mean.log()).sum(), Math.log(logBase));
    }

    /** The weighted terms and their sum, {@code oneHot + activation + entropy} in that order. */
    public LossValue compute(NDArray teacherLogits, NDArray teacherFeatures) {
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put("oneHot", Scalars.mul(oneHot(teacherLogits), oneHot));
        terms.put("activation", Scalars.mul(activation(teacherFeatures), activation));
        terms.put("entropy", Scalars.mul(negativeEntropy(teacherLogits, logBase), entropy));
        return LossValue.sum(terms);
    }
}

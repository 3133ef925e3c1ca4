package org.distill4j.loss.datafree;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.model.Network.BatchNormStatistics;
import org.distill4j.model.Scalars;

/**
 * What DeepInversion (Yin et al. 2020, "Dreaming to Distill: Data-free Knowledge Transfer via
 * DeepInversion", CVPR) minimises over a batch of inputs {@code x} (B, C, H, W) with chosen
 * target classes {@code y}, the teacher frozen in inference mode:
 *
 * <pre>
 *   L(x) = CE(T(x), y) + α_f · R_feature + α_tv · R_tv + α_l2 · ‖x‖₂
 *   R_feature = Σ_l ‖μ_l(x) − μ_l^BN‖₂ + ‖σ²_l(x) − σ²_l^BN‖₂     every batch-norm layer l: its input's batch
 *                                                                mean and biased variance per channel against
 *                                                                the running ones
 *   R_tv = ‖x[:,:,:,1:] − x[:,:,:,:−1]‖ + ‖x[:,:,1:,:] − x[:,:,:−1,:]‖
 *        + ‖x[:,:,1:,:−1] − x[:,:,:−1,1:]‖ + ‖x[:,:,:−1,:−1] − x[:,:,1:,1:]‖   (Frobenius norms over the batch)
 * </pre>
 *
 * As in the authors' CIFAR-10 code: norms, not squared norms; the total-variation term over the
 * four neighbour directions; ‖x‖₂ the Frobenius norm of the whole batch. Terms are reported
 * weighted: {@code ce}, {@code feature}, {@code tv}, {@code l2}.
 */
public final class DeepInversionLoss {
    private final double feature;
    private final double tv;
    private final double l2;

    /**
     * @param feature α_f, ≥ 0
     * @param tv α_tv, ≥ 0
     * @param l2 α_l2, ≥ 0
     */
    public DeepInversionLoss(double feature, double tv, double l2) {
        if (!(feature >= 0 && tv >= 0 && l2 >= 0)) {
            throw new IllegalArgumentException("deep-inversion: weights must be ≥ 0 (got " + feature + ", " + tv + ", "
                    + l2 + ")");
        }
        this.feature = feature;
        this.tv = tv;
        this.l2 = l2;
    }

    /** R_feature over the layers' statistics of one forward pass. */
    public static NDArray featureStatistics(List<BatchNormStatistics> layers) {
        NDArray sum = null;
        for (BatchNormStatistics s : layers) {
            NDArray mean = s.mean().sub(s.runningMean().stopGradient()).norm();
            NDArray variance = s.variance().sub(s.runningVariance().stopGradient()).norm();
            NDArray layer = variance.add(mean);
            sum = sum == null ? layer : sum.add(layer);
        }
        if (sum == null) {
            throw new IllegalArgumentException("deep-inversion: the teacher has no batch-norm layer to match");
        }
        return sum;
    }

    /** R_tv: the norms of the differences between neighbouring pixels in four directions. */
    public static NDArray totalVariation(NDArray x) {
        NDArray d1 = x.get(new NDIndex(":, :, :, :-1")).sub(x.get(new NDIndex(":, :, :, 1:")));
        NDArray d2 = x.get(new NDIndex(":, :, :-1, :")).sub(x.get(new NDIndex(":, :, 1:, :")));
        NDArray d3 = x.get(new NDIndex(":, :, 1:, :-1")).sub(x.get(new NDIndex(":, :, :-1, 1:")));
        NDArray d4 = x.get(new NDIndex(":, :, :-1, :-1")).sub(x.get(new NDIndex(":, :, 1:, 1:")));
        return d1.norm().add(d2.norm()).add(d3.norm()).add(d4.norm());
    }

    /**
     * The weighted terms and their sum, in the order {@code ce, feature, tv, l2}.
     *
     * @param logits the teacher's logits on {@code x}
     * @param targets the classes the batch is made to show, int32 (B)
     * @param statistics the teacher's batch-norm statistics on {@code x} ({@code Network.forward} with a list)
     * @param x the inputs being optimised (after jitter)
     */
    public LossValue compute(NDArray logits, NDArray targets, List<BatchNormStatistics> statistics, NDArray x) {
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put(CrossEntropy.TERM, CrossEntropy.of(logits, targets));
        terms.put("feature", Scalars.mul(featureStatistics(statistics), feature));
        terms.put("tv", Scalars.mul(totalVariation(x), tv));
        terms.put("l2", Scalars.mul(x.norm(), l2));
        return LossValue.sum(terms);
    }
}

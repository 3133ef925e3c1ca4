package org.distill4j.loss.self;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.Scalars;

/**
 * Be Your Own Teacher (Zhang et al. 2019, "Be Your Own Teacher: Improve the Performance of
 * Convolutional Neural Networks via Self Distillation", ICCV): the deepest exit of a multi-exit
 * network teaches the shallower ones. For every exit {@code i}:
 * {@code (1−α)·CE(z_i, y) + α·T²·KL(p(z_C,T) ‖ p(z_i,T)) + λ·‖F_i − F_C‖²}, summed over exits,
 * where {@code C} is the deepest exit. The deepest's logits and features are detached targets,
 * so for the deepest exit itself only {@code (1−α)·CE} remains (the paper's sum runs over every
 * classifier, the deepest included).
 *
 * <p>Choices: the KL is written {@code KL(q_i, q_C)} in the paper; as in its common
 * implementations and in {@link KdLoss}, the deepest exit's distribution is the target:
 * {@code Σ p_C log(p_C / p_i)}, a batch mean. The feature term is a plain sum over the batch and
 * the features (the paper's {@code ‖·‖²}), hence the small default {@code λ}. {@code F_i} is
 * brought to {@code F_C}'s size by the exit's bottleneck itself (see
 * {@link org.distill4j.model.MultiExitSpec}): both are vectors of the deepest stage's width;
 * {@link #bind} rejects taps of other sizes.
 *
 * <p>Terms: {@code exit<k>.ce}, {@code exit<k>.kd}, {@code exit<k>.feature} for the shallow
 * exits and {@code exit<C>.ce} for the deepest, each already weighted.
 */
public final class ByotLoss implements DistillationLoss {
    private final List<String> exits;
    private final List<String> features;
    private final double alpha;
    private final double temperature;
    private final double lambda;

    /**
     * @param exits logits taps, shallowest first; the last is the deepest exit (the teacher)
     * @param features features tap of each exit, same order and all of one size
     */
    public ByotLoss(List<String> exits, List<String> features, double alpha, double temperature, double lambda) {
        if (exits.size() < 2 || exits.size() != features.size()) {
            throw new IllegalArgumentException("byot needs at least two exits and one features tap per exit (got "
                    + exits + ", " + features + ")");
        }
        if (!(alpha >= 0 && alpha <= 1) || !(temperature > 0) || !(lambda >= 0 && Double.isFinite(lambda))) {
            throw new IllegalArgumentException("byot needs alpha in [0, 1], temperature > 0, lambda ≥ 0 (got "
                    + alpha + ", " + temperature + ", " + lambda + ")");
        }
        this.exits = List.copyOf(exits);
        this.features = List.copyOf(features);
        this.alpha = alpha;
        this.temperature = temperature;
        this.lambda = lambda;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        int deepest = exits.size() - 1;
        NDArray zc = student.get(exits.get(deepest));
        NDArray targetLogits = zc.stopGradient();
        NDArray targetFeatures = student.get(features.get(deepest)).stopGradient();
        Map<String, NDArray> terms = new LinkedHashMap<>();
        NDArray total = null;
        for (int i = 0; i < exits.size(); i++) {
            String exit = "exit" + (i + 1);
            NDArray zi = student.get(exits.get(i));
            NDArray ce = Scalars.mul(CrossEntropy.of(zi, batch.labels()), (float) (1 - alpha));
            terms.put(exit + ".ce", ce);
            total = total == null ? ce : total.add(ce);
            if (i == deepest) {
                break;
            }
            NDArray kd = Scalars.mul(KdLoss.klDivergence(targetLogits, zi, temperature),
                    (float) (alpha * temperature * temperature));
            NDArray feature = Scalars.mul(student.get(features.get(i)).sub(targetFeatures).square().sum(), (float) lambda);
            terms.put(exit + ".kd", kd);
            terms.put(exit + ".feature", feature);
            total = total.add(kd).add(feature);
        }
        return new LossValue(total, terms);
    }

    @Override
    public void bind(Binding binding) {
        var shapes = binding.student();
        int deepest = exits.size() - 1;
        Shape logits = shapes.shape(exits.get(deepest));
        Shape deepFeatures = shapes.shape(features.get(deepest));
        for (int i = 0; i < deepest; i++) {
            Shape z = shapes.shape(exits.get(i));
            if (!z.equals(logits)) {
                throw new TapException("byot: exit tap '" + exits.get(i) + "' " + z + " and the deepest exit '"
                        + exits.get(deepest) + "' " + logits + " must both be logits over the same classes");
            }
            Shape f = shapes.shape(features.get(i));
            if (!f.equals(deepFeatures)) {
                throw new TapException("byot: features tap '" + features.get(i) + "' " + f + " and the deepest '"
                        + features.get(deepest) + "' " + deepFeatures + " differ in size; the exit's bottleneck must "
                        + "end at " + deepFeatures + " (a multi-exit network's exits do)");
            }
        }
    }

    @Override
    public Set<String> studentTaps() {
        Set<String> taps = new LinkedHashSet<>(exits);
        taps.addAll(features);
        return taps;
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }
}

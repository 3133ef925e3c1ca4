package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.feature.FitNetLoss;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;
import org.distill4j.model.Scalars;

/**
 * Distillation from several teachers at once: the student matches one target made from all the
 * teachers' outputs, and optionally each teacher's features through a regressor of its own.
 * With teachers {@code k = 1…K} (logits {@code z_k}, in the order of the knowledge), per-sample
 * weights {@code w_{k,i}} (summing to 1 over k) and {@code p(z, T) = softmax(z/T)}:
 * <pre>
 *   probabilities (default):  q_i = Σ_k w_{k,i} · p(z_{k,i}, T)
 *   logits:                   q_i = p(Σ_k w_{k,i} · z_{k,i}, T)
 *   kd   = α·T² · (1/B) Σ_i KL(q_i ‖ p(z_{s,i}, T))
 *   hint = β · (1/B) Σ_i Σ_k w_{k,i} · mean_d (r_k(v_{s,i}) − u_{k,i})²_d      (with hints)
 * </pre>
 * Weights: {@code equal} {@code w = 1/K}; {@code fixed} {@code w_k = c_k / Σ_j c_j} for given
 * {@code c_k > 0}; {@code confidence} {@code w_{k,i} = softmax_k(−H_{k,i}/τ)} with
 * {@code H_{k,i} = −Σ_c p_c log p_c} the entropy of teacher k's prediction for sample i at
 * {@code T = 1} (<i>choice</i>: the teacher's own confidence, not its softened one): the surer
 * a teacher is of a sample, the more it counts there; {@code τ → ∞} gives equal weights, small
 * {@code τ} follows the most confident teacher. The method's objective adds {@code (1−α)·CE}.
 * Teachers' outputs are detached; the weights are functions of them and receive no gradient.
 *
 * <p>Literature. Averaging the teachers' probabilities is the ensemble target of Hinton, Vinyals
 * &amp; Dean 2015 ("Distilling the Knowledge in a Neural Network"), also used by You, Xu, Xu &amp;
 * Tao 2017 ("Learning from Multiple Teacher Networks", KDD) and Fukuda et al. 2017 ("Efficient
 * Knowledge Distillation from an Ensemble of Teachers", Interspeech), who compare it with
 * switching teachers between mini-batches. The mean of logits is their geometric mean of
 * probabilities, renormalised ({@code softmax(Σ w z / T) ∝ Π p_k^{w_k}}). Per-sample confidence
 * weights follow the idea of CA-MKD (Zhang, Chen &amp; Wang 2022, "Confidence-Aware Multi-Teacher
 * Knowledge Distillation", ICASSP), which weights each teacher by its cross-entropy with the true
 * label; the entropy used here needs no label, so it applies to unlabelled transfer data too.
 * Feature hints through one regressor per teacher are FitNets' ({@link FitNetLoss}, one
 * regressor each, as in FEED, Park &amp; Kwak 2019, "Feature-level Ensemble for Knowledge
 * Distillation"); the teachers may differ in architecture and tap shapes.
 *
 * <p>The KL to a mixture is computed stably: {@code log q = logsumexp_k(log w_k + log p_k)}.
 */
public final class MultiTeacherLoss implements DistillationLoss {
    /** What is averaged over the teachers (named in YAML as written here). */
    public enum Average {
        @JsonProperty("probabilities") PROBABILITIES,
        @JsonProperty("logits") LOGITS
    }

    /** How the teachers are weighted (named in YAML as written here). */
    public enum Weighting {
        @JsonProperty("equal") EQUAL,
        @JsonProperty("fixed") FIXED,
        @JsonProperty("confidence") CONFIDENCE
    }

    /**
     * Feature hints: the student's tap through a regressor per teacher to that teacher's tap.
     *
     * @param teacherTap every teacher's tap, unless {@code teacherTaps} names one per teacher
     * @param teacherTaps one per teacher, in order (null: {@code teacherTap} for all)
     * @param kernel the regressors' kernel for feature maps (1 or 3)
     * @param beta the weight of the hint term
     */
    public record Hints(String studentTap, String teacherTap, List<String> teacherTaps, int kernel, double beta) {
        /** The tap of each of {@code count} teachers. */
        public List<String> taps(int count) {
            return teacherTaps != null ? teacherTaps : java.util.Collections.nCopies(count, teacherTap);
        }
    }

    /** Prefix of each teacher's regressor adapter ({@code multi-teacher.regressor.<teacher>}). */
    public static final String REGRESSOR = "multi-teacher.regressor.";

    private final double temperature;
    private final double alpha;
    private final Average average;
    private final Weighting weighting;
    private final double[] fixed;
    private final double tau;
    private final Hints hints;
    private List<String> teachers;
    private List<String> hintTaps;
    private Adapters adapters;

    /**
     * @param fixed the fixed weights' coefficients, one per teacher (used with {@link Weighting#FIXED})
     * @param hints feature hints, or null for none
     */
    public MultiTeacherLoss(double temperature, double alpha, Average average, Weighting weighting, double[] fixed,
            double tau, Hints hints) {
        if (!(temperature > 0) || !(alpha >= 0 && alpha <= 1) || !(tau > 0)) {
            throw new IllegalArgumentException("multi-teacher needs temperature > 0, alpha in [0, 1] and tau > 0, got T="
                    + temperature + ", alpha=" + alpha + ", tau=" + tau);
        }
        this.temperature = temperature;
        this.alpha = alpha;
        this.average = average;
        this.weighting = weighting;
        this.fixed = fixed == null ? null : fixed.clone();
        this.tau = tau;
        this.hints = hints;
    }

    @Override
    public void bind(Binding binding) {
        teachers = List.copyOf(binding.teachers().keySet());
        if (teachers.isEmpty()) {
            throw new IllegalArgumentException("multi-teacher needs at least one teacher");
        }
        if (weighting == Weighting.FIXED && (fixed == null || fixed.length != teachers.size())) {
            throw new IllegalArgumentException("multi-teacher: " + (fixed == null ? 0 : fixed.length)
                    + " fixed weights for " + teachers.size() + " teachers " + teachers);
        }
        if (hints != null) {
            hintTaps = hints.taps(teachers.size());
            if (hintTaps.size() != teachers.size()) {
                throw new IllegalArgumentException("multi-teacher: " + hintTaps.size() + " teacher taps for "
                        + teachers.size() + " teachers " + teachers);
            }
            for (int k = 0; k < teachers.size(); k++) {
                TapShapes t = binding.teachers().get(teachers.get(k));
                TapShapes named = new TapShapes(teachers.get(k), t.shapes());
                binding.adapters().block(REGRESSOR + teachers.get(k), FitNetLoss.regressor("multi-teacher",
                        binding.student(), hints.studentTap(), named, hintTaps.get(k), hints.kernel()),
                        FitNetLoss.regressorInput(binding.student(), hints.studentTap()));
            }
            adapters = binding.adapters();
        }
    }

    /**
     * The teachers' weights per sample, shape (K, B), each column summing to 1: equal, the fixed
     * coefficients normalised, or {@code softmax_k(−H_{k,i}/τ)} of the entropies at T = 1.
     */
    public static NDArray weights(List<NDArray> teacherLogits, Weighting weighting, double[] fixed, double tau) {
        int k = teacherLogits.size();
        NDArray first = teacherLogits.get(0);
        long b = first.getShape().get(0);
        switch (weighting) {
            case EQUAL:
                return first.getManager().full(new ai.djl.ndarray.types.Shape(k, b), 1f / k, first.getDataType());
            case FIXED: {
                double sum = 0;
                for (double c : fixed) {
                    sum += c;
                }
                float[] w = new float[k];
                for (int j = 0; j < k; j++) {
                    w[j] = (float) (fixed[j] / sum);
                }
                return first.getManager().create(w, new ai.djl.ndarray.types.Shape(k, 1)).toType(first.getDataType(),
                        false).repeat(1, b);
            }
            default: {
                NDList negEntropy = new NDList();
                for (NDArray z : teacherLogits) {
                    NDArray logP = z.logSoftmax(1);
                    negEntropy.add(logP.exp().mul(logP).sum(new int[] {1})); // −H, shape (B)
                }
                return Scalars.mul(NDArrays.stack(negEntropy, 0), (float) (1 / tau)).softmax(0);
            }
        }
    }

    /** {@code log q} of the target at temperature T, shape (B, C), from the teachers' logits and weights (K, B). */
    public static NDArray logTarget(List<NDArray> teacherLogits, NDArray weights, Average average, double temperature) {
        float invT = (float) (1 / temperature);
        NDArray z = NDArrays.stack(new NDList(teacherLogits), 0); // (K, B, C)
        NDArray w = weights.expandDims(2); // (K, B, 1)
        if (average == Average.LOGITS) {
            return Scalars.mul(z.mul(w).sum(new int[] {0}), invT).logSoftmax(1);
        }
        NDArray a = Scalars.mul(z, invT).logSoftmax(2).add(w.log()); // log w_k + log p_k
        NDArray max = a.max(new int[] {0}); // (B, C)
        return a.sub(max.expandDims(0)).exp().sum(new int[] {0}).log().add(max);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        if (teachers == null) {
            throw new IllegalStateException("multi-teacher: bind() must run before compute()");
        }
        List<NDArray> zt = new ArrayList<>();
        for (String name : teachers) {
            zt.add(teacher.outputs(name).logits().stopGradient());
        }
        NDArray w = weights(zt, weighting, fixed, tau).stopGradient();
        NDArray logQ = logTarget(zt, w, average, temperature);
        NDArray zs = student.logits();
        long b = zs.getShape().get(0);
        NDArray logPs = Scalars.mul(zs, (float) (1 / temperature)).logSoftmax(1);
        NDArray kd = Scalars.mul(Scalars.div(logQ.exp().mul(logQ.sub(logPs)).sum(), b), (float) (alpha * temperature * temperature));
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put("kd", kd);
        if (hints != null) {
            NDArray v = student.get(hints.studentTap());
            NDArray hint = null;
            for (int k = 0; k < teachers.size(); k++) {
                NDArray r = adapters.forward(REGRESSOR + teachers.get(k), v);
                NDArray u = teacher.outputs(teachers.get(k)).get(hintTaps.get(k)).stopGradient();
                NDArray perSample = r.sub(u).square().reshape(b, -1).mean(new int[] {1}); // (B)
                NDArray weighted = perSample.mul(w.get(k)).sum();
                hint = hint == null ? weighted : hint.add(weighted);
            }
            terms.put("hint", Scalars.mul(Scalars.div(hint, b), (float) hints.beta()));
        }
        return new LossValue(terms.size() == 1 ? kd : kd.add(terms.get("hint")), terms);
    }

    @Override
    public Set<String> studentTaps() {
        return hints == null ? Set.of() : Set.of(hints.studentTap());
    }

    @Override
    public Set<String> teacherTaps() {
        if (hints == null) {
            return Set.of();
        }
        return hints.teacherTaps() == null ? Set.of(hints.teacherTap()) : new LinkedHashSet<>(hints.teacherTaps());
    }
}

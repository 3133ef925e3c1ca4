package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.model.Scalars;

/**
 * Activation-based attention transfer (Zagoruyko &amp; Komodakis 2017, "Paying More Attention to
 * Attention", ICLR). A map's attention is {@code Q = normalise₂(flatten(mean_c(A_c²)))} per
 * sample; the term is {@code at = β/2 · Σ_pairs mean((Q_s − Q_t)²)}, the mean over batch and
 * positions, as in the authors' code (the method's objective,
 * {@link org.distill4j.method.AttentionTransfer#objective()}, is {@code ceWeight·CE + at}).
 * Channel counts may differ.
 *
 * <p>Pairs: the given student and teacher taps, in order; by default (null lists) the
 * feature-map taps of both networks paired from the deepest, as many as the shorter list has,
 * resolved in {@link #bind} (so {@link #teacherTaps()} is known only after binding). With
 * {@code pool} (default) the larger <i>feature map</i> of a pair is adaptive-average-pooled to
 * the smaller's height and width before attention is taken (<i>choice</i>, as mdistiller does;
 * each dimension goes to the smaller of the two); without it, maps of different sizes are a
 * {@link TapException}. An all-zero map gets attention 0 (the norm is floored at 1e-12, as
 * PyTorch's {@code normalize}).
 */
public final class AttentionLoss implements DistillationLoss {
    private final List<String> configuredStudent;
    private final List<String> configuredTeacher;
    private final boolean pool;
    private final double beta;
    private List<String> studentTaps;
    private List<String> teacherTaps;

    /**
     * @param studentTaps student feature-map taps, or null for the default pairing
     * @param teacherTaps teacher taps paired with them in order (null exactly when studentTaps is)
     */
    public AttentionLoss(List<String> studentTaps, List<String> teacherTaps, boolean pool, double beta) {
        if ((studentTaps == null) != (teacherTaps == null)
                || studentTaps != null && (studentTaps.isEmpty() || studentTaps.size() != teacherTaps.size())) {
            throw new IllegalArgumentException("at: studentTaps and teacherTaps must both be null or non-empty lists of"
                    + " equal length (got " + studentTaps + ", " + teacherTaps + ")");
        }
        if (!(beta >= 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("at: beta must be finite and ≥ 0 (got " + beta + ")");
        }
        this.configuredStudent = studentTaps == null ? null : List.copyOf(studentTaps);
        this.configuredTeacher = teacherTaps == null ? null : List.copyOf(teacherTaps);
        this.studentTaps = configuredStudent;
        this.teacherTaps = configuredTeacher;
        this.pool = pool;
        this.beta = beta;
    }

    /** {@code normalise₂(flatten(mean_c(A²)))}: (B, C, H, W) → (B, H·W). */
    public static NDArray attention(NDArray map) {
        long batch = map.getShape().get(0);
        NDArray q = map.square().mean(new int[] {1}).reshape(batch, -1);
        return q.div(Scalars.maximum(q.norm(new int[] {1}, true), 1e-12f));
    }

    /** {@code mean((Q_s − Q_t)²)} for one pair of equally sized maps. */
    public static NDArray pair(NDArray studentMap, NDArray teacherMap) {
        return attention(studentMap).sub(attention(teacherMap)).square().mean();
    }

    @Override
    public void bind(Binding binding) {
        TapShapes teacher = FeatureTaps.teacher("at", binding);
        List<String> s = configuredStudent;
        List<String> t = configuredTeacher;
        if (s == null) {
            List<String> sm = binding.student().mapTaps();
            List<String> tm = teacher.mapTaps();
            int n = Math.min(sm.size(), tm.size());
            if (n == 0) {
                throw new TapException("at: attention needs feature-map taps (C, H, W) on both networks; "
                        + FeatureTaps.maps(binding));
            }
            s = sm.subList(sm.size() - n, sm.size());
            t = tm.subList(tm.size() - n, tm.size());
        }
        for (int i = 0; i < s.size(); i++) {
            Shape ss = FeatureTaps.map("at", binding.student(), s.get(i));
            Shape ts = FeatureTaps.map("at", teacher, t.get(i));
            if (!pool && (ss.get(1) != ts.get(1) || ss.get(2) != ts.get(2))) {
                throw new TapException("at: " + FeatureTaps.describe(binding.student(), s.get(i)) + " and "
                        + FeatureTaps.describe(teacher, t.get(i)) + " differ in spatial size and pool is off; set "
                        + "pool: true or pair maps of equal height and width (" + FeatureTaps.maps(binding) + ")");
            }
        }
        studentTaps = List.copyOf(s);
        teacherTaps = List.copyOf(t);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        List<String> sTaps = resolved(studentTaps);
        List<String> tTaps = resolved(teacherTaps);
        NDArray at = null;
        for (int i = 0; i < sTaps.size(); i++) {
            NDArray s = student.get(sTaps.get(i));
            NDArray t = teacher.outputs().get(tTaps.get(i)).stopGradient();
            long h = Math.min(s.getShape().get(2), t.getShape().get(2));
            long w = Math.min(s.getShape().get(3), t.getShape().get(3));
            if (!pool && !(s.getShape().slice(2).equals(t.getShape().slice(2)))) {
                throw new TapException("at: student tap '" + sTaps.get(i) + "' " + s.getShape().slice(1)
                        + " and teacher tap '" + tTaps.get(i) + "' " + t.getShape().slice(1)
                        + " differ in spatial size and pool is off");
            }
            NDArray p = pair(AdaptivePool.to(s, h, w), AdaptivePool.to(t, h, w));
            at = at == null ? p : at.add(p);
        }
        at = Scalars.mul(at, (float) (beta / 2));
        return LossValue.of("at", at);
    }

    /** The student taps paired, in order (after {@link #bind} when the defaults are used). */
    public List<String> pairedStudentTaps() {
        return resolved(studentTaps);
    }

    /** The teacher taps paired, in order (after {@link #bind} when the defaults are used). */
    public List<String> pairedTeacherTaps() {
        return resolved(teacherTaps);
    }

    @Override
    public Set<String> studentTaps() {
        return new LinkedHashSet<>(resolved(studentTaps));
    }

    @Override
    public Set<String> teacherTaps() {
        return new LinkedHashSet<>(resolved(teacherTaps));
    }

    private static List<String> resolved(List<String> taps) {
        if (taps == null) {
            throw new IllegalStateException("at: the default tap pairs are chosen from the networks' shapes in bind(); "
                    + "bind the loss first");
        }
        return new ArrayList<>(taps);
    }
}

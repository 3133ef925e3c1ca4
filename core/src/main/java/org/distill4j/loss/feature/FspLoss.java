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
 * Flow of solution procedure (Yim, Joo, Bae &amp; Kim 2017, "A Gift from Knowledge Distillation:
 * Fast Optimization, Network Minimization and Transfer Learning", CVPR). Between two feature
 * maps F1 (C1×h×w) and F2 (C2×h×w) of one network the FSP matrix is
 * {@code G = Σ_{s,t} F1[:,s,t]·F2[:,s,t]ᵀ / (h·w)} (C1×C2); the term is
 * {@code fsp = β·Σ_k mean_batch ‖G_t,k − G_s,k‖²_F}, the squared Frobenius norm summed
 * over the matrix and averaged over the batch, as the paper's {@code (1/N)Σ_x Σ_i λ_i‖·‖²}
 * with equal λ (the method's objective, {@link org.distill4j.method.Fsp#objective()}, is
 * {@code ceWeight·CE + fsp}).
 *
 * <p>Each network names a list of k ≥ 2 taps (default: its two deepest feature-map taps); a
 * matrix is taken between each consecutive pair, as RepDistiller does, so two taps give one
 * matrix. Student and teacher must have equal channel counts tap by tap (else a
 * {@link TapException} naming both taps, their shapes and the pairs that would fit). The two
 * maps of one matrix must have equal height and width: with {@code pool} (default) the larger is
 * adaptive-average-pooled to the smaller (<i>choice</i>); without it, a TapException. Spatial
 * sizes may differ between student and teacher (G is normalised by h·w). The paper trains FSP
 * alone (stage 1, the method's {@code ceWeight = 0}) and then the task; by default both are joint.
 */
public final class FspLoss implements DistillationLoss {
    private final List<String> configuredStudent;
    private final List<String> configuredTeacher;
    private final boolean pool;
    private final double beta;
    private List<String> studentTaps;
    private List<String> teacherTaps;

    public FspLoss(List<String> studentTaps, List<String> teacherTaps, boolean pool, double beta) {
        if ((studentTaps == null) != (teacherTaps == null)
                || studentTaps != null && (studentTaps.size() < 2 || studentTaps.size() != teacherTaps.size())) {
            throw new IllegalArgumentException("fsp: studentTaps and teacherTaps must both be null or lists of at least"
                    + " two taps of equal length (got " + studentTaps + ", " + teacherTaps + ")");
        }
        if (!(beta >= 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("fsp: beta must be finite and ≥ 0 (got " + beta + ")");
        }
        this.configuredStudent = studentTaps == null ? null : List.copyOf(studentTaps);
        this.configuredTeacher = teacherTaps == null ? null : List.copyOf(teacherTaps);
        this.studentTaps = configuredStudent;
        this.teacherTaps = configuredTeacher;
        this.pool = pool;
        this.beta = beta;
    }

    /** The FSP matrices (B, C1, C2) of two maps of equal height and width. */
    public static NDArray flow(NDArray first, NDArray second) {
        Shape a = first.getShape();
        Shape b = second.getShape();
        long positions = a.get(2) * a.get(3);
        NDArray f1 = first.reshape(a.get(0), a.get(1), positions);
        NDArray f2 = second.reshape(b.get(0), b.get(1), positions).transpose(0, 2, 1);
        return Scalars.div(f1.matMul(f2), positions);
    }

    /** {@link #flow} after pooling the larger map to the smaller's height and width. */
    static NDArray pooledFlow(NDArray first, NDArray second) {
        long h = Math.min(first.getShape().get(2), second.getShape().get(2));
        long w = Math.min(first.getShape().get(3), second.getShape().get(3));
        return flow(AdaptivePool.to(first, h, w), AdaptivePool.to(second, h, w));
    }

    /** {@code mean_batch ‖G_t − G_s‖²_F}. */
    public static NDArray distance(NDArray studentFlow, NDArray teacherFlow) {
        return Scalars.div(studentFlow.sub(teacherFlow).square().sum(), studentFlow.getShape().get(0));
    }

    @Override
    public void bind(Binding binding) {
        TapShapes teacher = FeatureTaps.teacher("fsp", binding);
        List<String> s = configuredStudent == null ? deepestTwo(binding.student(), binding) : configuredStudent;
        List<String> t = configuredTeacher == null ? deepestTwo(teacher, binding) : configuredTeacher;
        for (int i = 0; i < s.size(); i++) {
            Shape ss = FeatureTaps.map("fsp", binding.student(), s.get(i));
            Shape ts = FeatureTaps.map("fsp", teacher, t.get(i));
            if (ss.get(0) != ts.get(0)) {
                throw new TapException("fsp: " + FeatureTaps.describe(binding.student(), s.get(i)) + " and "
                        + FeatureTaps.describe(teacher, t.get(i)) + " have different channel counts; FSP matrices "
                        + "compare only between equal channel counts. " + fitting(binding));
            }
        }
        if (!pool) {
            checkSizes(binding.student(), s);
            checkSizes(teacher, t);
        }
        studentTaps = List.copyOf(s);
        teacherTaps = List.copyOf(t);
    }

    private static List<String> deepestTwo(TapShapes shapes, Binding binding) {
        List<String> maps = shapes.mapTaps();
        if (maps.size() < 2) {
            throw new TapException("fsp: needs two feature-map taps per network; " + FeatureTaps.maps(binding));
        }
        return maps.subList(maps.size() - 2, maps.size());
    }

    private static void checkSizes(TapShapes shapes, List<String> taps) {
        for (int i = 0; i + 1 < taps.size(); i++) {
            Shape a = shapes.shape(taps.get(i));
            Shape b = shapes.shape(taps.get(i + 1));
            if (!a.slice(1).equals(b.slice(1))) {
                throw new TapException("fsp: " + FeatureTaps.describe(shapes, taps.get(i)) + " and "
                        + FeatureTaps.describe(shapes, taps.get(i + 1)) + " differ in spatial size and pool is off; "
                        + "set pool: true or pick taps of equal height and width (" + FeatureTaps.maps(shapes) + ")");
            }
        }
    }

    /** What would fit: the student/teacher map pairs with equal channel counts. */
    private static String fitting(Binding binding) {
        List<String> pairs = new ArrayList<>();
        for (String s : binding.student().mapTaps()) {
            for (String t : binding.teacher().mapTaps()) {
                if (binding.student().shape(s).get(0) == binding.teacher().shape(t).get(0)) {
                    pairs.add(s + "↔" + t);
                }
            }
        }
        return (pairs.isEmpty() ? "No student/teacher feature maps have equal channel counts"
                : "Maps with equal channel counts: " + String.join(", ", pairs)) + " (" + FeatureTaps.maps(binding) + ")";
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        List<String> s = resolved(studentTaps);
        List<String> t = resolved(teacherTaps);
        NDArray fsp = null;
        for (int i = 0; i + 1 < s.size(); i++) {
            NDArray gs = pooledFlow(student.get(s.get(i)), student.get(s.get(i + 1)));
            NDArray gt = pooledFlow(teacher.outputs().get(t.get(i)).stopGradient(),
                    teacher.outputs().get(t.get(i + 1)).stopGradient());
            NDArray d = distance(gs, gt);
            fsp = fsp == null ? d : fsp.add(d);
        }
        fsp = Scalars.mul(fsp, (float) beta);
        return LossValue.of("fsp", fsp);
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
            throw new IllegalStateException("fsp: the default taps are chosen from the networks' shapes in bind(); "
                    + "bind the loss first");
        }
        return taps;
    }
}

package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
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
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.model.Scalars;

/**
 * Instance relationship graph distillation (Liu et al. 2019, "Knowledge Distillation via Instance
 * Relationship Graph"). At each of L paired taps the batch forms a graph: vertices are the
 * instances' features (flattened per sample), edges the B×B matrix of their Euclidean distances,
 * divided by its mean over the pairs i ≠ j (so graphs of layers of any scale compare). The loss is
 *
 * <pre>
 * irg_vertex + irg_edge + irg_transform
 *   = w_V·MSE(v_s, v_t) + w_E·mean_l MSE(E_s^l, E_t^l) + w_T·mean_l MSE(T_s^{l,l+1}, T_t^{l,l+1})
 * </pre>
 *
 * summed in that order, a term at weight 0 (or the transformation with one tap) left out (with
 * none left, the total is 0); the
 * method's objective, {@link org.distill4j.method.InstanceRelationGraph#objective()}, adds
 * {@code ceWeight·CE} before them.
 *
 * <ul>
 *   <li>vertex: MSE between the student's and the teacher's {@code vertexTap} (default logits, as in
 *       the paper, whose vertex term is on the last layer's output: it needs equal sizes, and the
 *       logits always have them);
 *   <li>edge: per tap pair, the MSE between the two normalised distance matrices, averaged over taps;
 *   <li>transformation (needs two taps or more): within each network, how far each instance moves
 *       between consecutive taps, {@code T_i = ‖r(f_i^l) − r(f_i^{l+1})‖} (the paper's per-instance
 *       IRG transformation, a B-vector), divided by its mean; MSE between student and teacher,
 *       averaged over consecutive pairs. The two taps' features are first brought to one shape
 *       {@code r}: the map with the larger spatial size is average-pooled down to the other's with
 *       kernel = stride (the sizes must allow it: 28→14→7→3 do); a map meeting a vector is globally
 *       average-pooled; the larger channel count is averaged in groups of consecutive channels down to
 *       the smaller, which must divide it. Otherwise bind fails naming both taps.
 * </ul>
 *
 * Choices (the paper fixes none for our sizes): distances squared by default ({@code squared}, as in
 * the public re-implementations; the square root is clamped at 1e-12 otherwise); normalisation by the
 * mean rather than their maximum (one far outlier then does not compress every other edge); weights
 * w_V = 0.1, w_E = 5, w_T = 5 from the Knowledge-Distillation-Zoo re-implementation. Teacher taps are
 * detached.
 */
public final class IrgLoss implements DistillationLoss {
    public static final String VERTEX = "irg_vertex";
    public static final String EDGE = "irg_edge";
    public static final String TRANSFORM = "irg_transform";

    private final List<String> studentTaps;
    private final List<String> teacherTaps;
    private final String vertexTap;
    private final double vertexWeight;
    private final double edgeWeight;
    private final double transformWeight;
    private final boolean squared;
    /** Per network, how to bring taps l and l+1 to one shape; filled by {@link #bind}. */
    private List<Reduction[]> studentSteps = List.of();
    private List<Reduction[]> teacherSteps = List.of();

    public IrgLoss(List<String> studentTaps, List<String> teacherTaps, String vertexTap, double vertexWeight,
            double edgeWeight, double transformWeight, boolean squared) {
        if (!(vertexWeight >= 0) || !(edgeWeight >= 0) || !(transformWeight >= 0)) {
            throw new IllegalArgumentException("irg needs non-negative weights, got vertex " + vertexWeight + ", edge "
                    + edgeWeight + ", transform " + transformWeight);
        }
        if (studentTaps.isEmpty() || teacherTaps.isEmpty()) {
            throw new IllegalArgumentException("irg needs at least one tap on each network");
        }
        this.studentTaps = List.copyOf(studentTaps);
        this.teacherTaps = List.copyOf(teacherTaps);
        this.vertexTap = vertexTap;
        this.vertexWeight = vertexWeight;
        this.edgeWeight = edgeWeight;
        this.transformWeight = transformWeight;
        this.squared = squared;
    }

    /** Distances between the instances (B×B), divided by their mean over the pairs i ≠ j. */
    NDArray edges(NDArray features) {
        NDArray d = Pairwise.distances(Pairwise.flatten(features), squared);
        long b = d.getShape().get(0);
        return d.div(Scalars.div(d.sum(), b * (b - 1)));
    }

    /** Each instance's distance between taps l and l+1 after reduction (a B-vector), divided by its mean. */
    NDArray transformation(NDArray earlier, NDArray later, Reduction[] step) {
        NDArray a = Pairwise.flatten(step[0].apply(earlier));
        NDArray b = Pairwise.flatten(step[1].apply(later));
        NDArray d = Scalars.maximum(a.sub(b).square().sum(new int[] {1}), Pairwise.DISTANCE_EPS);
        if (!squared) {
            d = d.sqrt();
        }
        return d.div(d.mean());
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        Outputs t = teacher.outputs();
        Map<String, NDArray> terms = new LinkedHashMap<>();
        if (vertexWeight > 0) {
            terms.put(VERTEX, Pairwise.scaled(Pairwise.mse(Pairwise.flatten(student.get(vertexTap)),
                    Pairwise.flatten(t.get(vertexTap).stopGradient())), vertexWeight));
        }
        int layers = studentTaps.size();
        if (edgeWeight > 0) {
            NDArray sum = null;
            for (int l = 0; l < layers; l++) {
                NDArray e = Pairwise.mse(edges(student.get(studentTaps.get(l))),
                        edges(t.get(teacherTaps.get(l)).stopGradient()));
                sum = sum == null ? e : sum.add(e);
            }
            terms.put(EDGE, Pairwise.scaled(Scalars.div(sum, layers), edgeWeight));
        }
        if (transformWeight > 0 && layers > 1) {
            NDArray sum = null;
            for (int l = 0; l + 1 < layers; l++) {
                NDArray ts = transformation(student.get(studentTaps.get(l)), student.get(studentTaps.get(l + 1)),
                        studentSteps.get(l));
                NDArray tt = transformation(t.get(teacherTaps.get(l)).stopGradient(),
                        t.get(teacherTaps.get(l + 1)).stopGradient(), teacherSteps.get(l));
                NDArray m = Pairwise.mse(ts, tt);
                sum = sum == null ? m : sum.add(m);
            }
            terms.put(TRANSFORM, Pairwise.scaled(Scalars.div(sum, layers - 1), transformWeight));
        }
        return terms.isEmpty() ? LossValue.none(student.logits()) : LossValue.sum(terms);
    }

    @Override
    public Set<String> studentTaps() {
        Set<String> taps = new LinkedHashSet<>(studentTaps);
        if (vertexWeight > 0) {
            taps.add(vertexTap);
        }
        return taps;
    }

    @Override
    public Set<String> teacherTaps() {
        Set<String> taps = new LinkedHashSet<>(teacherTaps);
        if (vertexWeight > 0) {
            taps.add(vertexTap);
        }
        return taps;
    }

    @Override
    public void bind(Binding binding) {
        if (studentTaps.size() != teacherTaps.size()) {
            throw new TapException("irg: studentTaps " + studentTaps + " and teacherTaps " + teacherTaps
                    + " pair taps one to one, so the lists need the same length (" + studentTaps.size() + " vs "
                    + teacherTaps.size() + ")");
        }
        for (int l = 0; l < studentTaps.size(); l++) {
            RelationTaps.require("irg", binding, studentTaps.get(l), teacherTaps.get(l));
        }
        if (vertexWeight > 0) {
            Shape s = binding.student().shapes().get(vertexTap);
            Shape t = binding.teacher().shapes().get(vertexTap);
            if (s == null || t == null || s.size() != t.size()) {
                throw new TapException("irg: the vertex term compares student tap '" + vertexTap + "' "
                        + RelationTaps.describe(binding.student(), s) + " with teacher tap '" + vertexTap + "' "
                        + RelationTaps.describe(binding.teacher(), t)
                        + " value by value, so they need the same size; use vertexTap: logits or vertexWeight: 0");
            }
        }
        if (transformWeight > 0) {
            studentSteps = steps(binding.student(), studentTaps);
            teacherSteps = steps(binding.teacher(), teacherTaps);
        }
    }

    private static List<Reduction[]> steps(TapShapes network, List<String> taps) {
        List<Reduction[]> out = new ArrayList<>();
        for (int l = 0; l + 1 < taps.size(); l++) {
            out.add(Reduction.common(network, taps.get(l), taps.get(l + 1)));
        }
        return out;
    }

    /**
     * Brings one tap's per-sample features (C, H, W) or (D) to a target shape: average pooling with
     * kernel = stride over space (or global, to a vector), then the mean of groups of consecutive
     * channels.
     */
    record Reduction(Shape from, Shape to) {
        /** Reductions taking taps {@code a} and {@code b} of one network to a common shape, or a TapException. */
        static Reduction[] common(TapShapes network, String a, String b) {
            Shape sa = network.shape(a);
            Shape sb = network.shape(b);
            Shape target = target(sa, sb);
            if (target == null || !reachable(sa, target) || !reachable(sb, target)) {
                throw new TapException("irg: the transformation term compares " + network.network() + " taps '" + a
                        + "' (shape " + sa + ") and '" + b + "' (shape " + sb + ") instance by instance, but they "
                        + "cannot be pooled to one shape (channel counts must divide each other, spatial sizes "
                        + "must pool down by an integer kernel); choose other taps or set transformWeight: 0");
            }
            return new Reduction[] {new Reduction(sa, target), new Reduction(sb, target)};
        }

        private static Shape target(Shape a, Shape b) {
            if (a.dimension() == 3 && b.dimension() == 3) {
                return new Shape(Math.min(a.get(0), b.get(0)), Math.min(a.get(1), b.get(1)),
                        Math.min(a.get(2), b.get(2)));
            }
            if ((a.dimension() == 1 || a.dimension() == 3) && (b.dimension() == 1 || b.dimension() == 3)) {
                return new Shape(Math.min(a.get(0), b.get(0)));
            }
            return null;
        }

        private static boolean reachable(Shape from, Shape to) {
            if (from.get(0) % to.get(0) != 0) {
                return false;
            }
            return to.dimension() == 1 || (from.get(1) / kernel(from.get(1), to.get(1)) == to.get(1)
                    && from.get(2) / kernel(from.get(2), to.get(2)) == to.get(2));
        }

        private static long kernel(long from, long to) {
            return from / to;
        }

        NDArray apply(NDArray x) {
            long batch = x.getShape().get(0);
            if (from.dimension() == 3 && to.dimension() == 1) {
                x = x.reshape(batch, from.get(0), -1).mean(new int[] {2}); // one axis: DJL's torch mean takes one
            } else if (from.dimension() == 3 && (from.get(1) != to.get(1) || from.get(2) != to.get(2))) {
                Shape k = new Shape(kernel(from.get(1), to.get(1)), kernel(from.get(2), to.get(2)));
                x = Pool.avgPool2d(x, k, k, new Shape(0, 0), false, true);
            }
            long groups = from.get(0) / to.get(0);
            if (groups > 1) {
                Shape rest = x.getShape().slice(2);
                long[] dims = new long[3 + rest.dimension()];
                dims[0] = batch;
                dims[1] = to.get(0);
                dims[2] = groups;
                for (int i = 0; i < rest.dimension(); i++) {
                    dims[3 + i] = rest.get(i);
                }
                x = x.reshape(new Shape(dims)).mean(new int[] {2});
            }
            return x;
        }
    }
}

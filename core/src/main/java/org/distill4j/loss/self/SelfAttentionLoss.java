package org.distill4j.loss.self;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
 * Self-attention distillation (Hou et al. 2019, "Learning Lightweight Lane Detection CNNs by
 * Self Attention Distillation", ICCV): each stage's attention map mimics the next deeper
 * stage's, within one network and without a teacher. The term
 * {@code sad = weight · Σ_i mean((Q(pool(A_i)) − Q(A_{i+1}))²)} over consecutive taps (the
 * objective, {@code new WeightedSum(1, sadLoss)}, is {@code CE + sad}), where, as in
 * attention transfer (Zagoruyko &amp; Komodakis 2017), {@code A = mean_c(F_c²)} per sample and
 * {@code Q} flattens it and L2-normalises it; the deeper map's {@code Q} is a detached target.
 * The term is off (exactly 0, no gradient) before epoch {@code warmupEpochs}: Hou et al. switch
 * it on once the network has learned something, late in training.
 *
 * <p>Choices: the shallower stage's energy map {@code A_i} is adaptive-average-pooled to the
 * deeper stage's height and width before normalising (Hou et al. upsample the deeper one
 * bilinearly instead; pooling keeps AT's map as it is at the deeper size); the squared
 * difference is a mean over batch and positions, as in AT's code, hence a large default weight.
 * An all-zero map gets attention 0 (norm floored at 1e-12).
 */
public final class SelfAttentionLoss implements DistillationLoss {
    public static final String TERM = "sad";

    private final List<String> configuredTaps;
    private final double weight;
    private final int warmupEpochs;
    private List<String> taps;
    private boolean active;

    /**
     * @param taps feature-map taps, shallowest first (each learns from the next), or null for
     *     {@link #defaultTaps}
     * @param warmupEpochs the term is on from this 0-based epoch
     */
    public SelfAttentionLoss(List<String> taps, double weight, int warmupEpochs) {
        if (taps != null && taps.size() < 2) {
            throw new IllegalArgumentException("sad needs at least two taps (got " + taps + ")");
        }
        if (!(weight >= 0 && Double.isFinite(weight)) || warmupEpochs < 0) {
            throw new IllegalArgumentException("sad needs weight ≥ 0 and warmupEpochs ≥ 0 (got " + weight + ", "
                    + warmupEpochs + ")");
        }
        this.configuredTaps = taps == null ? null : List.copyOf(taps);
        this.taps = configuredTaps;
        this.weight = weight;
        this.warmupEpochs = warmupEpochs;
    }

    /** The feature-map taps (C, H, W) of a network in order, {@code stem} left out: its stages. */
    public static List<String> defaultTaps(TapShapes shapes) {
        return shapes.mapTaps().stream().filter(t -> !t.equals("stem")).toList();
    }

    /** {@code normalise₂(flatten(pool(mean_c(F²))))}: (B, C, H, W) → (B, h·w). */
    public static NDArray attention(NDArray map, long h, long w) {
        long batch = map.getShape().get(0);
        NDArray energy = pool(map.square().mean(new int[] {1}), h, w);
        NDArray q = energy.reshape(batch, -1);
        return q.div(Scalars.maximum(q.norm(new int[] {1}, true), 1e-12f));
    }

    /**
     * Adaptive average pooling of (B, H, W) to (B, h, w) with PyTorch's windows (output row i
     * averages input rows ⌊iH/h⌋ … ⌈(i+1)H/h⌉−1), as two matrix products so gradients pass.
     */
    static NDArray pool(NDArray x, long h, long w) {
        long height = x.getShape().get(1);
        long width = x.getShape().get(2);
        if (h == height && w == width) {
            return x;
        }
        NDManager m = x.getManager();
        NDArray rows = windows(m, h, height).toType(x.getDataType(), false);
        NDArray cols = windows(m, w, width).toType(x.getDataType(), false).transpose();
        return rows.matMul(x).matMul(cols);
    }

    private static NDArray windows(NDManager m, long out, long in) {
        double[] a = new double[Math.toIntExact(out * in)];
        for (long i = 0; i < out; i++) {
            long start = Math.floorDiv(i * in, out);
            long end = Math.floorDiv((i + 1) * in + out - 1, out);
            for (long j = start; j < end; j++) {
                a[(int) (i * in + j)] = 1.0 / (end - start);
            }
        }
        return m.create(a, new Shape(out, in));
    }

    @Override
    public void bind(Binding binding) {
        TapShapes shapes = binding.student();
        List<String> t = configuredTaps != null ? configuredTaps : defaultTaps(shapes);
        if (t.size() < 2) {
            throw new TapException("sad: needs at least two feature-map taps (C, H, W) in the student; its feature maps "
                    + "are " + shapes.mapTaps() + " (of " + shapes.shapes().keySet() + ")");
        }
        for (int i = 0; i + 1 < t.size(); i++) {
            Shape s = shapes.shape(t.get(i));
            Shape d = shapes.shape(t.get(i + 1));
            if (s.dimension() != 3 || d.dimension() != 3) {
                throw new TapException("sad: taps '" + t.get(i) + "' " + s + " and '" + t.get(i + 1) + "' " + d
                        + " must both be feature maps (C, H, W); the student's are " + shapes.mapTaps());
            }
            if (d.get(1) > s.get(1) || d.get(2) > s.get(2)) {
                throw new TapException("sad: tap '" + t.get(i) + "' " + s + " is smaller than the next, '" + t.get(i + 1)
                        + "' " + d + "; list the taps shallowest first (maps shrink with depth): "
                        + shapes.mapTaps());
            }
        }
        taps = List.copyOf(t);
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        active = epoch >= warmupEpochs;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        if (taps == null) {
            throw new IllegalStateException("sad: the default taps are chosen in bind(); bind the loss first");
        }
        NDArray sad;
        if (active) {
            sad = null;
            for (int i = 0; i + 1 < taps.size(); i++) {
                NDArray deeper = student.get(taps.get(i + 1));
                long h = deeper.getShape().get(2);
                long w = deeper.getShape().get(3);
                NDArray target = attention(deeper, h, w).stopGradient();
                NDArray pair = attention(student.get(taps.get(i)), h, w).sub(target).square().mean();
                sad = sad == null ? pair : sad.add(pair);
            }
            sad = Scalars.mul(sad, (float) weight);
        } else {
            NDArray logits = student.logits(); // a batch mean's manager, shape and type
            sad = logits.getManager().zeros(new Shape(), logits.getDataType());
        }
        return LossValue.of(TERM, sad);
    }

    /** The taps, shallowest first (after {@link #bind} when the defaults are used). */
    public List<String> taps() {
        return taps == null ? null : new ArrayList<>(taps);
    }

    @Override
    public Set<String> studentTaps() {
        return taps == null ? Set.of() : new LinkedHashSet<>(taps);
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }
}

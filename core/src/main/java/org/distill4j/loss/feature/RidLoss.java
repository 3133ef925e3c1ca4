package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Alternating;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;

/**
 * Redundant information distillation (Dissanayake, Hamman, Halder, Sheikh &amp; Dutta, AISTATS 2025,
 * "Quantifying Knowledge Distillation Using Partial Information Decomposition"): the student learns
 * only what its teacher knows that is about the task. For each pair of taps k a <i>teacher
 * filter</i> {@code f_t,k} (1×1 conv, batch norm, ReLU, 1×1 conv, keeping the teacher's channels;
 * for vectors the same with linear layers) carries a classification head (global average pool,
 * linear), and a <i>student filter</i> {@code f_s,k} (1×1 conv, ReLU, 1×1 conv to the teacher's
 * channels; for vectors one linear layer) maps the student's tap. Training goes in rounds of
 * {@code roundSteps} steps: in the first {@code teacherSteps} the teacher filters and heads (the
 * {@link Alternating} partner, with an optimizer of its own) minimise
 * <pre>  Σ_k CE(head_k(f_t,k), y) + [from the second round] Σ_k mean((f_s,k − f_t,k)² / σ_c)     (student side detached)</pre>
 * and in the rest the student and its filters and σ minimise {@code ceWeight·CE + β·Σ_k align_k}
 * (teacher side detached), with
 * <pre>  align_k = mean_{batch, channels, positions}( σ_c² + (f_s,k − f_t,k)² / σ_c ),  σ_c = softplus(α_c) + 1e-3</pre>
 * (with {@code divisor: variance}, the paper's text and METHODS.md: {@code (f_s,k − f_t,k)² / σ_c²}, in the
 * teacher filters' distance too)
 * (β = 10 in the paper). These follow the authors' implementation (their alternating RED student:
 * the student's {@code var² + (sf − tf)²/var} with {@code var = softplus(α) + 1e-3}, α starting at
 * 5; the teacher filter's {@code CE + (sf − tf)²/var} at weight 1, switched on after the first
 * round; heads flatten, ReLU, linear). An earlier reading divided by σ² and weighted the teacher
 * filters' alignment by β from the first step: there σ shrinks to √|d| and {@code d²/σ²} jumps
 * whenever the teacher filters move, which made RID unstable (issue 13). The heads make the filtered
 * teacher task-relevant: a nuisance teacher (random weights) leaves little in its filtered features
 * for the student to copy, where VID (which copies the raw features) is led astray.
 */
public final class RidLoss implements DistillationLoss, Alternating {
    /** The student's term. */
    public static final String TERM = "rid";
    /** The partner's terms: the heads' cross-entropy and the alignment. */
    public static final String HEADS = "rid.heads";
    public static final String ALIGN = "rid.align";
    /** σ = softplus(α) + EPS. */
    public static final double EPS = 1e-3;

    private final List<String> studentTaps;
    private final List<String> teacherTaps;
    private final double beta;
    private final double initSigma;
    private final int roundSteps;
    private final int teacherSteps;
    /** Whether the squared distance is divided by σ² (the paper's text) rather than σ (the authors' code). */
    private final boolean byVariance;
    private Adapters student;
    private Adapters partner;
    private long lastStep;

    /** With the authors' alignment, {@code σ² + d²/σ}. */
    public RidLoss(List<String> studentTaps, List<String> teacherTaps, double beta, double initSigma, int roundSteps,
            int teacherSteps) {
        this(studentTaps, teacherTaps, beta, initSigma, roundSteps, teacherSteps, false);
    }

    /** @param byVariance divide the squared distance by σ² ({@code σ² + d²/σ²}) instead of σ */
    public RidLoss(List<String> studentTaps, List<String> teacherTaps, double beta, double initSigma, int roundSteps,
            int teacherSteps, boolean byVariance) {
        if (studentTaps.isEmpty() || studentTaps.size() != teacherTaps.size()) {
            throw new IllegalArgumentException("rid: studentTaps and teacherTaps must pair one to one (got "
                    + studentTaps + " and " + teacherTaps + ")");
        }
        if (!(beta >= 0 && Double.isFinite(beta)) || !(initSigma > EPS && Double.isFinite(initSigma))) {
            throw new IllegalArgumentException("rid: need beta ≥ 0 and initSigma > " + EPS + " (got beta=" + beta
                    + ", initSigma=" + initSigma + ")");
        }
        if (roundSteps < 2 || teacherSteps < 1 || teacherSteps >= roundSteps) {
            throw new IllegalArgumentException("rid: need 1 ≤ teacherSteps < roundSteps (got teacherSteps="
                    + teacherSteps + ", roundSteps=" + roundSteps + ")");
        }
        this.studentTaps = List.copyOf(studentTaps);
        this.teacherTaps = List.copyOf(teacherTaps);
        this.beta = beta;
        this.initSigma = initSigma;
        this.roundSteps = roundSteps;
        this.teacherSteps = teacherSteps;
        this.byVariance = byVariance;
    }

    /**
     * {@code mean(σ² + (fs − ft)²/σ)} over every value, σ_c = softplus(α_c) + {@link #EPS} per
     * channel (axis 1); {@code fs}, {@code ft} are (B, C) or (B, C, H, W), {@code alpha} (C).
     */
    public static NDArray align(NDArray fs, NDArray alpha, NDArray ft) {
        return align(fs, alpha, ft, false);
    }

    /** As {@link #align(NDArray, NDArray, NDArray)}; with {@code byVariance}, {@code mean(σ² + (fs − ft)²/σ²)}. */
    public static NDArray align(NDArray fs, NDArray alpha, NDArray ft, boolean byVariance) {
        NDArray sigma = sigma(alpha, ft.getShape());
        NDArray sigma2 = sigma.square();
        return fs.sub(ft).square().div(byVariance ? sigma2 : sigma).add(sigma2).mean();
    }

    /** {@code mean((fs − ft)²/σ)}: what the teacher filters minimise beside their heads (σ fixed there). */
    public static NDArray distance(NDArray fs, NDArray alpha, NDArray ft) {
        return distance(fs, alpha, ft, false);
    }

    /** As {@link #distance(NDArray, NDArray, NDArray)}; with {@code byVariance}, {@code mean((fs − ft)²/σ²)}. */
    public static NDArray distance(NDArray fs, NDArray alpha, NDArray ft, boolean byVariance) {
        NDArray sigma = sigma(alpha, ft.getShape());
        return fs.sub(ft).square().div(byVariance ? sigma.square() : sigma).mean();
    }

    /** σ_c = softplus(α_c) + EPS shaped to broadcast over axis 1 of {@code shape}. */
    private static NDArray sigma(NDArray alpha, Shape shape) {
        long[] broadcast = new long[shape.dimension()];
        java.util.Arrays.fill(broadcast, 1);
        broadcast[1] = shape.get(1);
        return Activation.softPlus(alpha).add((float) EPS).reshape(new Shape(broadcast));
    }

    static String studentFilter(int k) {
        return "rid.student" + k;
    }

    static String alpha(int k) {
        return "rid.alpha" + k;
    }

    static String teacherFilter(int k) {
        return "rid.filter" + k;
    }

    static String head(int k) {
        return "rid.head" + k;
    }

    /** The student tap's and teacher tap's per-sample shapes of pair k, checked to pair maps with maps of one size, or vectors. */
    private Shape[] pair(Binding binding, int k) {
        TapShapes teacher = FeatureTaps.teacher("rid", binding);
        String st = studentTaps.get(k);
        String tt = teacherTaps.get(k);
        Shape s = binding.student().shape(st);
        Shape t = teacher.shape(tt);
        String both = FeatureTaps.describe(binding.student(), st) + " and " + FeatureTaps.describe(teacher, tt);
        if (s.dimension() == 3 && t.dimension() == 3) {
            if (!s.slice(1).equals(t.slice(1))) {
                throw new TapException("rid: " + both + " differ in spatial size; the filters keep height and width, "
                        + "so pair taps of equal size (" + FeatureTaps.maps(binding) + ")");
            }
        } else if (s.dimension() != 1 || t.dimension() != 1) {
            throw new TapException("rid: " + both + " are not both feature maps (C, H, W) nor both vectors; pair maps "
                    + "with maps (" + FeatureTaps.maps(binding) + ") or vectors with vectors");
        }
        return new Shape[] {s, t};
    }

    private static Block conv1x1(long channels) {
        return Conv2d.builder().setFilters((int) channels).setKernelShape(new Shape(1, 1)).build();
    }

    private static Block layer(boolean map, long channels) {
        return map ? conv1x1(channels) : Linear.builder().setUnits(channels).build();
    }

    @Override
    public void bind(Binding binding) {
        for (int k = 0; k < studentTaps.size(); k++) {
            Shape[] st = pair(binding, k);
            boolean map = st[1].dimension() == 3;
            long c = st[1].get(0);
            Block filter = map ? new SequentialBlock().add(conv1x1(c)).add(Activation.reluBlock()).add(conv1x1(c))
                    : Linear.builder().setUnits(c).build();
            binding.adapters().block(studentFilter(k + 1), filter, new Shape(2).addAll(st[0]));
            binding.adapters().tensor(alpha(k + 1), new Shape(c), (float) VidLoss.alphaFor(initSigma, EPS));
        }
        this.student = binding.adapters();
    }

    @Override
    public void bindPartner(Binding binding, Adapters partner) {
        long classes = binding.student().shape(Outputs.LOGITS).get(0);
        for (int k = 0; k < studentTaps.size(); k++) {
            Shape t = pair(binding, k)[1];
            boolean map = t.dimension() == 3;
            long c = t.get(0);
            Block filter = new SequentialBlock().add(layer(map, c)).add(BatchNorm.builder().build())
                    .add(Activation.reluBlock()).add(layer(map, c));
            partner.block(teacherFilter(k + 1), filter, new Shape(2).addAll(t));
            // as the authors': flatten, ReLU, linear over every value of the filtered map
            Block head = new SequentialBlock().add(ai.djl.nn.Blocks.batchFlattenBlock()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(classes).build());
            partner.block(head(k + 1), head, new Shape(2).addAll(t));
        }
        this.partner = partner;
    }

    private void bound() {
        if (student == null || partner == null) {
            throw new IllegalStateException("rid: bind() and bindPartner() must run before compute(): the filters "
                    + "are made there");
        }
    }

    @Override
    public LossValue compute(Outputs outputs, Knowledge teacher, Batch batch) {
        bound();
        NDArray total = null;
        for (int k = 0; k < studentTaps.size(); k++) {
            NDArray s = outputs.get(studentTaps.get(k));
            NDArray fs = student.forward(studentFilter(k + 1), s);
            NDArray ft = partner.forward(teacherFilter(k + 1), teacher.outputs().get(teacherTaps.get(k)).stopGradient())
                    .stopGradient();
            NDArray term = align(fs, student.tensor(alpha(k + 1), s.getManager()), ft, byVariance);
            total = total == null ? term : total.add(term);
        }
        return LossValue.of(TERM, Scalars.mul(total, (float) beta));
    }

    @Override
    public String partner() {
        return "teacher-filters";
    }

    @Override
    public boolean partnerStep(long step) {
        // the policy asks for every step before it runs (a resumed run too): the partner's loss reads it
        lastStep = step;
        return step % roundSteps < teacherSteps;
    }

    @Override
    public LossValue partnerLoss(Outputs outputs, Knowledge teacher, Batch batch) {
        bound();
        if (!batch.hasLabels()) {
            throw new IllegalArgumentException("rid: the teacher filters' heads learn from labels, the batch has none");
        }
        NDArray heads = null;
        NDArray aligned = null;
        for (int k = 0; k < studentTaps.size(); k++) {
            NDArray s = outputs.get(studentTaps.get(k)).stopGradient();
            NDArray ft = partner.forward(teacherFilter(k + 1), teacher.outputs().get(teacherTaps.get(k)).stopGradient());
            NDArray ce = CrossEntropy.of(partner.forward(head(k + 1), ft), batch.labels());
            NDArray fs = student.forward(studentFilter(k + 1), s).stopGradient();
            NDArray term = distance(fs, student.tensor(alpha(k + 1), s.getManager()).stopGradient(), ft, byVariance);
            heads = heads == null ? ce : heads.add(ce);
            aligned = aligned == null ? term : aligned.add(term);
        }
        // the first round trains the heads alone, as the authors'
        return LossValue.of(HEADS, heads, ALIGN, Scalars.mul(aligned, lastStep >= roundSteps ? 1f : 0f));
    }

    @Override
    public Set<String> studentTaps() {
        return new LinkedHashSet<>(studentTaps);
    }

    @Override
    public Set<String> teacherTaps() {
        return new LinkedHashSet<>(teacherTaps);
    }
}

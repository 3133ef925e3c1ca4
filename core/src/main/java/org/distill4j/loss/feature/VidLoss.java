package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.model.Scalars;

/**
 * Variational information distillation (Ahn, Hu, Damianou, Lawrence &amp; Dai 2019, "Variational
 * Information Distillation for Knowledge Transfer", CVPR): the student maximises a variational
 * lower bound on its mutual information with the teacher by predicting the teacher's tap with a
 * Gaussian of mean {@code μ(s)} (a learned regressor) and a learned per-channel variance
 * {@code v_c = softplus(α_c) + ε}, as the paper (eq. 4) and its peers (RepDistiller's and
 * mdistiller's {@code VIDLoss}, torchdistill's {@code VIDLoss}) have it. The loss is the negative
 * log-likelihood without its constant,
 * <pre>  vid = β · mean_{batch, positions} Σ_c ½ [ log v_c + (t_c − μ_c(s))² / v_c ]</pre>
 * i.e. summed over channels and averaged over samples and spatial positions (a vector tap has
 * one position). The method's objective ({@link org.distill4j.method.Vid#objective()}) is
 * {@code ceWeight·CE + vid}.
 *
 * <p>{@link Variance#STD} ({@code variance: std}) keeps distill4j's earlier reading, in which
 * {@code softplus(α) + ε} is the standard deviation σ:
 * {@code Σ_c [ log σ_c + (t_c − μ_c)² / (2σ_c²) ]}. Both start from the same Gaussian
 * (variance {@code initSigma²}).
 *
 * <p>Scale: RepDistiller's {@code VIDLoss} averages over channels too, so this value is C (the
 * teacher's channel count) times RepDistiller's, and the default weight β = 100 is 100·C times
 * RepDistiller's usual weight of 1. The {@code log v} part does not depend on the student and may
 * be negative; the loss value is not a distance. To reproduce RepDistiller's value use β = 1/C.
 *
 * <p>Adapters (made in {@link #bind}, trained with the student, dropped after): for feature maps
 * μ is 1×1 conv (to {@code hidden} channels, default the teacher's), ReLU, 1×1 conv (to the
 * teacher's channels), with biases (<i>choice</i>); for vectors a linear layer. α starts where
 * {@code σ = initSigma} (default √5, i.e. RepDistiller's initial variance 5). Maps of different
 * spatial size are refused (the regressor keeps the size); maps are paired with maps and vectors
 * with vectors.
 */
public final class VidLoss implements DistillationLoss {
    /** Name of the mean regressor adapter. */
    public static final String MEAN = "vid.mean";
    /** Name of the per-channel α adapter tensor. */
    public static final String ALPHA = "vid.alpha";

    /** What {@code softplus(α) + ε} is: the variance (the paper and its peers; default) or the standard deviation. */
    public enum Variance {
        /** {@code softplus(α) + ε} is the variance v: {@code ½ (log v + (t−μ)²/v)} per value. */
        @com.fasterxml.jackson.annotation.JsonProperty("var") VAR,
        /** {@code softplus(α) + ε} is the standard deviation σ: {@code log σ + (t−μ)²/(2σ²)} per value. */
        @com.fasterxml.jackson.annotation.JsonProperty("std") STD
    }

    private final String studentTap;
    private final String teacherTap;
    private final Integer hidden;
    private final double initSigma;
    private final double eps;
    private final double beta;
    private final Variance variance;
    private Adapters adapters;
    private long channels;

    /**
     * @param hidden width of the map regressor's middle layer, or null for the teacher's channel count
     */
    public VidLoss(String studentTap, String teacherTap, Integer hidden, double initSigma, double eps, double beta) {
        this(studentTap, teacherTap, hidden, initSigma, eps, beta, Variance.VAR);
    }

    /** @param variance what {@code softplus(α) + ε} is (null: {@link Variance#VAR}) */
    public VidLoss(String studentTap, String teacherTap, Integer hidden, double initSigma, double eps, double beta,
            Variance variance) {
        if (hidden != null && hidden < 1) {
            throw new IllegalArgumentException("vid: hidden must be ≥ 1 (got " + hidden + ")");
        }
        if (!(eps > 0 && eps < 1) || !(initSigma > eps && Double.isFinite(initSigma))) {
            throw new IllegalArgumentException("vid: need 0 < eps < 1 and initSigma > eps (got eps=" + eps
                    + ", initSigma=" + initSigma + ")");
        }
        if (!(beta >= 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("vid: beta must be finite and ≥ 0 (got " + beta + ")");
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.hidden = hidden;
        this.initSigma = initSigma;
        this.eps = eps;
        this.beta = beta;
        this.variance = variance == null ? Variance.VAR : variance;
    }

    /**
     * The negative log-likelihood summed over channels and averaged over samples and positions,
     * with {@code softplus(α) + eps} the variance ({@link Variance#VAR}:
     * {@code ½ (log v + (t−μ)²/v)} per value) or the standard deviation ({@link Variance#STD}:
     * {@code log σ + (t−μ)²/(2σ²)}); {@code mu} and {@code target} are (B, C) or (B, C, H, W),
     * {@code alpha} is (C).
     */
    public static NDArray nll(NDArray mu, NDArray alpha, NDArray target, double eps, Variance variance) {
        Shape shape = target.getShape();
        long[] broadcast = new long[shape.dimension()];
        java.util.Arrays.fill(broadcast, 1);
        broadcast[1] = shape.get(1);
        NDArray scale = Activation.softPlus(alpha).add((float) eps).reshape(new Shape(broadcast));
        NDArray perValue = variance == Variance.STD
                ? target.sub(mu).square().div(Scalars.mul(scale.square(), 2)).add(scale.log())
                : Scalars.mul(target.sub(mu).square().div(scale).add(scale.log()), 0.5f);
        // Σ over channels, mean over samples and positions: the total divided by B·H·W
        return Scalars.div(perValue.sum(), shape.size() / shape.get(1));
    }

    /** The α that gives {@code softplus(α) + ε = sigma}: softplus⁻¹(σ − ε) = log(exp(σ − ε) − 1). */
    static double alphaFor(double sigma, double eps) {
        return Math.log(Math.expm1(sigma - eps));
    }

    @Override
    public void bind(Binding binding) {
        TapShapes teacher = FeatureTaps.teacher("vid", binding);
        Shape s = binding.student().shape(studentTap);
        Shape t = teacher.shape(teacherTap);
        String pair = FeatureTaps.describe(binding.student(), studentTap) + " and "
                + FeatureTaps.describe(teacher, teacherTap);
        Block mean;
        if (s.dimension() == 3 && t.dimension() == 3) {
            if (!s.slice(1).equals(t.slice(1))) {
                throw new TapException("vid: " + pair + " differ in spatial size; the regressor keeps height and "
                        + "width, so pick taps of equal size (" + FeatureTaps.maps(binding) + ")");
            }
            mean = new SequentialBlock()
                    .add(Conv2d.builder().setFilters(hidden == null ? (int) t.get(0) : hidden)
                            .setKernelShape(new Shape(1, 1)).build())
                    .add(Activation.reluBlock())
                    .add(Conv2d.builder().setFilters((int) t.get(0)).setKernelShape(new Shape(1, 1)).build());
        } else if (s.dimension() == 1 && t.dimension() == 1) {
            mean = Linear.builder().setUnits(t.get(0)).build();
        } else {
            throw new TapException("vid: " + pair + " are not both feature maps (C, H, W) nor both vectors; "
                    + "pair maps with maps (" + FeatureTaps.maps(binding) + ") or vectors with vectors (e.g. "
                    + "'embedding' on both)");
        }
        binding.adapters().block(MEAN, mean, new Shape(2).addAll(s));
        // both readings start from the same Gaussian: variance initSigma²
        double start = variance == Variance.STD ? initSigma : initSigma * initSigma;
        binding.adapters().tensor(ALPHA, new Shape(t.get(0)), (float) alphaFor(start, eps));
        this.channels = t.get(0);
        this.adapters = binding.adapters();
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        if (adapters == null) {
            throw new IllegalStateException("vid: bind() must run before compute(): the regressor is made there");
        }
        NDArray s = student.get(studentTap);
        NDArray mu = adapters.forward(MEAN, s);
        // The tensor adapter hands out its parameter itself; adding it to a batch-scope zero keeps
        // every array this step derives from it in the batch's manager (freed with the step).
        NDArray alpha = s.getManager().zeros(new Shape(channels), s.getDataType())
                .add(adapters.tensor(ALPHA, s.getManager()));
        NDArray target = teacher.outputs().get(teacherTap).stopGradient();
        NDArray vid = Scalars.mul(nll(mu, alpha, target, eps, variance), (float) beta);
        return LossValue.of("vid", vid);
    }

    @Override
    public Set<String> studentTaps() {
        return Set.of(studentTap);
    }

    @Override
    public Set<String> teacherTaps() {
        return Set.of(teacherTap);
    }
}

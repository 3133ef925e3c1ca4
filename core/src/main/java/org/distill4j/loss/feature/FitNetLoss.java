package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
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
 * FitNets hints (Romero, Ballas, Kahou, Chassang, Gatta &amp; Bengio 2015, "FitNets: Hints for
 * Thin Deep Nets", ICLR): the student's <i>guided</i> tap, through a learned regressor
 * {@code r}, regresses the teacher's <i>hint</i> tap: the term
 * {@code hint = β·mean((r(v_s) − u_t)²)}, the mean over every element (batch, channels,
 * positions). The method's objective ({@link org.distill4j.method.FitNet#objective()}) is
 * {@code ceWeight·CE + hint}.
 *
 * <p>The regressor is an adapter created in {@link #bind}: for feature maps a k×k convolution
 * (k = 1 or 3, <i>choice</i>, padding keeps the size, no bias) to the teacher's channel count,
 * then batch norm (batch statistics: it is only ever used in training) and ReLU (teacher maps
 * in the zoo are post-ReLU); for vectors a linear layer to the teacher's width. It is trained
 * with the student and dropped after training. Maps of different spatial size are refused:
 * the regressor keeps the size. The paper trains hints alone first (stage 1, with the method's
 * {@code ceWeight = 0}) and then KD; by default both terms are trained jointly.
 */
public final class FitNetLoss implements DistillationLoss {
    /** Name of the regressor adapter. */
    public static final String REGRESSOR = "fitnet.regressor";

    private final String studentTap;
    private final String teacherTap;
    private final int kernel;
    private final double beta;
    private Adapters adapters;

    public FitNetLoss(String studentTap, String teacherTap, int kernel, double beta) {
        if (kernel != 1 && kernel != 3) {
            throw new IllegalArgumentException("fitnet: kernel must be 1 or 3 (got " + kernel + ")");
        }
        if (!(beta >= 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("fitnet: beta must be finite and ≥ 0 (got " + beta + ")");
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.kernel = kernel;
        this.beta = beta;
    }

    /** The hint loss on already-regressed features: mean of squared differences over all elements. */
    public static NDArray hint(NDArray regressed, NDArray target) {
        return regressed.sub(target).square().mean();
    }

    @Override
    public void bind(Binding binding) {
        TapShapes teacher = FeatureTaps.teacher("fitnet", binding);
        binding.adapters().block(REGRESSOR, regressor("fitnet", binding.student(), studentTap, teacher, teacherTap,
                kernel), regressorInput(binding.student(), studentTap));
        this.adapters = binding.adapters();
    }

    /**
     * The regressor from the student's tap to the teacher's (see the class comment): a k×k
     * convolution + batch norm + ReLU between feature maps of equal spatial size, a linear layer
     * between vectors; anything else is a {@link TapException} naming both taps ({@code method}
     * prefixes it). Register it with {@link #regressorInput}.
     */
    public static Block regressor(String method, TapShapes student, String studentTap, TapShapes teacher,
            String teacherTap, int kernel) {
        Shape s = student.shape(studentTap);
        Shape t = teacher.shape(teacherTap);
        String pair = FeatureTaps.describe(student, studentTap) + " and " + FeatureTaps.describe(teacher, teacherTap);
        String maps = FeatureTaps.maps(student) + "; " + FeatureTaps.maps(teacher);
        if (s.dimension() == 3 && t.dimension() == 3) {
            if (s.get(1) != t.get(1) || s.get(2) != t.get(2)) {
                throw new TapException(method + ": " + pair + " differ in spatial size; the regressor keeps height and "
                        + "width, so pick taps of equal size (" + maps + ")");
            }
            return new SequentialBlock()
                    .add(Conv2d.builder().setFilters((int) t.get(0)).setKernelShape(new Shape(kernel, kernel))
                            .optPadding(new Shape(kernel / 2, kernel / 2)).optBias(false).build())
                    .add(BatchNorm.builder().build())
                    .add(Activation.reluBlock());
        } else if (s.dimension() == 1 && t.dimension() == 1) {
            return Linear.builder().setUnits(t.get(0)).build();
        }
        throw new TapException(method + ": " + pair + " are not both feature maps (C, H, W) nor both vectors; "
                + "pair maps with maps (" + maps + ") or vectors with vectors (e.g. 'embedding' on both)");
    }

    /** The input shape a regressor of the student's tap is initialised for (batch of 2: batch norm wants more than one). */
    public static Shape regressorInput(TapShapes student, String studentTap) {
        return new Shape(2).addAll(student.shape(studentTap));
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        if (adapters == null) {
            throw new IllegalStateException("fitnet: bind() must run before compute(): the regressor is made there");
        }
        NDArray regressed = adapters.forward(REGRESSOR, student.get(studentTap));
        NDArray target = teacher.outputs().get(teacherTap).stopGradient();
        NDArray hint = Scalars.mul(hint(regressed, target), (float) beta);
        return LossValue.of("hint", hint);
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

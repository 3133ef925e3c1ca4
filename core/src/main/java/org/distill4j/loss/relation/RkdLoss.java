package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;

/**
 * Relational knowledge distillation (Park, Kim, Lu &amp; Cho 2019, "Relational Knowledge
 * Distillation"): the student matches the teacher's relations between the samples of a batch,
 * not its features. The terms {@code rkd_distance = λ_D·Huber(ψ_D(s), ψ_D(t))} and
 * {@code rkd_angle = λ_A·Huber(ψ_A(s), ψ_A(t))} (in that order, each left out at weight 0, so
 * both at 0 leave no term and a total of 0; the
 * method's objective, {@link org.distill4j.method.RelationalKd#objective()}, is
 * {@code ceWeight·CE + rkd_distance + rkd_angle}) with
 * Huber δ = 1 (torch's smooth L1), averaged over the entries, on features flattened per sample.
 *
 * <ul>
 *   <li>distance {@code ψ_D}: pairwise Euclidean distances (B×B), squared distances clamped at
 *       1e-12 before the square root, diagonal zeroed, divided by their mean non-zero value;
 *   <li>angle {@code ψ_A}: for every triplet (i, j, k) the cosine between {@code f_j − f_i} and
 *       {@code f_k − f_i} (B×B×B; the degenerate j = i or k = i give 0 on both sides, and so do
 *       triplets whose student difference vector is exactly zero, see {@link #angleLoss}).
 * </ul>
 *
 * As in the authors' code and RepDistiller, teacher and student may have any dimensions and the
 * defaults are λ_D = 25, λ_A = 50 on the penultimate embedding. The angle term costs B²·D memory
 * and B³·D operations. Teacher features are detached.
 */
public final class RkdLoss implements DistillationLoss {
    public static final String DISTANCE = "rkd_distance";
    public static final String ANGLE = "rkd_angle";

    private final String studentTap;
    private final String teacherTap;
    private final double distanceWeight;
    private final double angleWeight;

    public RkdLoss(String studentTap, String teacherTap, double distanceWeight, double angleWeight) {
        if (!(distanceWeight >= 0) || !(angleWeight >= 0)) {
            throw new IllegalArgumentException("rkd needs non-negative weights, got distance " + distanceWeight
                    + ", angle " + angleWeight);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.distanceWeight = distanceWeight;
        this.angleWeight = angleWeight;
    }

    /** Pairwise distances divided by their mean over the non-zero entries (B×B). */
    static NDArray normalisedDistances(NDArray features) {
        NDArray d = Pairwise.distances(Pairwise.flatten(features), false);
        NDArray nonZero = d.gt(0).toType(d.getDataType(), false).sum();
        return d.div(d.sum().div(nonZero));
    }

    /** {@code e[i, j] = f_j − f_i} of the flattened features: B×B×D. */
    static NDArray differences(NDArray features) {
        NDArray f = Pairwise.flatten(features);
        return f.expandDims(0).sub(f.expandDims(1));
    }

    /** {@code a[i, j, k] = cos(e[i, j], e[i, k])}: B×B×B; a zero difference gives 0. */
    static NDArray angles(NDArray differences) {
        NDArray e = Pairwise.normalize(differences, 2);
        return e.batchMatMul(e.transpose(0, 2, 1));
    }

    /** Unweighted distance term. */
    public static NDArray distanceLoss(NDArray student, NDArray teacher) {
        return Pairwise.smoothL1(normalisedDistances(student), normalisedDistances(teacher));
    }

    /**
     * Unweighted angle term. Triplets where the student's {@code e[i, j]} or {@code e[i, k]} is exactly
     * zero (j = i, or two samples with identical features, e.g. all-zero rows after a ReLU) count as 0
     * on both sides: the angle is undefined there and normalising a zero vector would send a gradient
     * of 1/ε = 1e12 (RepDistiller's behaviour).
     */
    public static NDArray angleLoss(NDArray student, NDArray teacher) {
        NDArray es = differences(student);
        NDArray defined = es.square().sum(new int[] {2}).gt(Pairwise.NORM_EPS * Pairwise.NORM_EPS)
                .toType(es.getDataType(), false);
        NDArray mask = defined.expandDims(2).mul(defined.expandDims(1));
        return Pairwise.smoothL1(angles(es).mul(mask), angles(differences(teacher)).mul(mask));
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray s = student.get(studentTap);
        NDArray t = teacher.outputs().get(teacherTap).stopGradient();
        Map<String, NDArray> terms = new LinkedHashMap<>();
        if (distanceWeight > 0) {
            terms.put(DISTANCE, Pairwise.scaled(distanceLoss(s, t), distanceWeight));
        }
        if (angleWeight > 0) {
            terms.put(ANGLE, Pairwise.scaled(angleLoss(s, t), angleWeight));
        }
        return terms.isEmpty() ? LossValue.none(student.logits()) : LossValue.sum(terms);
    }

    @Override
    public Set<String> studentTaps() {
        return Set.of(studentTap);
    }

    @Override
    public Set<String> teacherTaps() {
        return Set.of(teacherTap);
    }

    @Override
    public void bind(Binding binding) {
        RelationTaps.require("rkd", binding, studentTap, teacherTap);
    }
}

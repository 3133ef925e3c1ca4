package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.model.Outputs;

/**
 * Similarity-preserving distillation (Tung &amp; Mori 2019, "Similarity-Preserving Knowledge
 * Distillation"): each network's features, flattened per sample to {@code F} (B×D), give the
 * batch similarity {@code G = F·Fᵀ} (B×B) with each row L2-normalised; the student matches the
 * teacher's: {@code ce·CE + γ·(1/B²)·‖G_t − G_s‖²_F}. The two taps may have any shapes: only B×B
 * matrices are compared.
 *
 * <p>The term's scale depends on the batch size: each entry of a normalised row is about
 * {@code 1/√B}, so {@code ‖G_t − G_s‖²_F/B²} shrinks roughly as {@code 1/B} and γ = 3000 (the
 * paper's, tuned at B = 128 on CIFAR) needs rescaling with B. Teacher features are detached.
 */
public final class SpLoss implements DistillationLoss {
    public static final String TERM = "sp";

    private final String studentTap;
    private final String teacherTap;
    private final double gamma;
    private final double ceWeight;

    public SpLoss(String studentTap, String teacherTap, double gamma, double ceWeight) {
        if (!(gamma >= 0) || !(ceWeight >= 0)) {
            throw new IllegalArgumentException("sp needs gamma >= 0 and ceWeight >= 0, got " + gamma + ", " + ceWeight);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.gamma = gamma;
        this.ceWeight = ceWeight;
    }

    /** The row-normalised batch similarity {@code normalize_rows(F·Fᵀ)} of flattened features. */
    static NDArray similarity(NDArray features) {
        NDArray f = Pairwise.flatten(features);
        return Pairwise.normalize(f.matMul(f.transpose()), 1);
    }

    /** {@code (1/B²)·‖G_t − G_s‖²_F}, unweighted. */
    public static NDArray of(NDArray student, NDArray teacher) {
        long b = student.getShape().get(0);
        return similarity(teacher).sub(similarity(student)).square().sum().div(b * b);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray ce = Pairwise.scaled(CrossEntropy.of(student.logits(), batch.labels()), ceWeight);
        NDArray sp = Pairwise.scaled(of(student.get(studentTap), teacher.outputs().get(teacherTap).stopGradient()), gamma);
        return LossValue.of(CrossEntropy.TERM, ce, TERM, sp);
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
        RelationTaps.require("sp", binding, studentTap, teacherTap);
    }
}

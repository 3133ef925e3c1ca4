package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * Similarity-preserving distillation (Tung &amp; Mori 2019, "Similarity-Preserving Knowledge
 * Distillation"): each network's features, flattened per sample to {@code F} (B×D), give the
 * batch similarity {@code G = F·Fᵀ} (B×B) with each row L2-normalised; the student matches the
 * teacher's: the term {@code sp = γ·(1/B²)·‖G_t − G_s‖²_F} (the method's objective,
 * {@link org.distill4j.method.SimilarityPreserving#objective()}, is {@code ceWeight·CE + sp}).
 * The two taps may have any shapes: only B×B matrices are compared.
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

    public SpLoss(String studentTap, String teacherTap, double gamma) {
        if (!(gamma >= 0)) {
            throw new IllegalArgumentException("sp needs gamma >= 0, got " + gamma);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.gamma = gamma;
    }

    /** The row-normalised batch similarity {@code normalize_rows(F·Fᵀ)} of flattened features. */
    static NDArray similarity(NDArray features) {
        NDArray f = Pairwise.flatten(features);
        return Pairwise.normalize(f.matMul(f.transpose()), 1);
    }

    /** {@code (1/B²)·‖G_t − G_s‖²_F}, unweighted. */
    public static NDArray of(NDArray student, NDArray teacher) {
        long b = student.getShape().get(0);
        return Scalars.div(similarity(teacher).sub(similarity(student)).square().sum(), b * b);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray sp = Pairwise.scaled(of(student.get(studentTap), teacher.outputs().get(teacherTap).stopGradient()), gamma);
        return LossValue.of(TERM, sp);
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

package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;

/**
 * ReAugKD's training loss (Zhang et al., ACL 2023, "ReAugKD: Retrieval-Augmented Knowledge
 * Distillation for Pre-trained Language Models"): response KD beside a relational term that
 * teaches the student's embedding to sit among the stored teacher embeddings as the teacher's
 * own does. For sample i of a batch with stored (projected, normalised) teacher embedding
 * {@code e_t_i} and the student's normalised embedding {@code e_s_i}, over the batch's other
 * samples j (the query is excluded from its own neighbours):
 *
 * <pre>
 * q_t(i, j) = softmax_{j≠i}(e_t_i·e_t_j / τ)    q_s(i, j) = softmax_{j≠i}(e_s_i·e_t_j / τ)
 * relation  = w·mean_i KL(q_t(i) ‖ q_s(i))       kd = α·T²·KL(p_t^T ‖ p_s^T)
 * </pre>
 *
 * (the method's objective adds {@code (1−α)·CE}). The relations are taken over the batch, as in
 * the paper, not over each entry's k nearest entries: those are nearly identical (the projection
 * gathers a class tightly), so {@code q_t} over them is nearly uniform and so is {@code q_s} for a
 * student embedding anywhere at all — the term then held the student's embedding nowhere near its
 * class's entries, and retrieval at inference fetched other classes' soft labels (issue 13). A
 * batch holds other classes too, and matching their relations puts {@code e_s_i} among its own
 * class's teacher entries. The stored embeddings are constants, so the term has no state of its
 * own and a resumed run continues exactly; {@code k} is used only by retrieval at inference.
 */
public final class ReAugKdLoss implements DistillationLoss {
    public static final String TERM = "relation";

    private final String studentTap;
    private final String teacherTap;
    private final KdLoss kd;
    private final double weight;
    private final double tau;
    private int studentDim = -1;
    private long teacherDim = -1;
    private KnowledgeBase kb;

    public ReAugKdLoss(String studentTap, String teacherTap, double temperature, double alpha, double weight,
            double tau) {
        if (!(weight >= 0) || !(tau > 0)) {
            throw new IllegalArgumentException("reaugkd needs weight ≥ 0, tau > 0; got " + weight + ", " + tau);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.kd = new KdLoss(temperature, alpha);
        this.weight = weight;
        this.tau = tau;
    }

    @Override
    public void bind(Binding binding) {
        Shape[] shapes = RelationTaps.require("reaugkd", binding, studentTap, teacherTap);
        if (shapes[0].dimension() != 1 || shapes[1].dimension() != 1) {
            throw new TapException("reaugkd: the knowledge base holds one embedding vector per sample; student tap '"
                    + studentTap + "' has shape " + shapes[0] + ", teacher tap '" + teacherTap + "' has shape "
                    + shapes[1] + "; name vector taps such as embedding");
        }
        studentDim = (int) shapes[0].size();
        teacherDim = shapes[1].size();
    }

    /** The student's embedding size (the projection's output), known once bound. */
    public int studentDim() {
        return studentDim;
    }

    /** The teacher's embedding size (the projection's input), known once bound. */
    public long teacherDim() {
        return teacherDim;
    }

    /** Uses {@code base}'s stored teacher embeddings for the relational term. */
    public ReAugKdLoss attach(KnowledgeBase base) {
        if (studentDim >= 0 && base.dim() != studentDim) {
            throw new TapException("reaugkd: the knowledge base holds embeddings of " + base.dim() + " values, student "
                    + "tap '" + studentTap + "' has " + studentDim);
        }
        this.kb = base;
        return this;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        if (kb == null) {
            throw new IllegalStateException("reaugkd: no knowledge base attached; the method runs with scheme reaugkd, "
                    + "which builds it (scheme: {name: reaugkd})");
        }
        NDArray kdTerm = kd.compute(student, teacher, batch).total();
        NDArray es = Pairwise.normalize(student.get(studentTap), 1);
        NDManager scope = es.getManager();
        int[] ids = batch.ids();
        int b = ids.length;
        int d = kb.dim();
        float[] anchor = new float[b * d];
        for (int i = 0; i < b; i++) {
            int r = kb.rowOf(ids[i]);
            if (r < 0) {
                throw new IllegalStateException("reaugkd: sample id " + ids[i] + " has no entry in the knowledge base "
                        + kb.dir() + " (built from the training set)");
            }
            System.arraycopy(kb.vector(r), 0, anchor, i * d, d);
        }
        if (b < 2) { // no other sample to relate to
            return LossValue.of("kd", kdTerm, TERM, Pairwise.scaled(es.sum(), 0));
        }
        NDArray et = scope.create(anchor, new Shape(b, d)).toType(es.getDataType(), false);
        NDArray logQt = Pairwise.withoutSelf(Pairwise.scaled(et.matMul(et.transpose()), 1 / tau)).logSoftmax(1);
        NDArray logQs = Pairwise.withoutSelf(Pairwise.scaled(es.matMul(et.transpose()), 1 / tau)).logSoftmax(1);
        // the diagonal's q_t is exactly 0: its (finite) log difference contributes nothing
        NDArray kl = logQt.exp().mul(logQt.sub(logQs)).sum();
        NDArray relation = Pairwise.scaled(kl, weight / b);
        return LossValue.of("kd", kdTerm, TERM, relation);
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

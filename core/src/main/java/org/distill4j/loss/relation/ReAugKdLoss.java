package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
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
 * own does. For sample i with stored (projected, normalised) teacher embedding {@code e_t_i},
 * its {@code k} nearest other entries {@code N(i)} of the {@link KnowledgeBase} (the query is
 * excluded from its own neighbours) and the student's normalised embedding {@code e_s_i}:
 *
 * <pre>
 * q_t(i, j) = softmax_{j∈N(i)}(e_t_i·e_t_j / τ)    q_s(i, j) = softmax_{j∈N(i)}(e_s_i·e_t_j / τ)
 * relation  = w·mean_i KL(q_t(i) ‖ q_s(i))         kd = α·T²·KL(p_t^T ‖ p_s^T)
 * </pre>
 *
 * (the method's objective adds {@code (1−α)·CE}). The neighbours depend only on the knowledge
 * base, so they are searched once, when it is {@link #attach}ed; the stored embeddings are
 * constants, so the term has no state of its own and a resumed run continues exactly.
 */
public final class ReAugKdLoss implements DistillationLoss {
    public static final String TERM = "relation";

    private final String studentTap;
    private final String teacherTap;
    private final KdLoss kd;
    private final double weight;
    private final double tau;
    private final int k;
    private int studentDim = -1;
    private long teacherDim = -1;
    private KnowledgeBase kb;
    private int[][] neighbours;

    public ReAugKdLoss(String studentTap, String teacherTap, double temperature, double alpha, double weight,
            double tau, int k) {
        if (!(weight >= 0) || !(tau > 0) || k < 1) {
            throw new IllegalArgumentException("reaugkd needs weight ≥ 0, tau > 0, k ≥ 1; got " + weight + ", " + tau
                    + ", " + k);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.kd = new KdLoss(temperature, alpha);
        this.weight = weight;
        this.tau = tau;
        this.k = k;
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

    /** Uses {@code base} for the relational term; searches every entry's k neighbours, itself excluded. */
    public ReAugKdLoss attach(KnowledgeBase base) throws IOException {
        if (studentDim >= 0 && base.dim() != studentDim) {
            throw new TapException("reaugkd: the knowledge base holds embeddings of " + base.dim() + " values, student "
                    + "tap '" + studentTap + "' has " + studentDim);
        }
        int n = base.size();
        int[] ids = new int[n];
        for (int r = 0; r < n; r++) {
            ids[r] = base.id(r);
        }
        this.neighbours = base.search(base.vectors(), n, Math.min(k, n - 1), ids);
        this.kb = base;
        return this;
    }

    /** The neighbours (rows of the knowledge base) of the entry of sample {@code id}, for tests. */
    public int[] neighboursOf(int id) {
        return neighbours[kb.rowOf(id)].clone();
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
        int kk = neighbours[0].length;
        float[] anchor = new float[b * d];
        float[] near = new float[b * kk * d];
        for (int i = 0; i < b; i++) {
            int r = kb.rowOf(ids[i]);
            if (r < 0) {
                throw new IllegalStateException("reaugkd: sample id " + ids[i] + " has no entry in the knowledge base "
                        + kb.dir() + " (built from the training set)");
            }
            System.arraycopy(kb.vector(r), 0, anchor, i * d, d);
            for (int j = 0; j < kk; j++) {
                System.arraycopy(kb.vector(neighbours[r][j]), 0, near, (i * kk + j) * d, d);
            }
        }
        NDArray et = scope.create(anchor, new Shape(b, 1, d)).toType(es.getDataType(), false);
        NDArray en = scope.create(near, new Shape(b, kk, d)).toType(es.getDataType(), false);
        NDArray logQt = Pairwise.scaled(et.mul(en).sum(new int[] {2}), 1 / tau).logSoftmax(1);
        NDArray logQs = Pairwise.scaled(es.expandDims(1).mul(en).sum(new int[] {2}), 1 / tau).logSoftmax(1);
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

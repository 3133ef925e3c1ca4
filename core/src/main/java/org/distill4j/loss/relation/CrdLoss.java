package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.Scalars;

/**
 * Contrastive representation distillation (Tian, Krishnan &amp; Isola 2020, "Contrastive
 * Representation Distillation"), in its InfoNCE form with memory banks. Student and teacher
 * features (flattened per sample) go through their own trainable projection head, a linear layer to
 * {@code embedDim} then L2 normalisation, giving {@code v_s} and {@code v_t}. With {@code N}
 * negatives drawn from a memory bank of the other network's past embeddings:
 *
 * <pre>
 * ℓ(a, p, M) = −mean_i log [ exp(a_i·p_i/τ) / (exp(a_i·p_i/τ) + Σ_k exp(a_i·m_k/τ)) ]
 * crd = w·( ℓ(v_s, v_t, bank_t) + ℓ(v_t, v_s, bank_s) )
 * </pre>
 *
 * (the method's objective, {@link org.distill4j.method.ContrastiveRepresentation#objective()}, is
 * {@code ceWeight·CE + crd}).
 * Choices, against RepDistiller's NCE version: InfoNCE (a softmax over the positive and the N
 * negatives) instead of NCE with its normalising constant; the positive is the other network's
 * current embedding of the same sample, not its bank row, so the positive is meaningful from the
 * first step; both directions are summed, as RepDistiller sums its student and teacher terms; the N
 * negatives are shared by the batch (one N×D gather instead of B×N×D) and drawn uniformly, with
 * replacement, from all bank rows by the engine's generator (which the step runner seeds from the
 * step's position, so runs and resumed runs are reproducible); a negative that is the anchor's own
 * sample is masked out.
 *
 * <p>The banks are two {@code (idBound, embedDim)} state arrays ({@link Adapters#state}), one row per
 * sample id, read and written through {@link Batch#ids()} so shuffling keeps them aligned, and saved
 * in checkpoints. They start as random unit vectors; after each step the batch's rows become
 * {@code normalise(momentum·row + (1 − momentum)·v)} with the detached new embeddings (a step whose
 * embeddings are not finite leaves them untouched). Rows of ids outside the training set (the
 * validation split) keep their random start and act as easy negatives. {@code N} is capped at the
 * training set's size. The heads are trained with the student and dropped after training; the
 * teacher's features are detached (its head learns, its network does not).
 */
public final class CrdLoss implements DistillationLoss {
    public static final String TERM = "crd";
    static final String STUDENT_HEAD = "crd.student_head";
    static final String TEACHER_HEAD = "crd.teacher_head";
    static final String STUDENT_BANK = "crd.student_bank";
    static final String TEACHER_BANK = "crd.teacher_bank";
    /** Subtracted from masked logits: exp underflows to exactly 0 and the gradient there is 0. */
    private static final double MASKED = 1e9;

    private final String studentTap;
    private final String teacherTap;
    private final int embedDim;
    private final double tau;
    private final double weight;
    private final int negatives;
    private final double momentum;

    private Adapters adapters;
    Projection studentHead;
    Projection teacherHead;
    NDArray studentBank;
    NDArray teacherBank;
    private int idBound;
    private int sampled;
    /** The negative ids of the last step, for tests. */
    NDArray lastNegatives;

    public CrdLoss(String studentTap, String teacherTap, int embedDim, double tau, double weight, int negatives,
            double momentum) {
        if (embedDim < 1 || !(tau > 0) || !(weight >= 0) || negatives < 1 || !(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("crd needs embedDim >= 1, tau > 0, weight >= 0, negatives >= 1, "
                    + "momentum in [0, 1); got " + embedDim + ", " + tau + ", " + weight + ", "
                    + negatives + ", " + momentum);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.embedDim = embedDim;
        this.tau = tau;
        this.weight = weight;
        this.negatives = negatives;
        this.momentum = momentum;
    }

    @Override
    public void bind(Binding binding) {
        Shape[] shapes = RelationTaps.require("crd", binding, studentTap, teacherTap);
        for (Shape s : shapes) {
            if (s.dimension() < 1 || s.size() < 1) {
                throw new TapException("crd: its projection heads take one feature vector (or map, flattened) per "
                        + "sample; student tap '" + studentTap + "' has shape " + shapes[0] + ", teacher tap '"
                        + teacherTap + "' has shape " + shapes[1] + "; name feature taps such as embedding");
            }
        }
        adapters = binding.adapters();
        studentHead = (Projection) adapters.block(STUDENT_HEAD, new Projection(shapes[0].size(), embedDim),
                new Shape(1, shapes[0].size()));
        teacherHead = (Projection) adapters.block(TEACHER_HEAD, new Projection(shapes[1].size(), embedDim),
                new Shape(1, shapes[1].size()));
        idBound = binding.idBound();
        sampled = Math.min(negatives, binding.trainSize());
        try (NDManager scratch = NDManager.newBaseManager()) {
            studentBank = adapters.state(STUDENT_BANK, randomUnitRows(scratch));
            teacherBank = adapters.state(TEACHER_BANK, randomUnitRows(scratch));
        }
    }

    private NDArray randomUnitRows(NDManager m) {
        return Pairwise.normalize(m.randomNormal(new Shape(idBound, embedDim)), 1);
    }

    /**
     * InfoNCE of each anchor row against its own positive row and the shared negatives (N, D);
     * {@code excluded} (B, N) masks negatives that are the anchor's own sample. Mean over the batch.
     */
    static NDArray infoNce(NDArray anchor, NDArray positive, NDArray negatives, NDArray excluded, double tau) {
        NDArray pos = Scalars.div(anchor.mul(positive).sum(new int[] {1}, true), tau);
        NDArray neg = Scalars.div(anchor.matMul(negatives.transpose()), tau)
                .sub(Scalars.mul(excluded.toType(anchor.getDataType(), false), MASKED));
        return pos.concat(neg, 1).logSoftmax(1).get(":, 0").neg().mean();
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray s = Pairwise.flatten(student.get(studentTap));
        NDArray t = Pairwise.flatten(teacher.outputs().get(teacherTap).stopGradient());
        NDManager scope = s.getManager();
        NDArray vs = Pairwise.normalize(adapters.forward(STUDENT_HEAD, s), 1);
        NDArray vt = Pairwise.normalize(adapters.forward(TEACHER_HEAD, t), 1);

        NDArray ids = scope.create(batch.ids()).toType(DataType.INT64, false);
        NDArray negIds = scope.randomInteger(0, idBound, new Shape(sampled), DataType.INT64);
        lastNegatives = negIds; // for tests; lives in the step's scope, no copy to the JVM
        NDArray excluded = ids.expandDims(1).eq(negIds.expandDims(0));
        NDIndex negRows = new NDIndex("{}", negIds);
        NDArray fromTeacherBank = teacherBank.get(scope, negRows).toType(vs.getDataType(), false);
        NDArray fromStudentBank = studentBank.get(scope, negRows).toType(vs.getDataType(), false);
        NDArray crd = Pairwise.scaled(infoNce(vs, vt, fromTeacherBank, excluded, tau)
                .add(infoNce(vt, vs, fromStudentBank, excluded, tau)), weight);

        // after the negatives were read: this batch's rows take its new embeddings
        NDIndex rows = new NDIndex("{}", ids);
        update(studentBank, rows, vs.stopGradient(), scope);
        update(teacherBank, rows, vt.stopGradient(), scope);
        return LossValue.of(TERM, crd);
    }

    private void update(NDArray bank, NDIndex rows, NDArray embeddings, NDManager scope) {
        NDArray old = bank.get(scope, rows);
        NDArray mixed = Scalars.mul(old, momentum).add(Scalars.mul(embeddings.toType(bank.getDataType(), false), 1 - momentum));
        NDArray updated = Pairwise.normalize(mixed, 1);
        if (updated.isNaN().logicalOr(updated.isInfinite()).any().getBoolean()) {
            return; // a non-finite step is skipped or stops the run; it must not poison the bank
        }
        bank.set(rows, updated);
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

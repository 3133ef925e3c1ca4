package org.distill4j.loss;

import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.model.Outputs;

/**
 * A loss that brings a second learner of its own, trained in alternation with the student: RID's
 * teacher filters and their classification heads, DiSK's guide network. The partner is a
 * participant of the student's phase with its own adapters, optimizer (the student's schedule) and
 * checkpoint slot; at each step either the partner or the student updates, as {@link #partnerStep}
 * says (a pure function of the step, or of the epoch the loss was told by {@code startEpoch}, which
 * a resumed run calls too, so it replays the alternation exactly). The partner is dropped after
 * training, as the loss's other adapters are.
 */
public interface Alternating {
    /** The partner participant's name after the student's ({@code student-rid.teacher-filters}). */
    String partner();

    /**
     * Registers the partner's trainable blocks in {@code partner} (their own set: they have their own
     * optimizer); called after {@link DistillationLoss#bind} with the same binding.
     */
    void bindPartner(Binding binding, Adapters partner);

    /** Whether step {@code step} (0-based over the phase) updates the partner rather than the student. */
    boolean partnerStep(long step);

    /**
     * What the partner minimises on a batch, given the student's outputs (from evaluation mode; the
     * loss detaches what it reads of them) and the teacher's knowledge.
     */
    LossValue partnerLoss(Outputs student, Knowledge teacher, Batch batch);

    /** The alternating part of {@code objective}: itself, or a weighted sum's distillation loss; null if none. */
    static Alternating of(DistillationLoss objective) {
        DistillationLoss own = objective instanceof WeightedSum w ? w.distillation() : objective;
        return own instanceof Alternating a ? a : null;
    }
}

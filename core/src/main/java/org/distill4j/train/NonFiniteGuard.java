package org.distill4j.train;

/**
 * Stops the run, or skips the update, when an update's loss or gradient norm is NaN or infinite,
 * as the participant's {@link TrainSpec#onNonFinite()} says; skipped updates are counted in the
 * participant's progress.
 */
public final class NonFiniteGuard implements LoopListener {
    @Override
    public boolean onGradients(LoopState state, UpdateReport r) {
        if (r.finite()) {
            return true;
        }
        Participant p = r.participant();
        p.optimizer().zeroGradients();
        if (p.train().onNonFinite() == TrainSpec.NonFinitePolicy.STOP) {
            throw new NonFiniteLossException(p.name(), r.epoch(), r.batch(), r.loss(), r.gradNorm(), r.terms());
        }
        return false;
    }
}

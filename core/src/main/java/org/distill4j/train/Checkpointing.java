package org.distill4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.distill4j.io.Provenance;
import org.distill4j.report.ModelResult;
import org.distill4j.report.Sitting;

/**
 * Saves a phase's whole state — every participant's slot and progress, with the run's
 * provenance and sittings — every {@code everySteps} steps within an epoch and at every epoch
 * end, so a resumed phase ends exactly where an uninterrupted one does. When a stop is
 * requested ({@link StopRequest}) it saves at the next step boundary and throws
 * {@link StoppedException}: after a step, at an epoch end (the last epoch's included: a resumed
 * run then only saves and evaluates the phase's network), or when a phase starts (a stop that
 * came while the run evaluated a network or built a knowledge store between phases).
 */
public final class Checkpointing implements LoopListener {
    private final CheckpointStore store;
    private final int everySteps;
    private final Supplier<List<ModelResult>> completed;
    private final Consumer<Path> saved;
    private final Supplier<Provenance> provenance;
    private final Supplier<List<Sitting>> sittings;
    private final StopRequest stop;

    /**
     * @param everySteps save every this many steps within an epoch (0: epoch ends only)
     * @param completed the models the run finished before this phase (saved with each checkpoint)
     * @param saved told each checkpoint's path
     */
    public Checkpointing(CheckpointStore store, int everySteps, Supplier<List<ModelResult>> completed,
            Consumer<Path> saved) {
        this(store, everySteps, completed, saved, () -> null, List::of, StopRequest.NONE);
    }

    /**
     * @param provenance what the state is made from, at each save
     * @param sittings the run's sittings so far, at each save
     * @param stop asked at every step boundary
     */
    public Checkpointing(CheckpointStore store, int everySteps, Supplier<List<ModelResult>> completed,
            Consumer<Path> saved, Supplier<Provenance> provenance, Supplier<List<Sitting>> sittings,
            StopRequest stop) {
        this.store = store;
        this.everySteps = everySteps;
        this.completed = completed;
        this.saved = saved;
        this.provenance = provenance;
        this.sittings = sittings;
        this.stop = stop;
    }

    /** A stop requested between phases (evaluation, a knowledge store) takes effect before the first step. */
    @Override
    public void onPhaseStart(LoopState state) throws IOException {
        String why = stop.requested();
        if (why != null) {
            throw new StoppedException(why, save(state, Double.NaN), state.phase().name(),
                    (long) state.epoch() * state.stepsPerEpoch() + state.batch());
        }
    }

    @Override
    public void afterStep(LoopState state, long step, double meanLoss) throws IOException {
        if (state.batch() >= state.stepsPerEpoch()) {
            return; // the epoch end saves (after validation), and stops there if asked
        }
        Path file = null;
        if (everySteps > 0 && (step + 1) % everySteps == 0) {
            file = save(state, Double.NaN);
        }
        String why = stop.requested();
        if (why != null) {
            throw new StoppedException(why, file != null ? file : save(state, Double.NaN), state.phase().name(),
                    step + 1);
        }
    }

    @Override
    public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) throws IOException {
        Path file = save(state, state.validationAccuracy());
        String why = stop.requested();
        if (why != null) {
            throw new StoppedException(why, file, state.phase().name(), (long) (epoch + 1) * state.stepsPerEpoch());
        }
    }

    private Path save(LoopState state, double validationAccuracy) throws IOException {
        List<CheckpointSlot> slots = new ArrayList<>();
        for (Participant p : state.phase().participants()) {
            slots.add(CheckpointSlot.of(p));
        }
        CheckpointMeta meta = new CheckpointMeta(state.phase().name(), validationAccuracy, state.progress(),
                completed.get(), provenance.get(), sittings.get());
        Path file = store.save(meta, slots);
        saved.accept(file);
        return file;
    }
}

package org.distill4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.distill4j.report.ModelResult;

/**
 * Saves a phase's whole state — every participant's slot and progress — every
 * {@code everySteps} steps within an epoch and at every epoch end, so a resumed phase ends
 * exactly where an uninterrupted one does.
 */
public final class Checkpointing implements LoopListener {
    private final CheckpointStore store;
    private final int everySteps;
    private final Supplier<List<ModelResult>> completed;
    private final Consumer<Path> saved;

    /**
     * @param everySteps save every this many steps within an epoch (0: epoch ends only)
     * @param completed the models the run finished before this phase (saved with each checkpoint)
     * @param saved told each checkpoint's path
     */
    public Checkpointing(CheckpointStore store, int everySteps, Supplier<List<ModelResult>> completed,
            Consumer<Path> saved) {
        this.store = store;
        this.everySteps = everySteps;
        this.completed = completed;
        this.saved = saved;
    }

    @Override
    public void afterStep(LoopState state, long step, double meanLoss) throws IOException {
        if (everySteps > 0 && (step + 1) % everySteps == 0 && state.batch() < state.stepsPerEpoch()) {
            save(state, Double.NaN);
        }
    }

    @Override
    public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) throws IOException {
        save(state, state.validationAccuracy());
    }

    private void save(LoopState state, double validationAccuracy) throws IOException {
        List<CheckpointSlot> slots = new ArrayList<>();
        for (Participant p : state.phase().participants()) {
            slots.add(CheckpointSlot.of(p));
        }
        CheckpointMeta meta = new CheckpointMeta(state.phase().name(), validationAccuracy, state.progress(),
                completed.get());
        saved.accept(store.save(meta, slots));
    }
}

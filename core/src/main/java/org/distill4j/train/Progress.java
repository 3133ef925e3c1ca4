package org.distill4j.train;

import java.util.List;

/** Relays the loop's progress to a {@link TrainListener} (the CLI's progress bars and logs). */
public final class Progress implements LoopListener {
    private final TrainListener listener;

    public Progress(TrainListener listener) {
        this.listener = listener;
    }

    @Override
    public void onPhaseStart(LoopState state) {
        listener.onStart(state.phase().name(), state.phase().epochs(), state.stepsPerEpoch(), state.stepsDone());
    }

    @Override
    public void afterStep(LoopState state, long step, double meanLoss) {
        listener.onStep(state.epoch(), state.batch() - 1, meanLoss, state.lr());
    }

    @Override
    public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) {
        summaries.forEach(listener::onEpochEnd);
    }

    @Override
    public void onPhaseEnd(LoopState state) {
        listener.onFinish(state.phase().name());
    }
}

package org.distill4j.train;

/** Observes training (progress bars, logs). Every method has a no-op default. */
public interface TrainListener {
    TrainListener NONE = new TrainListener() {};

    /**
     * A model starts (or resumes) training: {@code phase} names it ("teacher", "student-kd" …);
     * {@code stepsDone} is non-zero when resuming.
     */
    default void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {}

    default void onStep(int epoch, int batch, double loss, double lr) {}

    default void onEpochEnd(EpochSummary summary) {}

    default void onFinish(String phase) {}

    /** A one-line status such as "evaluating teacher". */
    default void onMessage(String text) {}
}

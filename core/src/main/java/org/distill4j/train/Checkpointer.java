package org.distill4j.train;

import java.io.IOException;
import org.distill4j.loss.Adapters;
import org.distill4j.model.Network;

/** Saves the state of a phase in training; schemes call it at fixed step positions and epoch ends. */
public interface Checkpointer {
    Checkpointer NONE = new Checkpointer() {
        @Override
        public int everySteps() {
            return 0;
        }

        @Override
        public void save(String phase, Network student, Adapters adapters, Optimizer optimizer,
                TrainingProgress progress, double validationAccuracy) {}
    };

    /** Save every this many steps within an epoch (0 = only at epoch ends). */
    int everySteps();

    /**
     * @param adapters the loss's trainable extras and state, saved with the student
     * @param validationAccuracy the epoch's validation accuracy at an epoch end; NaN mid-epoch
     */
    void save(String phase, Network student, Adapters adapters, Optimizer optimizer, TrainingProgress progress,
            double validationAccuracy) throws IOException;
}

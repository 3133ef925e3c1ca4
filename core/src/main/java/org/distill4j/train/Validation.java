package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import org.distill4j.data.Dataset;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;

/**
 * Measures every validated participant on the validation set at each epoch end (cross-entropy
 * and accuracy; NaN without a validation set); the time it takes counts as training time.
 */
public final class Validation implements LoopListener {
    private final NDManager root;

    public Validation(NDManager root) {
        this.root = root;
    }

    @Override
    public void onValidation(LoopState state, int epoch) {
        Dataset validation = state.phase().validation();
        for (Participant p : state.phase().participants()) {
            if (!p.isValidated()) {
                continue;
            }
            long t0 = System.nanoTime();
            double loss = Double.NaN;
            double accuracy = Double.NaN;
            if (validation != null && validation.size() > 0) {
                Predictions predictions = Predictions.of(p.network(), validation, root);
                loss = Metrics.crossEntropy(predictions, validation.labels());
                accuracy = Metrics.accuracy(predictions, validation.labels());
            }
            state.validated(p.name(), loss, accuracy, (System.nanoTime() - t0) / 1e9);
        }
    }
}

package org.distill4j.train;

import java.util.Map;

/** A loss or gradient became NaN or infinite: the run stops rather than train on poisoned weights. */
public final class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String phase, int epoch, int batch, double loss, double gradNorm,
            Map<String, Double> terms) {
        super("non-finite " + (Double.isFinite(loss) ? "gradient (norm " + gradNorm + ")" : "loss " + loss)
                + " in " + phase + " at epoch " + (epoch + 1) + ", batch " + (batch + 1) + "; loss terms " + terms
                + ". Lower the learning rate, set clipGradNorm, or set onNonFinite: skip-batch");
    }

    private NonFiniteLossException(String message) {
        super(message);
    }

    /** The same failure, naming the checkpoint to resume from. */
    public NonFiniteLossException withLastCheckpoint(String checkpoint) {
        return new NonFiniteLossException(getMessage() + ". Last good checkpoint: "
                + (checkpoint == null ? "none yet" : checkpoint));
    }
}

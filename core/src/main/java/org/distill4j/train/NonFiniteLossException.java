package org.distill4j.train;

import java.util.Map;

/** A loss became NaN or infinite: the run stops rather than train on poisoned weights. */
public final class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String phase, int epoch, int batch, Map<String, Double> terms) {
        super("non-finite loss in " + phase + " at epoch " + (epoch + 1) + ", batch " + (batch + 1)
                + ", terms " + terms + ": lower the learning rate or check the inputs");
    }
}

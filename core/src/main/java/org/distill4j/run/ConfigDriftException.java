package org.distill4j.run;

/** A run is resumed with a config other than the one its checkpoints were written with. */
public final class ConfigDriftException extends RuntimeException {
    public ConfigDriftException(String message) {
        super(message);
    }
}

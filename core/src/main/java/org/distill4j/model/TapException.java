package org.distill4j.model;

/**
 * A method asked for a tap a network does not have, or for two taps whose shapes it cannot
 * relate (e.g. FSP across different channel counts). The message names both taps with their
 * shapes and says what would fit. Raised before training, so no time is lost.
 */
public final class TapException extends IllegalArgumentException {
    public TapException(String message) {
        super(message);
    }
}

package org.distill4j.train;

/**
 * A request to stop a run cleanly, e.g. from a SIGTERM or SIGINT handler: the loop writes a
 * checkpoint at the next step boundary and ends the run with a {@link StoppedException}. One
 * object per run; {@link #NONE} never asks.
 */
public final class StopRequest {
    /** Never requests a stop. */
    public static final StopRequest NONE = new StopRequest();

    private volatile String reason;

    /** Asks the run to stop; {@code reason} names why (e.g. "SIGTERM"). The first reason wins. */
    public void request(String why) {
        if (this == NONE) {
            throw new IllegalStateException("StopRequest.NONE cannot be requested");
        }
        if (reason == null) {
            reason = why;
        }
    }

    /** The reason a stop was requested, or null. */
    public String requested() {
        return reason;
    }
}

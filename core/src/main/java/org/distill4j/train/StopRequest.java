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
    /** Whether any request was made in this JVM (what the pause of {@link FaultInjection} waits for). */
    private static volatile boolean any;

    /** Whether a stop was requested of any run in this JVM. */
    public static boolean anyRequested() {
        return any;
    }

    /** Asks the run to stop; {@code reason} names why (e.g. "SIGTERM"). The first reason wins. */
    public void request(String why) {
        if (this == NONE) {
            throw new IllegalStateException("StopRequest.NONE cannot be requested");
        }
        if (reason == null) {
            reason = why;
        }
        any = true;
    }

    /** The reason a stop was requested, or null. */
    public String requested() {
        return reason;
    }
}

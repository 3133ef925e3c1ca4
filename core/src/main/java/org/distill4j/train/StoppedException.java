package org.distill4j.train;

import java.nio.file.Path;

/** A run stopped on request ({@link StopRequest}) after writing a checkpoint it can resume from. */
public final class StoppedException extends RuntimeException {
    private final String reason;
    private final transient Path checkpoint;

    public StoppedException(String reason, Path checkpoint, String phase, long step) {
        super("stopped by " + reason + " in phase " + phase + (step == 0 ? " before its first step" : " after step " + step)
                + "; checkpoint " + checkpoint.getFileName() + " written");
        this.reason = reason;
        this.checkpoint = checkpoint;
    }

    /** Why the run stopped (e.g. "SIGTERM"). */
    public String reason() {
        return reason;
    }

    /** The checkpoint written at the stop. */
    public Path checkpoint() {
        return checkpoint;
    }
}

package org.distill4j.train;

/**
 * Test hook: halts the JVM at a named point (as {@code kill -9} would: no shutdown hooks, no
 * flushing), or fails a write as a full disk would, when the system property
 * {@code distill4j.fault.<point>} equals the occurrence count. Used by the crash-and-resume
 * tests; inert otherwise.
 */
public final class FaultInjection {
    public static final String AFTER_STEP = "haltAfterStep";
    public static final String DURING_CHECKPOINT = "haltDuringCheckpoint";
    public static final String AFTER_CHECKPOINT = "haltAfterCheckpoint";
    public static final String FAIL_CHECKPOINT_WRITE = "failCheckpointWrite";
    public static final String NAN_LOSS = "nanLossAtStep";
    private static final java.util.concurrent.atomic.AtomicLong STEPS = new java.util.concurrent.atomic.AtomicLong();
    private static final String NAN_AT = System.getProperty("distill4j.fault." + NAN_LOSS);

    /** Whether this training step (counted across the process) is the one to poison with NaN. */
    public static boolean poisonThisStep() {
        long step = STEPS.incrementAndGet();
        return NAN_AT != null && Long.parseLong(NAN_AT) == step;
    }

    private FaultInjection() {}

    /** Throws the error a full disk gives, at the given occurrence of the point. */
    public static void maybeFail(String point, long occurrence) throws java.io.IOException {
        String at = System.getProperty("distill4j.fault." + point);
        if (at != null && Long.parseLong(at) == occurrence) {
            throw new java.io.IOException("No space left on device (simulated by distill4j.fault." + point + ")");
        }
    }

    public static void maybeHalt(String point, long occurrence) {
        String at = System.getProperty("distill4j.fault." + point);
        if (at != null && Long.parseLong(at) == occurrence) {
            Runtime.getRuntime().halt(137);
        }
    }
}

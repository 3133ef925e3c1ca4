package org.distill4j.train;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Scalars;

/**
 * Test hook of one run: halts the JVM at a named point (as {@code kill -9} would: no shutdown
 * hooks, no flushing), fails a write as a full disk would, or poisons a loss with NaN, when the
 * point's setting equals the occurrence count. The settings come from the system properties
 * {@code distill4j.fault.<point>} read when the run starts ({@link #fromSystemProperties()}); the
 * counters belong to the run, so two runs in one JVM count alike. Inert ({@link #NONE}) otherwise.
 * As a {@link LoopListener} it halts after a phase's step and poisons the loss of an update.
 */
public final class FaultInjection implements LoopListener {
    public static final String AFTER_STEP = "haltAfterStep";
    public static final String DURING_CHECKPOINT = "haltDuringCheckpoint";
    public static final String AFTER_CHECKPOINT = "haltAfterCheckpoint";
    public static final String FAIL_CHECKPOINT_WRITE = "failCheckpointWrite";
    public static final String NAN_LOSS = "nanLossAtStep";
    /**
     * Pauses after the run's n-th step (counted over its phases) until a stop is requested in
     * this JVM ({@link StopRequest#anyRequested()}), at most two minutes, first creating the file
     * named by {@code distill4j.fault.pauseMarker} (if set): a test then knows exactly where the
     * signal it sends lands.
     */
    public static final String PAUSE_AFTER_RUN_STEP = "pauseAfterRunStep";
    private static final String PREFIX = "distill4j.fault.";
    private static final long PAUSE_LIMIT_MILLIS = 120_000;

    /** No faults. */
    public static final FaultInjection NONE = new FaultInjection(Map.of());

    private final Map<String, Long> at;
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();

    /** @param at the occurrence at which each point fires, by point name */
    public FaultInjection(Map<String, Long> at) {
        this.at = Map.copyOf(at);
    }

    /** The faults the system properties ask for (a fresh set of counters). */
    public static FaultInjection fromSystemProperties() {
        Map<String, Long> at = new java.util.HashMap<>();
        for (String point : new String[] {AFTER_STEP, DURING_CHECKPOINT, AFTER_CHECKPOINT, FAIL_CHECKPOINT_WRITE,
            NAN_LOSS, PAUSE_AFTER_RUN_STEP}) {
            String v = System.getProperty(PREFIX + point);
            if (v != null) {
                at.put(point, Long.parseLong(v.trim()));
            }
        }
        return at.isEmpty() ? NONE : new FaultInjection(at);
    }

    private boolean fires(String point, long occurrence) {
        Long n = at.get(point);
        return n != null && n == occurrence;
    }

    /** Throws the error a full disk gives, at the given occurrence of the point. */
    public void maybeFail(String point, long occurrence) throws IOException {
        if (fires(point, occurrence)) {
            throw new IOException("No space left on device (simulated by " + PREFIX + point + ")");
        }
    }

    public void maybeHalt(String point, long occurrence) {
        if (fires(point, occurrence)) {
            Runtime.getRuntime().halt(137);
        }
    }

    /** Poisons the loss of the run's n-th update (counted over the run's phases). */
    @Override
    public LossValue onLoss(LoopState state, Participant participant, LossValue value) {
        if (this == NONE) {
            return value;
        }
        if (fires(NAN_LOSS, updates.incrementAndGet())) {
            return new LossValue(Scalars.mul(value.total(), Float.NaN), value.terms());
        }
        return value;
    }

    /** Halts after the phase's n-th step. */
    @Override
    public void afterStep(LoopState state, long step, double meanLoss) {
        maybeHalt(AFTER_STEP, step + 1);
        if (this != NONE && fires(PAUSE_AFTER_RUN_STEP, steps.incrementAndGet())) {
            pause();
        }
    }

    private static void pause() {
        try {
            String marker = System.getProperty(PREFIX + "pauseMarker");
            if (marker != null) {
                java.nio.file.Files.writeString(java.nio.file.Path.of(marker), "paused\n");
            }
            long deadline = System.currentTimeMillis() + PAUSE_LIMIT_MILLIS;
            while (!StopRequest.anyRequested() && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

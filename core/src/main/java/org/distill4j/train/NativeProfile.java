package org.distill4j.train;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Records PyTorch's own profile of a run's steps {@code first} to {@code first + count − 1}
 * (counted over the run's phases from 0): every native operator the steps call, with its time and,
 * as {@code [memory]} events, every allocation and release of tensor memory — what a training
 * step costs in native calls and allocations (bench/vs-pytorch/opcounts.py counts them per step).
 * Switched on by the system property {@code distill4j.profile=<first>:<count>:<file>} (on the
 * command line, {@code DISTILL4J_JAVA_OPTS="-Ddistill4j.profile=100:20:/tmp/steps.json"}); the
 * file is a Chrome trace. Off otherwise, and the profiler's own cost makes the profiled steps no
 * measure of time.
 */
final class NativeProfile implements LoopListener {
    static final String PROPERTY = "distill4j.profile";

    private final long first;
    private final long count;
    private final Path file;
    private long steps;
    private boolean on;

    NativeProfile(long first, long count, Path file) {
        if (first < 0 || count < 1) {
            throw new IllegalArgumentException(PROPERTY + ": first step must be >= 0 and count >= 1 (got " + first
                    + ":" + count + ")");
        }
        this.first = first;
        this.count = count;
        this.file = file;
    }

    /** The profile the system property asks for, or null. */
    static NativeProfile fromSystemProperties() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            return null;
        }
        String[] parts = v.split(":", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException(PROPERTY + ": expected <first>:<count>:<file> (got '" + v + "')");
        }
        try {
            return new NativeProfile(Long.parseLong(parts[0].trim()), Long.parseLong(parts[1].trim()),
                    Path.of(parts[2].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + ": expected <first>:<count>:<file> (got '" + v + "')");
        }
    }

    @Override
    public void beforeStep(LoopState state, long step) {
        if (steps == first) {
            JniUtils.startProfile(false, true, true);
            on = true;
        }
    }

    @Override
    public void afterStep(LoopState state, long step, double meanLoss) throws java.io.IOException {
        steps++;
        if (on && steps == first + count) {
            stop();
        }
    }

    @Override
    public void onPhaseEnd(LoopState state) throws java.io.IOException {
        if (on) {
            stop(); // the run's phase ended before the last profiled step
        }
    }

    private void stop() throws java.io.IOException {
        on = false;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JniUtils.stopProfile(file.toString());
    }
}

package org.distill4j.scheme;

/**
 * {@code offline}: the teacher is trained first (or loaded) and frozen; the student learns from
 * it with the configured method (see {@link Offline}, the loop). The default scheme.
 */
public record OfflineScheme() implements SchemeSpec {
    @Override
    public String name() {
        return "offline";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }
}

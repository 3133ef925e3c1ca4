package org.distill4j.io;

import java.util.List;

/**
 * Saved state (a checkpoint, a network file) was made from other data, preprocessing, teacher
 * or config than the run now has, and the user has not accepted the change. {@link #isData()}
 * tells a data difference (the CLI's exit 3) from a teacher or config one (exit 2).
 */
public final class ProvenanceException extends RuntimeException {
    private final List<Provenance.Difference> differences;

    public ProvenanceException(String message, List<Provenance.Difference> differences) {
        super(message);
        this.differences = List.copyOf(differences);
    }

    public List<Provenance.Difference> differences() {
        return differences;
    }

    /** Whether any difference concerns the data or its preprocessing. */
    public boolean isData() {
        return differences.stream().anyMatch(Provenance.Difference::isData);
    }
}

package org.distill4j.data;

/**
 * A sealed dataset's samples or labels were read (see {@link Dataset#seal}): the code path
 * that read them breaks a promise the run makes, e.g. that no real training image reaches a
 * data-free student. A defect or a misconfigured phase, never a data error.
 */
public final class SealedDataException extends IllegalStateException {
    public SealedDataException(String message) {
        super(message);
    }
}

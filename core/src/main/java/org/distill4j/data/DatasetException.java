package org.distill4j.data;

/**
 * The single exception type of the {@code org.distill4j.data} package: raised when a data
 * file or directory cannot be found, read or trusted, or when loaded data is inconsistent.
 *
 * <p>Messages are written for the person running the tool: they say what was wrong, where
 * (usually a file path) and what to do about it, so callers can show them as they are.
 */
public class DatasetException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong, where, and what to do
     */
    public DatasetException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong, where, and what to do
     * @param cause the low-level failure (I/O, gzip) behind it
     */
    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}

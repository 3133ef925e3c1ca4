package org.distill4j.data;

/**
 * Bad input met by one of the generic data sources ({@link DataSources}): a missing file, a
 * ragged or non-numeric CSV row, a corrupt image, an empty class folder, a test label never
 * seen in training, or train and test parts that do not fit together.
 *
 * <p>The message is always a single line that starts with the offending file (or folder)
 * and, where there is one, the row ({@code line N}, counted in the file with the header as
 * line 1) or entry, so it can be shown to the user as it is.
 */
public class DataSourceException extends DatasetException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message one line: file, row or entry, what was wrong and what to do
     */
    public DataSourceException(String message) {
        super(oneLine(message));
    }

    /**
     * @param message one line: file, row or entry, what was wrong and what to do
     * @param cause the low-level failure (I/O, decoder) behind it
     */
    public DataSourceException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** Collapses line breaks (e.g. from a decoder's message) so the message stays one line. */
    static String oneLine(String message) {
        return message == null ? null : message.replaceAll("[\\r\\n]+", " ");
    }

    /** Quotes a cell or name for a message: control characters dropped, long values cut. */
    static String quote(String value) {
        String clean = value.replaceAll("\\p{Cntrl}", "?");
        if (clean.length() > 40) {
            clean = clean.substring(0, 37) + "...";
        }
        return "\"" + clean + "\"";
    }
}

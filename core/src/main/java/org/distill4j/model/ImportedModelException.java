package org.distill4j.model;

/**
 * An imported teacher file cannot serve the run: it is not a model of its format, it does not
 * take the data's samples, its logits do not have one value per class, or a tap names an output
 * it does not have. A configuration error, raised before anything trains; the message names the
 * config key and the file (and lists the graph's outputs where a name was wrong).
 */
public final class ImportedModelException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ImportedModelException(String message) {
        super(message);
    }
}

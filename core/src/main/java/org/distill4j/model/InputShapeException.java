package org.distill4j.model;

/**
 * A network of the zoo cannot take the data's samples: a CNN or ResNet given feature vectors
 * ({@code [F]}), or images too small for a CNN's pooling stages. A configuration error, raised
 * before anything trains; the message names the model (and, from a run, its config key) and the
 * shape.
 */
public class InputShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InputShapeException(String message) {
        super(message);
    }
}

package org.distill4j.cooperative;

/**
 * One learner of cooperative distillation, whatever its kind (a Tribuo tree or logistic
 * regression, a zoo network): it is fitted from scratch on rows of its own view with a target
 * distribution per row (one-hot for real rows, soft for virtual instances) and predicts class
 * probabilities. It never sees another learner's rows: {@link Cooperation} hands it only its own
 * view of its training rows and its view of the virtual instances the others made.
 */
public interface Learner extends AutoCloseable {
    /**
     * Trains from scratch (a previous fit is discarded).
     *
     * @param rows the rows, each of its view's width
     * @param targets a probability distribution over the classes per row
     * @param seed what makes the fit reproducible
     */
    void fit(float[][] rows, float[][] targets, long seed);

    /** Class probabilities per row (rows of its view's width); each row sums to 1. */
    float[][] predict(float[][] rows);

    /** What it is, for the report (e.g. {@code "tree(depth 8)"}). */
    String describe();

    @Override
    default void close() {}
}

package org.distill4j.train;

import org.distill4j.loss.LossValue;

/**
 * What one update of a step differentiates: a loss computed from the step's context (the batch,
 * the knowledge of its sources, forward passes of any participant). Runs inside the gradient
 * recorder; the knowledge was looked up before it, outside.
 */
@FunctionalInterface
public interface Objective {
    LossValue compute(StepContext step);
}

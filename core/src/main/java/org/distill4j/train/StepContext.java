package org.distill4j.train;

import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.model.Outputs;

/** What an {@link Objective} sees during one update: the batch, the knowledge, the participants. */
public interface StepContext {
    /** The update's batch (its feed's, possibly with generated inputs added). */
    Batch batch();

    /** The update's knowledge, keyed by source name. */
    Knowledge knowledge();

    /**
     * Runs {@code participant}'s network on the batch's main input. The updated participant's
     * forward pass in training mode is the one whose predictions count as its accuracy.
     */
    Outputs forward(String participant, boolean training);

    /**
     * Runs {@code participant}'s network on {@code input} (e.g. the images a generator made from
     * the batch's codes); gradients flow back into {@code input}.
     */
    Outputs forward(String participant, ai.djl.ndarray.NDArray input, boolean training);

    /** The adapters of {@code participant}. */
    Adapters adapters(String participant);

    /** The update's participant. */
    Participant self();

    /** 0-based epoch. */
    int epoch();

    /** 0-based batch within the epoch. */
    int batchIndex();
}

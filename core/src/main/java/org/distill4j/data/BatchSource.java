package org.distill4j.data;

import ai.djl.ndarray.NDManager;

/**
 * Where a feed's batches come from, epoch by epoch: a {@link BatchLoader} over a dataset, or a
 * source that makes them without any data ({@link NoiseSource}: the latent codes a generator
 * turns into inputs). An epoch's plan is a pure function of the epoch, and a batch a pure
 * function of its positions and seed, so a resumed run rebuilds exactly the batches of any
 * epoch without replaying the earlier ones.
 */
public interface BatchSource {
    /** Batches in one epoch. */
    int batchesPerEpoch();

    /** The positions of every batch of the epoch, in visiting order. */
    int[][] plan(int epoch);

    /** Builds the batch at {@code positions} in {@code scope} (closed by the caller after the step). */
    Batch load(NDManager scope, int[] positions, Augmentation augmentation, long seed);

    /** Starts gathering the batch at {@code positions} ahead of its {@link #load} (a hint; may do nothing). */
    default void prefetch(int[] positions, Augmentation augmentation, long seed) {}
}

package org.distill4j.data;

import ai.djl.ndarray.NDArray;

/**
 * One mini-batch ready for a training or evaluation step.
 *
 * <p>All NDArrays belong to the {@link ai.djl.ndarray.NDManager} passed to
 * {@link BatchLoader#load}; the caller closes that manager after the step, which frees
 * them. The Java arrays stay valid afterwards (e.g. to look up stored teacher outputs).
 *
 * @param inputs float32 of shape (B, C, H, W)
 * @param labels int32 of shape (B)
 * @param ids stable sample ids (positions in the original source file), one per row
 * @param labelValues the same labels as {@code labels}, as a Java array
 */
public record Batch(NDArray inputs, NDArray labels, int[] ids, int[] labelValues) {

    /** @return number of samples in the batch */
    public int size() {
        return ids.length;
    }
}

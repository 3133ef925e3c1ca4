package org.distill4j.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.distill4j.data.Batch;

/** Tiny batches for loss tests: only the labels matter, inputs are a placeholder. */
public final class Batches {
    private Batches() {}

    public static Batch withLabels(NDManager m, int... labels) {
        int[] ids = new int[labels.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        return new Batch(m.zeros(new Shape(labels.length, 1)), m.create(labels), ids, labels.clone());
    }
}

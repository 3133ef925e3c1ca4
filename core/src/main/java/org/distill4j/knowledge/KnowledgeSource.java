package org.distill4j.knowledge;

import org.distill4j.data.Batch;
import org.distill4j.model.TapShapes;

/** Where a batch's teacher knowledge comes from: a live teacher or the knowledge store. */
public interface KnowledgeSource {
    /** The teacher's outputs for exactly the samples of this batch, in the batch's order. */
    Knowledge lookup(Batch batch);

    /** The per-sample shapes of the taps this source can hand over. */
    TapShapes tapShapes();
}

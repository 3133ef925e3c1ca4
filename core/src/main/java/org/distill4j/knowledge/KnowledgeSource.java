package org.distill4j.knowledge;

import org.distill4j.data.Batch;

/** Where a batch's teacher knowledge comes from: a live teacher now, a stored one later. */
public interface KnowledgeSource {
    /** The teacher's outputs for exactly the samples of this batch, in the batch's order. */
    Knowledge lookup(Batch batch);
}

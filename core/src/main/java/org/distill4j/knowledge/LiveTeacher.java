package org.distill4j.knowledge;

import org.distill4j.data.Batch;
import org.distill4j.model.InferenceModel;

/**
 * Runs a frozen teacher on each batch in inference mode (batch-norm running statistics, no
 * dropout). Its arrays belong to the batch's manager and die with the step.
 */
public final class LiveTeacher implements KnowledgeSource {
    private final InferenceModel teacher;

    public LiveTeacher(InferenceModel teacher) {
        this.teacher = teacher;
        teacher.freeze();
    }

    @Override
    public Knowledge lookup(Batch batch) {
        return new Knowledge(teacher.infer(batch)); // all its named inputs: a text encoder reads the attention mask too
    }

    @Override
    public org.distill4j.model.TapShapes tapShapes() {
        return teacher.tapShapes("teacher");
    }
}

package org.distill4j.config;

import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * The student and how it learns from the teacher.
 *
 * @param model architecture
 * @param train schedule (the same for the baseline, so the comparison is fair)
 * @param method distillation method by name, e.g. {@code {name: kd, temperature: 4, alpha: 0.9}}
 * @param baseline also train the same student from scratch (method none) from the same initial weights
 */
public record StudentSpec(ModelSpec model, TrainSpec train, MethodSpec method, Boolean baseline) {
    public StudentSpec {
        if (model == null) {
            throw new IllegalArgumentException("model: required (e.g. {type: cnn, channels: [8, 16]})");
        }
        train = train == null ? new TrainSpec(null, null, null, null) : train;
        method = method == null ? new HintonKd(null, null) : method;
        baseline = baseline == null ? Boolean.TRUE : baseline;
    }
}

package org.distill4j.config;

import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * The teacher: a zoo model that is either trained here ({@code train}) or loaded from a file
 * saved by an earlier run ({@code load}); exactly one of the two.
 *
 * @param model architecture (must match the saved one when loading)
 * @param train how to train it
 * @param load path of a saved network, e.g. {@code runs/<id>/teacher.model}
 */
public record TeacherSpec(ModelSpec model, TrainSpec train, String load) {
    public TeacherSpec {
        if (model == null) {
            throw new IllegalArgumentException("model: required (e.g. {type: cnn, channels: [32, 64]})");
        }
        if ((train == null) == (load == null)) {
            throw new IllegalArgumentException("give exactly one of 'train' (train the teacher here) or 'load' (a saved network file)");
        }
    }
}

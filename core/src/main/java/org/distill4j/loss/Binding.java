package org.distill4j.loss;

import org.distill4j.model.TapShapes;

/**
 * What a loss learns about its run before the first step: the shapes of both networks' taps
 * (to size regressors and reject incompatible taps with an error naming both), the training
 * set's size (CRD's memory bank has a row per sample) and the place to register trainable
 * extras.
 *
 * @param student the student's tap shapes
 * @param teacher the teacher's tap shapes, or null without a teacher
 * @param trainSize number of training samples (sample ids are below the dataset's id bound)
 * @param idBound one more than the largest sample id in the training set
 * @param adapters where the loss registers its trainable extras and state
 */
public record Binding(TapShapes student, TapShapes teacher, int trainSize, int idBound, Adapters adapters) {}

package org.distill4j.loss;

import java.util.Map;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.model.TapShapes;

/**
 * What a loss learns about its run before the first step: the shapes of both networks' taps
 * (to size regressors and reject incompatible taps with an error naming both), the training
 * set's size (CRD's memory bank has a row per sample) and the place to register trainable
 * extras. A loss that learns from several teachers (multi-teacher distillation) reads each
 * teacher's shapes by name from {@code teachers}, in the order its knowledge will arrive.
 *
 * @param student the student's tap shapes
 * @param teacher the (first) teacher's tap shapes, or null without a teacher
 * @param trainSize number of training samples (sample ids are below the dataset's id bound)
 * @param idBound one more than the largest sample id in the training set
 * @param adapters where the loss registers its trainable extras and state
 * @param teachers every teacher's tap shapes by teacher name, in order (empty without a teacher)
 */
public record Binding(TapShapes student, TapShapes teacher, int trainSize, int idBound, Adapters adapters,
        Map<String, TapShapes> teachers) {
    public Binding {
        teachers = teachers == null ? (teacher == null ? Map.of() : Map.of(Knowledge.TEACHER, teacher))
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(teachers));
    }

    /** A binding with at most one teacher, named {@link Knowledge#TEACHER}. */
    public Binding(TapShapes student, TapShapes teacher, int trainSize, int idBound, Adapters adapters) {
        this(student, teacher, trainSize, idBound, adapters, null);
    }

    /** A binding with several teachers by name (the first is also {@link #teacher()}). */
    public static Binding of(TapShapes student, Map<String, TapShapes> teachers, int trainSize, int idBound,
            Adapters adapters) {
        TapShapes first = teachers.isEmpty() ? null : teachers.values().iterator().next();
        return new Binding(student, first, trainSize, idBound, adapters, teachers);
    }
}

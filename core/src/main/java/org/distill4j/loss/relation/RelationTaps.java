package org.distill4j.loss.relation;

import ai.djl.ndarray.types.Shape;
import org.distill4j.loss.Binding;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;

/**
 * Checks, before training, that a relation loss's student and teacher taps exist. Relation losses
 * compare B×B matrices, so any two taps fit once they exist; what can go wrong is a name. The error
 * names both taps, says which is missing and lists each network's taps.
 */
final class RelationTaps {
    private RelationTaps() {}

    /** The per-sample shapes {student, teacher} of the two taps, or a TapException naming both. */
    static Shape[] require(String method, Binding binding, String studentTap, String teacherTap) {
        if (binding.teacher() == null) {
            throw new TapException(method + ": needs a teacher to read its tap '" + teacherTap + "' from");
        }
        Shape s = binding.student().shapes().get(studentTap);
        Shape t = binding.teacher().shapes().get(teacherTap);
        if (s == null || t == null) {
            throw new TapException(method + ": student tap '" + studentTap + "' " + describe(binding.student(), s)
                    + " and teacher tap '" + teacherTap + "' " + describe(binding.teacher(), t)
                    + "; name taps that exist (studentTap/teacherTap), e.g. embedding on both");
        }
        return new Shape[] {s, t};
    }

    /** "(shape 64)" for a tap that exists, or why not and which taps there are. */
    static String describe(TapShapes network, Shape shape) {
        return shape == null ? "(missing: the " + network.network() + "'s taps are " + network.shapes().keySet() + ")"
                : "(shape " + shape + ")";
    }
}

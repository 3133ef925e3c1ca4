package org.distill4j.knowledge;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.model.Outputs;

/**
 * What the teachers hand over for one batch, keyed by teacher name: each teacher's outputs
 * (logits and any taps the losses asked for), computed live or read from a store, rows aligned
 * with the batch's samples. Several teachers can serve one step (multi-teacher distillation);
 * a loss with one teacher reads {@link #outputs()}, the first. Never carries gradients.
 *
 * @param byTeacher each teacher's outputs, in the order the sources were given
 */
public record Knowledge(Map<String, Outputs> byTeacher) {
    /** The name a single teacher's knowledge goes under. */
    public static final String TEACHER = "teacher";

    /** No teacher: methods that need none (plain training) receive this. */
    public static final Knowledge NONE = new Knowledge(Map.of());

    public Knowledge {
        byTeacher = Collections.unmodifiableMap(new LinkedHashMap<>(byTeacher));
    }

    /** One teacher's outputs under {@link #TEACHER}. */
    public Knowledge(Outputs outputs) {
        this(outputs == null ? Map.of() : Map.of(TEACHER, outputs));
    }

    public boolean present() {
        return !byTeacher.isEmpty();
    }

    /** The (first) teacher's outputs, or null without a teacher. */
    public Outputs outputs() {
        return byTeacher.isEmpty() ? null : byTeacher.values().iterator().next();
    }

    /** The outputs of the teacher named {@code name}; an error lists the teachers present. */
    public Outputs outputs(String name) {
        Outputs o = byTeacher.get(name);
        if (o == null) {
            throw new IllegalArgumentException("no knowledge from teacher '" + name + "' (teachers: "
                    + byTeacher.keySet() + ")");
        }
        return o;
    }

    /** All teachers' knowledge together: names must not repeat. */
    public Knowledge and(Knowledge other) {
        Map<String, Outputs> all = new LinkedHashMap<>(byTeacher);
        for (var e : other.byTeacher.entrySet()) {
            if (all.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("two knowledge sources are both named '" + e.getKey() + "'");
            }
        }
        return new Knowledge(all);
    }

    /** The same outputs under another teacher name (single-teacher knowledge only). */
    public Knowledge named(String name) {
        if (byTeacher.size() != 1 || byTeacher.containsKey(name)) {
            return this;
        }
        return new Knowledge(Map.of(name, outputs()));
    }
}

package org.distill4j.method;

import java.util.List;

/** Range checks the feature methods share; messages start with the key so the CLI can point at it. */
final class ParameterChecks {
    private ParameterChecks() {}

    /** A loss weight: finite and ≥ 0. */
    static void require(double value, String key) {
        if (!(value >= 0 && value <= 1e9)) {
            throw new IllegalArgumentException(key + ": must be in [0, 1e9] (got " + value + ")");
        }
    }

    /** A tap name: non-blank. */
    static void tap(String value, String key) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(key + ": must name a tap (got '" + value + "')");
        }
    }

    /** Lists of taps paired in order: both absent, or both of equal length ≥ {@code min}. */
    static void pairedLists(List<String> student, List<String> teacher, int min) {
        if (student == null && teacher == null) {
            return;
        }
        if (student == null || teacher == null) {
            throw new IllegalArgumentException((student == null ? "studentTaps" : "teacherTaps")
                    + ": give studentTaps and teacherTaps together (paired in order), or neither for the default");
        }
        if (student.size() < min) {
            throw new IllegalArgumentException("studentTaps: needs at least " + min + " taps (got " + student + ")");
        }
        if (teacher.size() != student.size()) {
            throw new IllegalArgumentException("teacherTaps: must pair one to one with studentTaps " + student
                    + " (got " + teacher + ")");
        }
        for (String t : student) {
            tap(t == null ? "" : t, "studentTaps");
        }
        for (String t : teacher) {
            tap(t == null ? "" : t, "teacherTaps");
        }
    }
}

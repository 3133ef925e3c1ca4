package org.distill4j.method;

import java.util.List;

/**
 * Range checks for method records (one place for them: the feature and relation methods were
 * written with two such helpers, merged here). Messages read "field: rule (got value)", which the YAML loader
 * turns into an error naming the key and its line.
 */
final class MethodChecks {
    private MethodChecks() {}

    static void require(boolean ok, String field, String rule, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(field + ": " + rule + " (got " + got + ")");
        }
    }

    /** A finite weight ≥ 0. */
    static double weight(Double value, double fallback, String field) {
        double v = value == null ? fallback : value;
        require(v >= 0 && Double.isFinite(v), field, "must be a finite number >= 0", v);
        return v;
    }

    /** A tap name, defaulting to {@code fallback}. */
    static String tap(String value, String fallback, String field) {
        String v = value == null ? fallback : value;
        require(!v.isBlank(), field, "must name a tap, e.g. embedding", "'" + v + "'");
        return v;
    }

    /** A non-empty list of tap names, defaulting to {@code [fallback]}. */
    static List<String> taps(List<String> value, String fallback, String field) {
        List<String> v = value == null ? List.of(fallback) : value;
        require(!v.isEmpty() && v.stream().allMatch(t -> t != null && !t.isBlank()), field,
                "must be a non-empty list of tap names, e.g. [conv2, embedding]", v);
        return List.copyOf(v);
    }

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

package org.distill4j.method;

import java.util.List;

/**
 * Range checks for method records. Messages read "field: rule (got value)", which the YAML loader
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
}

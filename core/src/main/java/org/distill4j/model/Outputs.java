package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named intermediate outputs ("taps") of one forward pass, in network order, always
 * including {@code "logits"}. Feature and relation losses read their inputs from here by name.
 */
public final class Outputs {
    public static final String LOGITS = "logits";
    public static final String EMBEDDING = "embedding";

    private final Map<String, NDArray> taps;

    public Outputs(Map<String, NDArray> taps) {
        if (!taps.containsKey(LOGITS)) {
            throw new IllegalArgumentException("outputs must contain the tap '" + LOGITS + "'");
        }
        this.taps = Collections.unmodifiableMap(new LinkedHashMap<>(taps));
    }

    /** Wraps bare logits, e.g. for knowledge that holds only the teacher's logits. */
    public static Outputs ofLogits(NDArray logits) {
        return new Outputs(Map.of(LOGITS, logits));
    }

    public NDArray logits() {
        return taps.get(LOGITS);
    }

    /** The tap of that name; the error lists the taps there are. */
    public NDArray get(String tap) {
        NDArray a = taps.get(tap);
        if (a == null) {
            throw new IllegalArgumentException(
                    "no tap named '" + tap + "'; this network has " + taps.keySet());
        }
        return a;
    }

    public boolean has(String tap) {
        return taps.containsKey(tap);
    }

    public Set<String> names() {
        return taps.keySet();
    }
}

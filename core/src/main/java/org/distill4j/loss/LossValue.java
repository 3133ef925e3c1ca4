package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loss for one batch: the scalar to differentiate and its named, already weighted terms
 * (e.g. {@code ce}, {@code kd}), so reports can show the breakdown.
 */
public record LossValue(NDArray total, Map<String, NDArray> terms) {
    public LossValue {
        terms = Collections.unmodifiableMap(new LinkedHashMap<>(terms));
    }

    /** A single-term loss. */
    public static LossValue of(String name, NDArray value) {
        return new LossValue(value, Map.of(name, value));
    }

    /** A two-term loss (typically the task's cross-entropy and the distillation term): their sum. */
    public static LossValue of(String first, NDArray firstValue, String second, NDArray secondValue) {
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put(first, firstValue);
        terms.put(second, secondValue);
        return new LossValue(firstValue.add(secondValue), terms);
    }
}

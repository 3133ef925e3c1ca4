package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
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

    /** A two-term loss: their sum {@code first + second}. */
    public static LossValue of(String first, NDArray firstValue, String second, NDArray secondValue) {
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put(first, firstValue);
        terms.put(second, secondValue);
        return sum(terms);
    }

    /**
     * A loss with no terms (e.g. every weight 0): total 0, a scalar of {@code like}'s type in its
     * manager.
     */
    public static LossValue none(NDArray like) {
        return new LossValue(like.getManager().zeros(new Shape(), like.getDataType()), Map.of());
    }

    /**
     * The loss whose total is its terms summed left to right in their iteration order,
     * {@code ((t₁ + t₂) + t₃) + …} (float addition is not associative: the order is part of the
     * result); a single term is the total itself. At least one term.
     */
    public static LossValue sum(Map<String, NDArray> terms) {
        NDArray total = null;
        for (NDArray t : terms.values()) {
            total = total == null ? t : total.add(t);
        }
        if (total == null) {
            throw new IllegalArgumentException("a loss needs at least one term");
        }
        return new LossValue(total, terms);
    }
}

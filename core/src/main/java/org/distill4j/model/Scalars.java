package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic of an array with a Java number, safe inside a recorded graph. Every loss, model and
 * update in distill4j goes through here instead of DJL's {@code NDArray.mul(Number)} family
 * ({@code mul}, {@code div}, {@code pow}, {@code maximum}, {@code minimum} and their in-place
 * forms); {@code ScalarsTest} fails the build on any such call in the sources.
 *
 * <p>Why: for {@code x.mul(3f)} DJL's PyTorch engine wraps the 3 in a 0-dim tensor over a Java
 * direct buffer ({@code from_blob}: PyTorch does not own the memory), multiplies, and closes the
 * wrapper at once. Autograd has saved that tensor to compute {@code ∂(x·3)/∂x = 3} in the backward
 * pass; once the closed wrapper's buffer is garbage-collected, the backward pass reads freed memory.
 * Whether it does depends on when the collector runs, so it shows as rare, load-dependent drift
 * and NaN gradients (the crash-and-resume tests of the online schemes caught it). Here the number
 * is a tensor PyTorch allocates ({@code full}), owned by {@code x}'s manager like the result, so it
 * lives as long as the graph that may read it.
 */
public final class Scalars {
    private Scalars() {}

    /**
     * The 0-dim array holding {@code value}, in memory PyTorch owns, in {@code like}'s manager: of
     * {@code like}'s data type, except that a fraction with an integer array is float32 (as DJL's
     * number would promote it).
     */
    public static NDArray of(NDArray like, double value) {
        DataType type = like.getDataType();
        if (!type.isFloating() && value != Math.rint(value)) {
            type = DataType.FLOAT32;
        }
        NDManager m = like.getManager();
        if (type == DataType.FLOAT64) { // full() takes a float: copy the double in, exactly
            NDArray s = m.ones(new Shape(), type);
            try (NDArray v = m.create(value)) {
                s.muli(v); // read now, into memory PyTorch owns; s records no graph
            }
            return s;
        }
        return m.full(new Shape(), (float) value, type);
    }

    /** {@code x · v}. */
    public static NDArray mul(NDArray x, double v) {
        return x.mul(of(x, v));
    }

    /** {@code x / v}. */
    public static NDArray div(NDArray x, double v) {
        return x.div(of(x, v));
    }

    /** {@code v / x}, elementwise. */
    public static NDArray rdiv(double v, NDArray x) {
        return of(x, v).div(x);
    }

    /** {@code x ^ v}, elementwise. */
    public static NDArray pow(NDArray x, double v) {
        return x.pow(of(x, v));
    }

    /** {@code max(x, v)}, elementwise. */
    public static NDArray maximum(NDArray x, double v) {
        return x.maximum(of(x, v));
    }

    /** {@code min(x, v)}, elementwise. */
    public static NDArray minimum(NDArray x, double v) {
        return x.minimum(of(x, v));
    }

    /**
     * {@code x ← x · v} in place, outside any recorded graph (gradients, optimizer state): nothing
     * keeps the number, so it is freed at once.
     */
    public static void scaleInPlace(NDArray x, double v) {
        try (NDArray s = of(x, v)) {
            x.muli(s);
        }
    }
}

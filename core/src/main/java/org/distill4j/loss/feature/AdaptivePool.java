package org.distill4j.loss.feature;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Adaptive average pooling of (B, C, H, W) maps down to (h, w), with PyTorch's
 * {@code adaptive_avg_pool2d} windows: output row i averages input rows
 * {@code floor(i·H/h) … ceil((i+1)·H/h) − 1} (likewise for columns), so 7 → 3 works as well as
 * 14 → 7. Written as two small matrix products: it carries gradients and needs no engine
 * support beyond matmul.
 */
final class AdaptivePool {
    private AdaptivePool() {}

    /** {@code x} pooled to {@code h × w} (at most its own size); {@code x} itself if already that size. */
    static NDArray to(NDArray x, long h, long w) {
        long height = x.getShape().get(2);
        long width = x.getShape().get(3);
        if (h > height || w > width || h < 1 || w < 1) {
            throw new IllegalArgumentException("cannot pool " + height + "×" + width + " to " + h + "×" + w);
        }
        if (h == height && w == width) {
            return x;
        }
        NDManager m = x.getManager();
        NDArray rows = windows(m, h, height).toType(x.getDataType(), false);
        NDArray cols = windows(m, w, width).toType(x.getDataType(), false).transpose();
        return rows.matMul(x.matMul(cols));
    }

    /** The (out × in) averaging matrix: row i holds 1/n over its window of n inputs. */
    static NDArray windows(NDManager m, long out, long in) {
        double[] a = new double[Math.toIntExact(out * in)];
        for (long i = 0; i < out; i++) {
            long start = Math.floorDiv(i * in, out);
            long end = Math.floorDiv((i + 1) * in + out - 1, out);
            for (long j = start; j < end; j++) {
                a[(int) (i * in + j)] = 1.0 / (end - start);
            }
        }
        return m.create(a, new Shape(out, in));
    }
}

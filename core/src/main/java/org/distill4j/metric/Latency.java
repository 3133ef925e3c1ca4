package org.distill4j.metric;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.distill4j.data.Batch;
import org.distill4j.model.InferenceModel;

/**
 * Inference latency per sample at a batch size: median of timed forward passes (input copy in,
 * logits copied out, as a service would) after warm-up.
 */
public final class Latency {
    private Latency() {}

    /** Time spent timing a model that reads tokens ({@link InferenceModel#takesTokens}) before it stops (≥ 1 pass). */
    static final long TOKEN_BUDGET_NANOS = 5_000_000_000L;

    /**
     * Per-sample latency of {@link InferenceModel#inferUncached(Batch)}: the batch a model reading
     * tokens is timed on carries its {@link Batch#ATTENTION_MASK} (all ones: texts without padding),
     * made inside the timed pass as a service makes it beside the ids.
     */
    public static double millisPerSample(InferenceModel net, NDManager root, int batchSize, int repeats) {
        return timed(net, root, batchSize, repeats, b -> net.inferUncached(b).logits());
    }

    /**
     * The same measurement for any forward function of the network's inputs, e.g. the network up
     * to one of its early exits.
     */
    public static double millisPerSample(InferenceModel net, NDManager root, int batchSize, int repeats,
            java.util.function.Function<NDArray, NDArray> forward) {
        return timed(net, root, batchSize, repeats, b -> forward.apply(b.input()));
    }

    private static double timed(InferenceModel net, NDManager root, int batchSize, int repeats,
            java.util.function.Function<Batch, NDArray> forward) {
        long[] sample = net.sampleShape();
        long[] dims = new long[sample.length + 1];
        dims[0] = batchSize;
        System.arraycopy(sample, 0, dims, 1, sample.length);
        float[] input = new float[(int) new Shape(dims).size()];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < input.length; i++) {
            // token ids: full-length texts of ordinary WordPiece ids (no padding, the slowest case)
            input[i] = net.takesTokens() ? 1000 + r.nextInt(1000) : (float) r.nextGaussian();
        }
        // A text encoder takes seconds a batch: one warm-up pass, and timed passes until TOKEN_BUDGET_NANOS.
        int warmup = net.takesTokens() ? 1 : Math.max(3, repeats / 10);
        double[] times = new double[repeats];
        int[] ids = new int[batchSize];
        long spent = 0;
        for (int i = -warmup; i < repeats; i++) {
            if (net.takesTokens() && i > 0 && spent > TOKEN_BUDGET_NANOS) {
                repeats = i;
                break;
            }
            try (NDManager scope = root.newSubManager()) {
                long t0 = System.nanoTime();
                NDArray x = scope.create(input, new Shape(dims));
                Batch b = new Batch(x, null, ids, null);
                if (net.takesTokens()) {
                    b = b.with(Batch.ATTENTION_MASK, scope.ones(x.getShape()));
                }
                forward.apply(b).toFloatArray();
                long t1 = System.nanoTime();
                if (i >= 0) {
                    times[i] = (t1 - t0) / 1e6 / batchSize;
                    spent += t1 - t0;
                }
            }
        }
        times = Arrays.copyOf(times, repeats);
        Arrays.sort(times);
        return times[repeats / 2];
    }
}

package org.distill4j.rl;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.data.Augmentation;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchSource;
import org.distill4j.train.Seeds;

/**
 * A feed's batches over transitions held in Java arrays (a rollout, or states with the peer's
 * knowledge attached): named columns of {@code width} floats per row, {@link Batch#INPUT} being
 * the observations; each epoch visits the rows in a seeded order, in batches of {@code batchSize}
 * (a last partial batch dropped), or, {@link #sampled}, draws a number of batches uniformly with
 * replacement (a replay buffer's minibatches). A column of width 1 is a vector (B).
 */
public final class TransitionSource implements BatchSource {
    private record Column(float[] data, int width) {}

    private final Map<String, Column> columns = new LinkedHashMap<>();
    private final int rows;
    private final int batchSize;
    private final long seed;
    private int sampledBatches;

    public TransitionSource(int rows, int batchSize, long seed) {
        if (rows < 1 || rows < batchSize) {
            throw new IllegalArgumentException("batchSize: must be ≤ the transitions per rollout (" + rows + "), got "
                    + batchSize);
        }
        this.rows = rows;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    public TransitionSource with(String name, float[] data, int width) {
        if (data.length < rows * width) {
            throw new IllegalArgumentException(name + ": " + data.length + " values for " + rows + " rows of " + width);
        }
        columns.put(name, new Column(data, width));
        return this;
    }

    /** Each epoch is {@code batches} batches drawn uniformly with replacement from the rows. */
    public TransitionSource sampled(int batches) {
        if (batches < 1) {
            throw new IllegalArgumentException("sampled batches: must be ≥ 1 (got " + batches + ")");
        }
        this.sampledBatches = batches;
        return this;
    }

    @Override
    public int batchesPerEpoch() {
        return sampledBatches > 0 ? sampledBatches : rows / batchSize;
    }

    @Override
    public int[][] plan(int epoch) {
        if (sampledBatches > 0) {
            Rng rng = new Rng(Seeds.derive(seed, "sample " + epoch));
            int[][] plan = new int[sampledBatches][batchSize];
            for (int[] b : plan) {
                for (int i = 0; i < batchSize; i++) {
                    b[i] = rng.nextInt(rows);
                }
            }
            return plan;
        }
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        Rng rng = new Rng(Seeds.derive(seed, "epoch " + epoch));
        for (int i = rows - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[][] plan = new int[batchesPerEpoch()][];
        for (int b = 0; b < plan.length; b++) {
            plan[b] = java.util.Arrays.copyOfRange(order, b * batchSize, (b + 1) * batchSize);
        }
        return plan;
    }

    @Override
    public Batch load(NDManager scope, int[] positions, Augmentation augmentation, long seed) {
        Map<String, ai.djl.ndarray.NDArray> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, Column> e : columns.entrySet()) {
            int w = e.getValue().width();
            float[] src = e.getValue().data();
            float[] out = new float[positions.length * w];
            for (int r = 0; r < positions.length; r++) {
                System.arraycopy(src, positions[r] * w, out, r * w, w);
            }
            Shape shape = w == 1 ? new Shape(positions.length) : new Shape(positions.length, w);
            inputs.put(e.getKey(), scope.create(out, shape));
        }
        return new Batch(inputs, null, positions.clone(), null);
    }
}

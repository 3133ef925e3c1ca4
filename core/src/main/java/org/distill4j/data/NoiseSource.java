package org.distill4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batches made without any data: standard normal latent codes {@code z} of a fixed shape under
 * the input {@link #NOISE}, no labels — what a generator turns into transfer data (ZSKT, DAFL)
 * or the step counter of a phase whose inputs are its participants (DeepInversion). Sample
 * {@code n} of the phase (counted over all epochs: epoch·batchesPerEpoch·batchSize + its place)
 * has the id {@code n} and the code drawn from {@code SplittableRandom(seed ⊕ n·φ)}, so a code
 * depends on its sample alone: every update of a step reads the same codes whatever seed the
 * loop derives for it, and a resumed run draws exactly the codes of an uninterrupted one.
 */
public final class NoiseSource implements BatchSource {
    /** The name of the latent codes in a batch. */
    public static final String NOISE = "noise";

    private final long[] shape;
    private final int batchSize;
    private final int batches;
    private final long seed;

    /**
     * @param shape the shape of one code, e.g. {@code {100}}
     * @param batchSize codes per batch, ≥ 1
     * @param batchesPerEpoch batches in an epoch, ≥ 1
     * @param seed the source's seed
     */
    public NoiseSource(long[] shape, int batchSize, int batchesPerEpoch, long seed) {
        if (shape.length == 0 || java.util.Arrays.stream(shape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("noise: a code needs a shape of positive sizes (got "
                    + java.util.Arrays.toString(shape) + ")");
        }
        if (batchSize < 1 || batchesPerEpoch < 1) {
            throw new IllegalArgumentException("noise: batchSize and batchesPerEpoch must be ≥ 1 (got " + batchSize
                    + ", " + batchesPerEpoch + ")");
        }
        this.shape = shape.clone();
        this.batchSize = batchSize;
        this.batches = batchesPerEpoch;
        this.seed = seed;
    }

    @Override
    public int batchesPerEpoch() {
        return batches;
    }

    public int batchSize() {
        return batchSize;
    }

    @Override
    public int[][] plan(int epoch) {
        int[][] out = new int[batches][batchSize];
        long first = (long) epoch * batches * batchSize;
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < batchSize; i++) {
                out[b][i] = Math.toIntExact(first + (long) b * batchSize + i);
            }
        }
        return out;
    }

    @Override
    public Batch load(NDManager scope, int[] positions, Augmentation augmentation, long stepSeed) {
        int size = 1;
        for (long d : shape) {
            size = Math.multiplyExact(size, (int) d);
        }
        float[] values = new float[Math.multiplyExact(positions.length, size)];
        for (int i = 0; i < positions.length; i++) {
            SplittableRandom random = new SplittableRandom(seed ^ (positions[i] * 0x9E3779B97F4A7C15L));
            for (int j = 0; j < size; j++) {
                values[i * size + j] = (float) random.nextGaussian();
            }
        }
        long[] dims = new long[shape.length + 1];
        dims[0] = positions.length;
        System.arraycopy(shape, 0, dims, 1, shape.length);
        NDArray z = scope.create(values, new Shape(dims));
        return new Batch(Map.of(NOISE, z), null, positions.clone(), null);
    }
}

package org.distill4j.data;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * Cuts a {@link Dataset} into mini-batches, optionally shuffled, reproducibly.
 *
 * <p>The order of an epoch is a pure function of (seed, epoch), so a resumed run can
 * rebuild exactly the batches of any epoch without replaying the earlier ones.
 */
public final class BatchLoader implements BatchSource {

    /** Mixes the epoch into the seed; a large odd prime keeps (seed, epoch) pairs apart. */
    private static final long EPOCH_MIX = 1_000_003L;

    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    /** Further inputs by name: other views of the same samples (a paired modality), gathered alongside. */
    private final java.util.Map<String, Dataset> paired;
    /** Whether batches carry labels; an unlabelled loader never reads one (cross-modal transfer). */
    private final boolean labelled;
    private Future<Host> pending;
    private int[] pendingPositions;
    private Augmentation pendingAugmentation;
    private long pendingSeed;

    /**
     * @param data samples to batch
     * @param batchSize samples per batch, {@code >= 1}
     * @param shuffle whether each epoch visits the samples in a seeded random order
     * @param seed shuffle seed (ignored without shuffling)
     * @param dropLast whether to drop a final batch smaller than {@code batchSize}
     * @throws IllegalArgumentException if {@code batchSize < 1}
     */
    public BatchLoader(Dataset data, int batchSize, boolean shuffle, long seed, boolean dropLast) {
        this(data, batchSize, shuffle, seed, dropLast, java.util.Map.of(), true);
    }

    private BatchLoader(Dataset data, int batchSize, boolean shuffle, long seed, boolean dropLast,
            java.util.Map<String, Dataset> paired, boolean labelled) {
        this.paired = paired;
        this.labelled = labelled;
        this.data = Objects.requireNonNull(data, "data");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /**
     * The same batches with the sample's other view {@code other} (e.g. the paired modality, see
     * {@link PairedData}) as a further input named {@code name}; {@code other} must hold the same
     * sample ids in the same order.
     */
    public BatchLoader pairedWith(String name, Dataset other) {
        if (Batch.INPUT.equals(name) || paired.containsKey(name) || data.inputNames().contains(name)) {
            throw new IllegalArgumentException("paired input '" + name + "' is already an input of the batch");
        }
        if (!Arrays.equals(data.ids(), other.ids())) {
            throw new IllegalArgumentException("paired input '" + name + "': " + other.name() + " does not hold the "
                    + "samples of " + data.name() + " (sample ids differ)");
        }
        java.util.Map<String, Dataset> more = new java.util.LinkedHashMap<>(paired);
        more.put(name, other);
        return new BatchLoader(data, batchSize, shuffle, seed, dropLast, java.util.Collections.unmodifiableMap(more),
                labelled);
    }

    /**
     * The same batches without labels: the loader never reads one, and a loss or listener that
     * asks a batch for its labels fails ({@link Batch#labels()}). What a learner that must not see
     * labels (the cross-modal student) is fed.
     */
    public BatchLoader unlabelled() {
        return new BatchLoader(data, batchSize, shuffle, seed, dropLast, paired, false);
    }

    /** Whether the batches carry labels. */
    public boolean labelled() {
        return labelled;
    }

    /** @return the dataset being batched */
    public Dataset data() {
        return data;
    }

    /** @return samples per (full) batch */
    public int batchSize() {
        return batchSize;
    }

    /** @return number of batches {@link #plan(int)} yields per epoch */
    @Override
    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /**
     * Positions (into the dataset) of every batch of one epoch. With shuffling, the order is
     * a Fisher–Yates shuffle driven by {@code new Random(seed * 1_000_003 + epoch)};
     * without, it is {@code 0..n-1}.
     *
     * @param epoch epoch number, {@code >= 0}
     * @return one array of positions per batch, in visiting order
     */
    @Override
    public int[][] plan(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        int n = data.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random random = new Random(seed * EPOCH_MIX + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        int[][] batches = new int[batchesPerEpoch()][];
        for (int b = 0; b < batches.length; b++) {
            int from = b * batchSize;
            batches[b] = Arrays.copyOfRange(order, from, Math.min(from + batchSize, n));
        }
        return batches;
    }

    /**
     * Builds the arrays of one batch in {@code scope}.
     *
     * @param scope manager that will own the NDArrays; the caller closes it after the step
     * @param positions dataset positions, e.g. one entry of {@link #plan(int)}; not empty
     * @return inputs of shape (B, C, H, W) float32 (and the dataset's further inputs, e.g. a text's
     *     {@link Batch#ATTENTION_MASK}, and the paired ones, under their names), labels of shape (B)
     *     int32, and ids
     */
    public Batch load(NDManager scope, int[] positions) {
        return load(scope, positions, Augmentation.NONE, 0);
    }

    /** As {@link #load(NDManager, int[])}, with the inputs augmented from {@code seed}. */
    @Override
    public Batch load(NDManager scope, int[] positions, Augmentation augmentation, long seed) {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(positions, "positions");
        if (positions.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one position");
        }
        Host host = null;
        Future<Host> ahead = pending;
        if (ahead != null && pendingPositions == positions && pendingSeed == seed
                && pendingAugmentation.equals(augmentation)) {
            try {
                host = ahead.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while loading a batch", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        pending = null;
        if (host == null) {
            host = gather(positions, augmentation, seed);
        }
        long[] sampleShape = data.sampleShape();
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = positions.length;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        java.util.Map<String, NDArray> inputs = new java.util.LinkedHashMap<>();
        inputs.put(Batch.INPUT, scope.create(host.inputs(), new Shape(dims)));
        for (java.util.Map.Entry<String, float[]> view : host.views().entrySet()) {
            Dataset from = paired.getOrDefault(view.getKey(), data); // else a further input of data itself
            inputs.put(view.getKey(), scope.create(view.getValue(), batchShape(from, positions.length)));
        }
        if (!labelled) {
            return new Batch(inputs, null, host.ids(), null);
        }
        NDArray labelArray = scope.create(host.labels());
        return new Batch(inputs, labelArray, host.ids(), host.labels());
    }

    /**
     * Starts gathering (and augmenting) the batch at {@code positions} on a background thread, so
     * the next {@link #load} with the same arguments only copies it into native memory. The
     * result is the same as without prefetching: gathering is a pure function of its arguments.
     */
    @Override
    public void prefetch(int[] positions, Augmentation augmentation, long seed) {
        pendingPositions = positions;
        pendingAugmentation = augmentation;
        pendingSeed = seed;
        pending = PREFETCH.submit(() -> gather(positions, augmentation, seed));
    }

    /** A batch gathered in JVM memory, not yet copied into native arrays. */
    private record Host(float[] inputs, int[] labels, int[] ids, java.util.Map<String, float[]> views) {}

    private static Shape batchShape(Dataset d, int n) {
        return new Shape(n).addAll(new Shape(d.sampleShape()));
    }

    private Host gather(int[] positions, Augmentation augmentation, long seed) {
        int featureSize = data.featureSize();
        // One contiguous buffer and one native copy, instead of an NDArray per sample.
        float[] inputs = new float[Math.multiplyExact(positions.length, featureSize)];
        int[] labels = new int[positions.length];
        int[] ids = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            int p = positions[i];
            data.copyFeatures(p, inputs, i * featureSize);
            if (labelled) {
                labels[i] = data.label(p);
            }
            ids[i] = data.id(p);
        }
        java.util.Map<String, float[]> views = new java.util.LinkedHashMap<>();
        for (String name : data.inputNames()) { // e.g. a text's attention masks, gathered as its ids are
            float[] values = new float[inputs.length];
            for (int i = 0; i < positions.length; i++) {
                data.copyInput(name, positions[i], values, i * featureSize);
            }
            views.put(name, values);
        }
        for (java.util.Map.Entry<String, Dataset> view : paired.entrySet()) {
            Dataset d = view.getValue();
            float[] values = new float[Math.multiplyExact(positions.length, d.featureSize())];
            for (int i = 0; i < positions.length; i++) {
                d.copyFeatures(positions[i], values, i * d.featureSize());
            }
            views.put(view.getKey(), values);
        }
        long[] sampleShape = data.sampleShape();
        if (augmentation.active() && !paired.isEmpty()) {
            throw new IllegalArgumentException("augmentation of paired inputs would break their pairing: "
                    + "switch augmentation off");
        }
        if (augmentation.active()) {
            if (sampleShape.length != 3) {
                throw new IllegalArgumentException("augmentation needs image samples (C, H, W), got "
                        + java.util.Arrays.toString(sampleShape));
            }
            augmentation.apply(inputs, positions.length, (int) sampleShape[0], (int) sampleShape[1],
                    (int) sampleShape[2], seed);
        }
        return new Host(inputs, labelled ? labels : null, ids, views);
    }

    /** One daemon thread shared by all loaders: gathering is cheap, it only has to overlap the step. */
    private static final ExecutorService PREFETCH = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "distill4j-batch-prefetch");
        t.setDaemon(true);
        return t;
    });
}

package org.distill4j.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * An in-memory, immutable set of labelled images, already normalised and ready to batch.
 *
 * <p>Every sample carries a stable <em>id</em>: its position in the original source file.
 * Subsets and splits keep the original ids, which is what keeps stored teacher outputs
 * aligned with samples however the data is later shuffled or cut.
 *
 * <p>Besides its features a dataset may carry further named inputs laid out like them, which
 * batches carry beside the main input: a text source's attention masks ({@link #withInput}).
 *
 * <p>Instances never expose their internal arrays publicly; accessors return copies, so a
 * dataset (and its {@link #digest()}) cannot change after construction.
 *
 * <p>A dataset can be {@linkplain #seal sealed} for a while: every read of its samples or labels
 * (batches, subsets, predictions over it) then throws a {@link SealedDataException}. A seal covers
 * every dataset cut from the same source (subsets, heads, splits share one guard): sealing a
 * run's training split seals its validation split and the loaded file they came from too. That
 * is the guard with which a data-free phase proves that no real training image reaches its student.
 */
public final class Dataset {

    /** Fashion-MNIST pixel mean (of pixel/255) used for normalisation. */
    public static final float MEAN = 0.2860f;

    /** Fashion-MNIST pixel standard deviation (of pixel/255) used for normalisation. */
    public static final float STD = 0.3530f;

    /** Normalised value of every possible unsigned pixel byte, computed once. */
    private static final float[] NORMALISED = new float[256];

    static {
        for (int p = 0; p < 256; p++) {
            NORMALISED[p] = (p / 255f - MEAN) / STD;
        }
    }

    private final String name;
    private final float[] features;
    private final int[] labels;
    private final int[] ids;
    private final long[] sampleShape;
    private final int featureSize;
    private final int numClasses;
    /**
     * Further inputs by name, each laid out like {@code features} (one value per feature of every
     * sample): a text source's attention masks ({@link Batch#ATTENTION_MASK}). Empty for images and tables.
     */
    private final Map<String, float[]> more;

    /** Lazily computed; volatile so a digest computed by one thread is seen by the others. */
    private volatile String digest;

    /** The seals of this dataset's family: every dataset cut from the same source shares it. */
    private final Guard guard;

    /** Takes ownership of the arrays: callers must pass arrays nobody else holds. */
    private Dataset(String name, float[] features, int[] labels, int[] ids, long[] sampleShape,
            int numClasses, Guard guard) {
        this(name, features, labels, ids, sampleShape, numClasses, guard, Map.of());
    }

    private Dataset(String name, float[] features, int[] labels, int[] ids, long[] sampleShape,
            int numClasses, Guard guard, Map<String, float[]> more) {
        this.more = more;
        this.guard = guard;
        this.name = name;
        this.features = features;
        this.labels = labels;
        this.ids = ids;
        this.sampleShape = sampleShape;
        this.featureSize = featureSize(sampleShape);
        this.numClasses = numClasses;
    }

    /**
     * Builds a dataset from decoded IDX images and labels, normalising each pixel as
     * {@code (p / 255 - MEAN) / STD}. Ids are the positions {@code 0..n-1}.
     *
     * @param name name recorded in run records, e.g. {@code fashion-mnist-train}
     * @param images decoded images
     * @param labels one unsigned byte per image
     * @param numClasses labels must lie in {@code [0, numClasses)}
     * @return the dataset, with sample shape {@code {1, rows, cols}}
     * @throws DatasetException if the counts differ or a label is out of range
     */
    public static Dataset fromIdx(String name, IdxReader.IdxImages images, byte[] labels,
            int numClasses) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        requirePositiveClasses(numClasses);
        if (images.count() != labels.length) {
            throw new DatasetException("dataset " + name + ": the images file holds "
                    + images.count() + " images but the labels file holds " + labels.length
                    + " labels; the two files must come from the same split (train or t10k)");
        }
        int[] intLabels = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            intLabels[i] = labels[i] & 0xFF;
        }
        checkLabels(name, intLabels, numClasses);

        byte[] pixels = images.pixels();
        float[] features = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            features[i] = NORMALISED[pixels[i] & 0xFF];
        }
        long[] shape = {1, images.rows(), images.cols()};
        return new Dataset(name, features, intLabels, sequence(labels.length), shape, numClasses, new Guard());
    }

    /**
     * Builds a dataset from features that are already normalised, e.g. synthetic data in
     * tests. Arrays are copied. Ids are the positions {@code 0..n-1}.
     *
     * @param name dataset name
     * @param features {@code n * prod(sampleShape)} values, one sample after another
     * @param labels one label per sample, each in {@code [0, numClasses)}
     * @param sampleShape shape of one sample, e.g. {@code {1, 28, 28}}
     * @param numClasses number of classes
     * @return the dataset
     * @throws IllegalArgumentException if the array sizes do not match the shape
     * @throws DatasetException if a label is out of range
     */
    public static Dataset of(String name, float[] features, int[] labels, long[] sampleShape,
            int numClasses) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(sampleShape, "sampleShape");
        requirePositiveClasses(numClasses);
        int size = featureSize(sampleShape);
        if ((long) labels.length * size != features.length) {
            throw new IllegalArgumentException("dataset " + name + ": " + labels.length
                    + " labels with sample shape " + Arrays.toString(sampleShape) + " need "
                    + (long) labels.length * size + " feature values but got " + features.length);
        }
        checkLabels(name, labels, numClasses);
        return new Dataset(name, features.clone(), labels.clone(), sequence(labels.length),
                sampleShape.clone(), numClasses, new Guard());
    }

    /** @return the dataset name, as recorded in run records */
    public String name() {
        return name;
    }

    /** @return number of samples */
    public int size() {
        return labels.length;
    }

    /** @return number of feature values per sample (product of {@link #sampleShape()}) */
    public int featureSize() {
        return featureSize;
    }

    /** @return shape of one sample, e.g. {@code {1, 28, 28}} (a copy) */
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    /** @return number of classes; every label lies in {@code [0, numClasses)} */
    public int numClasses() {
        return numClasses;
    }

    /**
     * @param position index into this dataset, {@code 0 <= position < size()}
     * @return the label of that sample
     */
    public int label(int position) {
        requireOpen("label");
        return labels[Objects.checkIndex(position, labels.length)];
    }

    /**
     * @param position index into this dataset, {@code 0 <= position < size()}
     * @return the stable id (position in the original source file) of that sample
     */
    public int id(int position) {
        return ids[Objects.checkIndex(position, ids.length)];
    }

    /** @return all labels in position order (a copy) */
    public int[] labels() {
        requireOpen("labels");
        return labels.clone();
    }

    /** @return all stable sample ids in position order (a copy) */
    public int[] ids() {
        return ids.clone();
    }

    /** One more than the largest sample id: arrays indexed by sample id need this many rows. */
    public int idBound() {
        int max = -1;
        for (int id : ids) {
            max = Math.max(max, id);
        }
        return max + 1;
    }

    /** Internal feature array, shared without copying for batching within this package. */
    float[] features() {
        requireOpen("features");
        return features;
    }

    /**
     * Copies one sample's features into {@code dst}; used to assemble batches without
     * per-sample allocations.
     *
     * @param position sample to copy, {@code 0 <= position < size()}
     * @param dst destination array
     * @param dstOffset where in {@code dst} the {@link #featureSize()} values go
     */
    public void copyFeatures(int position, float[] dst, int dstOffset) {
        requireOpen("samples");
        Objects.checkIndex(position, labels.length);
        System.arraycopy(features, position * featureSize, dst, dstOffset, featureSize);
    }

    /**
     * The same samples with one more named input {@code values}, laid out like the features (one
     * value per feature of every sample, e.g. a text's attention mask beside its token ids). Batches
     * carry it under {@code name} ({@link BatchLoader}); subsets, heads and splits keep it with
     * their samples; the digest covers it. The array is copied.
     *
     * @throws IllegalArgumentException if {@code name} is the main input or taken, or the length differs
     */
    public Dataset withInput(String name, float[] values) {
        Objects.requireNonNull(name, "name");
        if (Batch.INPUT.equals(name) || more.containsKey(name)) {
            throw new IllegalArgumentException("dataset " + this.name + ": input '" + name + "' is already an input");
        }
        if (values.length != features.length) {
            throw new IllegalArgumentException("dataset " + this.name + ": input '" + name + "' has " + values.length
                    + " values but the samples have " + features.length);
        }
        Map<String, float[]> m = new LinkedHashMap<>(more);
        m.put(name, values.clone());
        return new Dataset(this.name, features, labels, ids, sampleShape, numClasses, guard,
                java.util.Collections.unmodifiableMap(m));
    }

    /** The names of the further inputs ({@link #withInput}), in the order they were added; empty for most data. */
    public java.util.Set<String> inputNames() {
        return more.keySet();
    }

    /**
     * Copies one sample's values of the further input {@code name} into {@code dst}, as
     * {@link #copyFeatures} copies its features.
     */
    public void copyInput(String name, int position, float[] dst, int dstOffset) {
        requireOpen(name);
        float[] v = more.get(name);
        if (v == null) {
            throw new IllegalArgumentException("dataset " + this.name + " has no input '" + name + "' (it has "
                    + more.keySet() + ")");
        }
        Objects.checkIndex(position, labels.length);
        System.arraycopy(v, position * featureSize, dst, dstOffset, featureSize);
    }

    /**
     * Returns the samples at the given positions, in that order, keeping their original ids.
     *
     * @param subsetName name of the new dataset
     * @param positions positions in this dataset (repeats are allowed)
     * @return the subset
     * @throws IndexOutOfBoundsException if a position is outside {@code [0, size())}
     */
    public Dataset subset(String subsetName, int[] positions) {
        Objects.requireNonNull(subsetName, "subsetName");
        Objects.requireNonNull(positions, "positions");
        requireOpen("samples (subset " + subsetName + ")");
        float[] subFeatures = new float[Math.multiplyExact(positions.length, featureSize)];
        int[] subLabels = new int[positions.length];
        int[] subIds = new int[positions.length];
        Map<String, float[]> subMore = new LinkedHashMap<>();
        more.forEach((k, v) -> subMore.put(k, new float[subFeatures.length]));
        for (int i = 0; i < positions.length; i++) {
            int p = Objects.checkIndex(positions[i], labels.length);
            System.arraycopy(features, p * featureSize, subFeatures, i * featureSize, featureSize);
            for (Map.Entry<String, float[]> e : more.entrySet()) {
                System.arraycopy(e.getValue(), p * featureSize, subMore.get(e.getKey()), i * featureSize, featureSize);
            }
            subLabels[i] = labels[p];
            subIds[i] = ids[p];
        }
        return new Dataset(subsetName, subFeatures, subLabels, subIds, sampleShape.clone(),
                numClasses, guard, java.util.Collections.unmodifiableMap(subMore));
    }

    /**
     * The same samples (labels and ids) seen another way: {@code features} of shape
     * {@code sampleShape} per sample, in this dataset's order (e.g. a derived modality, see
     * {@link Modality}). The array is copied. The further inputs ({@link #withInput}) belong to
     * the features they were made with and are not carried over.
     */
    public Dataset view(String viewName, float[] viewFeatures, long[] viewShape) {
        Objects.requireNonNull(viewName, "viewName");
        int size = featureSize(viewShape);
        if ((long) size() * size != viewFeatures.length) {
            throw new IllegalArgumentException("dataset " + viewName + ": " + size() + " samples of shape "
                    + Arrays.toString(viewShape) + " need " + (long) size() * size + " values, got "
                    + viewFeatures.length);
        }
        return new Dataset(viewName, viewFeatures.clone(), labels.clone(), ids.clone(), viewShape.clone(), numClasses,
                guard); // a view of sealed samples is sealed too
    }

    /**
     * Returns the first {@code n} samples (or all, if there are fewer), e.g. for a fast run.
     *
     * @param n number of samples to keep, {@code >= 0}
     * @return this dataset if it already has at most {@code n} samples, else a subset named
     *     {@code <name>-head<n>}
     */
    public Dataset head(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("head size must be >= 0, got " + n);
        }
        if (n >= size()) {
            return this;
        }
        return subset(name + "-head" + n, sequence(n));
    }

    /** The open seals of a family of datasets, in order; reads are allowed when there is none. */
    private static final class Guard {
        private final java.util.List<Seal> open = new java.util.concurrent.CopyOnWriteArrayList<>();
    }

    /** An open seal on a dataset's family: closing it lifts it (other seals may remain). */
    public final class Seal implements AutoCloseable {
        private final String why;

        private Seal(String why) {
            this.why = why;
        }

        /** Why the dataset is sealed. */
        public String why() {
            return why;
        }

        @Override
        public void close() {
            guard.open.remove(this);
        }
    }

    /**
     * Forbids every read of the samples and labels of this dataset — and of every dataset cut
     * from the same source — until the returned seal is closed: any attempt throws a
     * {@link SealedDataException} naming the dataset, what was read and {@code why} (e.g. "phase
     * student-dafl is data-free"). Names, sizes, shapes, ids and digests stay readable: they tell
     * nothing about a sample. Seals may overlap (a test may seal what a phase seals too).
     */
    public Seal seal(String why) {
        Objects.requireNonNull(why, "why");
        Seal s = new Seal(why);
        guard.open.add(s);
        return s;
    }

    /** Whether the dataset's family is sealed now. */
    public boolean sealed() {
        return !guard.open.isEmpty();
    }

    private void requireOpen(String what) {
        if (!guard.open.isEmpty()) {
            String why = guard.open.stream().map(Seal::why).collect(java.util.stream.Collectors.joining("; "));
            throw new SealedDataException("the " + what + " of dataset " + name + " were read while it is sealed ("
                    + why + ")");
        }
    }

    /**
     * A training set and a validation set cut from one dataset.
     *
     * @param train the larger part, named {@code <name>-train}
     * @param validation the held-out part, named {@code <name>-val}; may be empty
     */
    public record Split(Dataset train, Dataset validation) {
    }

    /** The positions 0 … n−1 in the order of a Fisher–Yates shuffle driven by {@code new Random(seed)}. */
    public static int[] shuffled(int n, long seed) {
        int[] order = sequence(n);
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * Shuffles the positions with {@code seed}, then cuts off
     * {@code round(size * validationFraction)} samples for validation. Both parts keep the
     * original order of samples and their original ids; the same seed gives the same split.
     *
     * @param validationFraction fraction held out, in {@code [0, 1)}; 0 gives an empty
     *     validation set
     * @param seed shuffle seed
     * @return the split
     * @throws IllegalArgumentException if the fraction is outside {@code [0, 1)}
     */
    public Split split(double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException(
                    "validation fraction must be in [0, 1), got " + validationFraction);
        }
        int n = size();
        int validationSize = (int) Math.round(n * validationFraction);
        // Rounding up must never leave the training part empty.
        validationSize = Math.min(validationSize, Math.max(n - 1, 0));

        int[] order = shuffled(n, seed);
        int[] validation = Arrays.copyOfRange(order, 0, validationSize);
        int[] train = Arrays.copyOfRange(order, validationSize, n);
        // Sorting makes each part a plain set of samples in source order: easier to inspect.
        Arrays.sort(validation);
        Arrays.sort(train);
        return new Split(subset(name + "-train", train), subset(name + "-val", validation));
    }

    /**
     * A SHA-256 fingerprint of the content, recorded in run records so a result can be tied
     * to the exact data it was computed on. Hashes, big-endian: all labels (int32), then all
     * ids (int32), then all features (IEEE-754 float32 bits), then each further input
     * ({@link #withInput}) in order: its name (UTF-8) and its values (float32 bits). Computed once,
     * on first use.
     *
     * @return 64 lowercase hex characters
     */
    public String digest() {
        String d = digest;
        if (d == null) {
            d = computeDigest();
            digest = d; // benign race: every thread computes the same value
        }
        return d;
    }

    private String computeDigest() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // every Java platform is required to provide SHA-256
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        for (int label : labels) {
            flushIfFull(sha, buffer, Integer.BYTES).putInt(label);
        }
        for (int id : ids) {
            flushIfFull(sha, buffer, Integer.BYTES).putInt(id);
        }
        for (float f : features) {
            flushIfFull(sha, buffer, Float.BYTES).putFloat(f);
        }
        for (Map.Entry<String, float[]> e : more.entrySet()) {
            for (byte b : e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                flushIfFull(sha, buffer, 1).put(b);
            }
            for (float f : e.getValue()) {
                flushIfFull(sha, buffer, Float.BYTES).putFloat(f);
            }
        }
        buffer.flip();
        sha.update(buffer);
        return HexFormat.of().formatHex(sha.digest());
    }

    private static ByteBuffer flushIfFull(MessageDigest sha, ByteBuffer buffer, int needed) {
        if (buffer.remaining() < needed) {
            buffer.flip();
            sha.update(buffer);
            buffer.clear();
        }
        return buffer;
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " samples of " + Arrays.toString(sampleShape)
                + ", " + numClasses + " classes]";
    }

    private static int featureSize(long[] shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("sample shape must have at least one dimension");
        }
        long size = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException(
                        "sample shape " + Arrays.toString(shape) + " has a non-positive dimension");
            }
            size = Math.multiplyExact(size, d);
        }
        return Math.toIntExact(size);
    }

    private static void requirePositiveClasses(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
    }

    private static void checkLabels(String name, int[] labels, int numClasses) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new DatasetException("dataset " + name + ": label " + labels[i]
                        + " at position " + i + " is outside [0, " + numClasses + ");"
                        + " the labels file does not match the expected number of classes");
            }
        }
    }

    private static int[] sequence(int n) {
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = i;
        }
        return s;
    }
}

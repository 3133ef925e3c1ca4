package org.distill4j.data;

import java.util.Arrays;

/**
 * Paired samples of two modalities: {@code a} and {@code b} hold the same samples (the same ids
 * in the same order, the same labels), each seen its own way — the data of cross-modal
 * distillation (Gupta, Hoffman &amp; Malik 2016), where a network of modality {@code a}
 * supervises one of modality {@code b} through the pairing. {@link #loader} batches them with
 * {@code b} as the main input and {@code a} as the named input {@link #PAIRED}, so a learner of
 * {@code b} and a teacher of {@code a} see the two views of the very same samples.
 *
 * @param a the first modality (the labelled one: the teacher's)
 * @param b the second modality (the student's)
 */
public record PairedData(Dataset a, Dataset b) {
    /** The name of modality {@code a}'s input in a paired batch. */
    public static final String PAIRED = "paired";

    public PairedData {
        if (!Arrays.equals(a.ids(), b.ids())) {
            throw new IllegalArgumentException("paired data: " + a.name() + " and " + b.name()
                    + " do not hold the same samples (sample ids differ)");
        }
    }

    /** {@code a} paired with its view in {@code modality}, standardised with {@code scale}. */
    public static PairedData derived(Dataset a, Modality modality, Modality.Scale scale) {
        return new PairedData(a, modality.derive(a, scale));
    }

    /**
     * Shuffled batches of {@code b} (main input) and {@code a} (input {@link #PAIRED}), without
     * labels when {@code labelled} is false, dropping a last partial batch when there is more than
     * one (as {@link org.distill4j.train.Feed#shuffled} does).
     */
    public BatchLoader loader(int batchSize, long seed, boolean labelled) {
        BatchLoader l = new BatchLoader(b, batchSize, true, seed, b.size() > batchSize).pairedWith(PAIRED, a);
        return labelled ? l : l.unlabelled();
    }
}

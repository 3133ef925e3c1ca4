package org.distill4j.data;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One mini-batch ready for a training or evaluation step: named inputs (the sample itself under
 * {@link #INPUT}; a second modality, a generated batch or a feature vector under names of their
 * own; a text batch's token ids under {@link #INPUT} and the tokenizer's mask under
 * {@link #ATTENTION_MASK}), optional labels (an unlabelled transfer set or generated data has none) and the sample
 * ids that keep stored teacher outputs aligned with shuffled data.
 *
 * <p>All NDArrays belong to the {@link ai.djl.ndarray.NDManager} passed to
 * {@link BatchLoader#load}; the caller closes that manager after the step, which frees
 * them. The Java arrays stay valid afterwards (e.g. to look up stored teacher outputs).
 *
 * @param inputs the inputs by name, each with the batch as its first dimension; never empty
 * @param labels int32 of shape (B), or null when the batch has no labels
 * @param ids stable sample ids (positions in the original source file), one per row
 * @param labelValues the same labels as {@code labels}, as a Java array, or null
 */
public record Batch(Map<String, NDArray> inputs, NDArray labels, int[] ids, int[] labelValues) {
    /** The name of the main input: what a network's forward pass reads. */
    public static final String INPUT = "input";

    /**
     * The input of a text batch beside its token ids: the tokenizer's attention mask, float32 of
     * the ids' shape {@code (B, L)}, 1 for a real token ({@code [CLS]}, {@code [SEP]} included), 0
     * for padding. A text encoder feeds it to its graph as {@code attention_mask} and pools over it.
     */
    public static final String ATTENTION_MASK = "attention_mask";

    public Batch {
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one input");
        }
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        if ((labels == null) != (labelValues == null)) {
            throw new IllegalArgumentException("labels and labelValues must both be given or both be absent");
        }
    }

    /** A batch with one input, {@link #INPUT}. */
    public Batch(NDArray input, NDArray labels, int[] ids, int[] labelValues) {
        this(Map.of(INPUT, input), labels, ids, labelValues);
    }

    /** The main input, e.g. float32 images of shape (B, C, H, W). */
    public NDArray input() {
        return input(INPUT);
    }

    /** The input named {@code name}; an error lists the inputs the batch has. */
    public NDArray input(String name) {
        NDArray a = inputs.get(name);
        if (a == null) {
            throw new IllegalArgumentException("the batch has no input '" + name + "' (it has " + inputs.keySet() + ")");
        }
        return a;
    }

    /** Whether the batch has an input named {@code name}. */
    public boolean hasInput(String name) {
        return inputs.containsKey(name);
    }

    /** Whether the batch carries labels. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** The labels; an error when the batch has none (an unlabelled or generated batch). */
    @Override
    public NDArray labels() {
        if (labels == null) {
            throw new IllegalStateException("this batch has no labels (an unlabelled or generated batch): "
                    + "a loss that reads labels cannot train on it");
        }
        return labels;
    }

    /** The labels as a Java array; an error when the batch has none. */
    @Override
    public int[] labelValues() {
        if (labelValues == null) {
            labels();
        }
        return labelValues;
    }

    /** The same samples with one more named input (e.g. a generated view). */
    public Batch with(String name, NDArray input) {
        Map<String, NDArray> more = new LinkedHashMap<>(inputs);
        more.put(name, input);
        return new Batch(more, labels, ids, labelValues);
    }

    /** @return number of samples in the batch */
    public int size() {
        return ids.length;
    }
}

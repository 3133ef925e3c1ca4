package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.distill4j.data.Batch;

/**
 * A model that answers in inference mode: what a teacher is to the rest of a run once it is
 * ready (trained or loaded here, or imported from another framework). Knowledge sources, the
 * knowledge store, fidelity and the metrics read a teacher only through this face, so a zoo
 * {@link Network} and an {@link ImportedModel} (ONNX, TorchScript) serve alike.
 */
public interface InferenceModel extends AutoCloseable {
    /**
     * One inference-mode pass (batch-norm running statistics, no dropout, no gradient) over a
     * batch of the run's inputs as the data pipeline gives them, returning every tap,
     * {@code "logits"} among them; the arrays belong to the input's manager.
     */
    Outputs infer(NDArray inputs);

    /**
     * The same pass over a batch's named inputs: what every path that runs a model on a batch
     * calls (the live teacher, the knowledge store, predictions, retrieval, latency). By default
     * {@link #infer(NDArray)} of {@link Batch#input()}; a text encoder ({@link ImportedModel})
     * also reads {@link Batch#ATTENTION_MASK}, a text student its masked pooling's mask.
     */
    default Outputs infer(Batch batch) {
        return infer(batch.input());
    }

    /**
     * The same pass as {@link #infer} but never answered from a cache: what a latency measurement
     * times. By default {@link #infer} itself.
     */
    default Outputs inferUncached(NDArray inputs) {
        return infer(inputs);
    }

    /** {@link #inferUncached(NDArray)} over a batch's named inputs, as {@link #infer(Batch)}. */
    default Outputs inferUncached(Batch batch) {
        return inferUncached(batch.input());
    }

    /**
     * Whether its inputs are token ids ({@code [L]} samples of a text source, id 0 = padding) rather
     * than values: a latency measurement then feeds it valid ids, not Gaussian noise.
     */
    default boolean takesTokens() {
        return false;
    }

    /** The shape of one input sample, e.g. {@code [1, 28, 28]}. */
    long[] sampleShape();

    int numClasses();

    /** Its taps, in network (or graph output) order, {@code "logits"} among them. */
    List<String> tapNames();

    /** The per-sample shape of every tap; {@code role} names it in error messages ("teacher"). */
    TapShapes tapShapes(String role);

    /** SHA-256 of what it computes with: a network's weights, an imported model's file. */
    String weightsDigest();

    /**
     * What decides its answers to the run's inputs, as the knowledge store keys them: the
     * weights digest, and for an imported model also how it prepares the inputs and which graph
     * outputs its taps are.
     */
    default String answersDigest() {
        return weightsDigest();
    }

    /** A short description for tables, e.g. {@code cnn[8, 16]/64} or {@code onnx teacher.onnx}. */
    String describe();

    /** Number of parameters (trainable values), for the size columns. */
    long parameterCount();

    /** Size in bytes of its parameters (an imported model: its file). */
    default long sizeBytes() {
        return parameterCount() * Float.BYTES;
    }

    /** Stops gradients to its weights (an imported model is frozen already). */
    void freeze();

    @Override
    void close();
}

package org.distill4j.knowledge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;

/**
 * A student answering with retrieval (ReAugKD): its own prediction mixed with the soft labels of
 * the k stored teacher embeddings nearest to its embedding ({@link KnowledgeBase#mix}). Its
 * {@code logits} are the log of the mixed probabilities, so every metric reads it as any model;
 * its other taps are the network's. It owns neither the network nor the knowledge base.
 */
public final class RetrievalModel implements InferenceModel {
    private final InferenceModel net;
    private final KnowledgeBase kb;

    public RetrievalModel(InferenceModel net, KnowledgeBase kb) {
        if (!net.tapNames().contains(kb.settings().tap())) {
            throw new IllegalArgumentException("the knowledge base " + kb.dir() + " is queried with tap '"
                    + kb.settings().tap() + "', which " + net.describe() + " does not have");
        }
        if (net.numClasses() != kb.classes()) {
            throw new IllegalArgumentException("the knowledge base " + kb.dir() + " holds soft labels of " + kb.classes()
                    + " classes, " + net.describe() + " predicts " + net.numClasses());
        }
        this.net = net;
        this.kb = kb;
    }

    @Override
    public Outputs infer(NDArray inputs) {
        return mixed(net.infer(inputs), inputs);
    }

    /** The network answers from all the batch's named inputs (a text batch: its attention mask too). */
    @Override
    public Outputs infer(Batch batch) {
        return mixed(net.infer(batch), batch.input());
    }

    @Override
    public Outputs inferUncached(Batch batch) {
        return mixed(net.inferUncached(batch), batch.input());
    }

    @Override
    public boolean takesTokens() {
        return net.takesTokens();
    }

    private Outputs mixed(Outputs o, NDArray inputs) {
        int n = (int) inputs.getShape().get(0);
        float[] mixed;
        try {
            mixed = kb.mix(o.logits().toFloatArray(), o.get(kb.settings().tap()).toFloatArray(), n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, NDArray> taps = new LinkedHashMap<>();
        o.names().forEach(t -> taps.put(t, o.get(t)));
        taps.put(Outputs.LOGITS, inputs.getManager().create(mixed, new Shape(n, kb.classes())));
        return new Outputs(taps);
    }

    @Override
    public long[] sampleShape() {
        return net.sampleShape();
    }

    @Override
    public int numClasses() {
        return net.numClasses();
    }

    @Override
    public List<String> tapNames() {
        return net.tapNames();
    }

    @Override
    public TapShapes tapShapes(String role) {
        return net.tapShapes(role);
    }

    /** The network's: the knowledge base is checksummed on its own. */
    @Override
    public String weightsDigest() {
        return net.weightsDigest();
    }

    @Override
    public String describe() {
        return net.describe() + " + kb(" + kb.size() + "×" + kb.dim() + ", k=" + kb.settings().k() + ")";
    }

    @Override
    public long parameterCount() {
        return net.parameterCount();
    }

    @Override
    public void freeze() {
        net.freeze();
    }

    /** Closes nothing: the network and the knowledge base belong to the caller. */
    @Override
    public void close() {}
}

package org.distill4j.knowledge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;

/**
 * What the other peers hand one peer in online distillation: their logits on the batch, each
 * under the peer's name ({@code peer2} …), and under {@code logits} the log of their mean
 * probability {@code log((1/L)·Σ_l softmax(z_l))} (its softmax is that mean: the ensemble target
 * of codistillation). The peers run when a step asks, so they are as they are at that
 * moment (a peer updated earlier in the batch gives its updated prediction). Nothing is
 * recorded for gradients; arrays live in the batch's manager.
 *
 * <p>In training mode (batch statistics, dropout) a forward pass would also move the peers'
 * batch-norm running statistics; they are put back, so only a peer's own learning step moves
 * them.
 */
public final class PeerKnowledge implements KnowledgeSource {
    private final Map<String, Network> peers;
    private final boolean training;

    /**
     * @param peers the teaching peers by name, in order, at least one
     * @param training run them in training mode (true) or inference mode (false)
     */
    public PeerKnowledge(Map<String, Network> peers, boolean training) {
        if (peers.isEmpty() || peers.containsKey(Outputs.LOGITS)) {
            throw new IllegalArgumentException("peer knowledge needs at least one peer, none named 'logits': "
                    + peers.keySet());
        }
        this.peers = new LinkedHashMap<>(peers);
        this.training = training;
    }

    @Override
    public Knowledge lookup(Batch batch) {
        Map<String, NDArray> taps = new LinkedHashMap<>();
        NDList logProbabilities = new NDList();
        for (Map.Entry<String, Network> e : peers.entrySet()) {
            NDArray logits = forward(e.getValue(), batch).stopGradient();
            taps.put(e.getKey(), logits);
            logProbabilities.add(logits.logSoftmax(1));
        }
        // log of the mean probability as a log-sum-exp over peers: finite even where a peer's
        // probability underflows to 0 (a plain log of the mean would give −inf there, and NaN in KL)
        NDArray stacked = NDArrays.stack(logProbabilities);
        NDArray max = stacked.max(new int[] {0});
        NDArray logMean = stacked.sub(max).exp().sum(new int[] {0}).log().add(max)
                .sub((float) Math.log(peers.size()));
        taps.put(Outputs.LOGITS, logMean);
        return new Knowledge(new Outputs(taps));
    }

    private NDArray forward(Network peer, Batch batch) {
        return training ? peer.forwardKeepingStatistics(batch).logits() : peer.forward(batch, false).logits();
    }

    @Override
    public TapShapes tapShapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, Network> e : peers.entrySet()) {
            shapes.put(e.getKey(), new Shape(e.getValue().numClasses()));
        }
        shapes.put(Outputs.LOGITS, new Shape(peers.values().iterator().next().numClasses()));
        return new TapShapes("peers", shapes);
    }
}

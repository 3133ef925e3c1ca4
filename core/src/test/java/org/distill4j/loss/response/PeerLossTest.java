package org.distill4j.loss.response;

import static org.distill4j.testing.HandMath.crossEntropy;
import static org.distill4j.testing.HandMath.kl;
import static org.distill4j.testing.HandMath.probabilities;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class PeerLossTest {
    // Peer k's logits and two other peers' (B=2, C=3), labels [1, 2].
    static final double[] ZK = {1.0, 2.0, 0.5, 0.2, -1.0, 3.0};
    static final double[] ZA = {2.0, 1.0, 0.0, 0.0, 0.5, 2.5};
    static final double[] ZB = {-1.0, 0.5, 1.5, 1.0, 1.0, -2.0};
    static final int[] Y = {1, 2};
    static final Shape SHAPE = new Shape(2, 3);

    private static Knowledge peers(NDManager m) {
        return new Knowledge(new Outputs(Map.of("peer2", m.create(ZA, SHAPE), "peer3", m.create(ZB, SHAPE),
                Outputs.LOGITS, m.create(ZA, SHAPE))));
    }

    @Test
    void mutualLearningValueIsCePlusTheMeanOfTheKls() {
        // DML with K=3: CE + 1/2·(KL(p_a ‖ p_k) + KL(p_b ‖ p_k)), at T=1, batch means
        double ce = crossEntropy(ZK, Y, 3);
        double kls = (kl(probabilities(ZA, 3), probabilities(ZK, 3)) + kl(probabilities(ZB, 3), probabilities(ZK, 3))) / 2;
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, Y);
            LossValue v = new WeightedSum(1, new PeerLoss(List.of("peer2", "peer3"), 1)).compute(Outputs.ofLogits(m.create(ZK, SHAPE)),
                    peers(m), b);
            assertEquals(ce, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals(kls, v.terms().get(PeerLoss.TERM).getDouble(), 1e-12);
            assertEquals(ce + kls, v.total().getDouble(), 1e-12);
        }
    }

    @Test
    void weightScalesTheTermAndZeroReadsNoKnowledge() {
        double ce = crossEntropy(ZK, Y, 3);
        double klA = kl(probabilities(ZA, 3), probabilities(ZK, 3));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, Y);
            LossValue half = new WeightedSum(1, new PeerLoss(List.of(Outputs.LOGITS), 0.5)).compute(Outputs.ofLogits(m.create(ZK, SHAPE)),
                    peers(m), b);
            assertEquals(ce + 0.5 * klA, half.total().getDouble(), 1e-12);
            // burn-in: weight 0 with no knowledge at all; the term is there, and 0
            PeerLoss off = new PeerLoss(List.of(Outputs.LOGITS), 0);
            LossValue v = new WeightedSum(1, off).compute(Outputs.ofLogits(m.create(ZK, SHAPE)), Knowledge.NONE, b);
            assertEquals(0.0, v.terms().get(PeerLoss.TERM).getDouble(), 0.0);
            assertEquals(ce, v.total().getDouble(), 1e-12);
            assertEquals(false, off.needsTeacher());
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, Y);
            PeerLoss loss = new PeerLoss(List.of("peer2", "peer3"), 0.7);
            GradientCheck.assertGradient(zk -> new WeightedSum(1, loss).compute(Outputs.ofLogits(zk), peers(m), b).total(), ZK, SHAPE);
        }
    }

    @Test
    void peersReceiveNoGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray zk = m.create(ZK, SHAPE);
            NDArray za = m.create(ZA, SHAPE);
            zk.setRequiresGradient(true);
            za.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(new WeightedSum(1, new PeerLoss(List.of("peer2"), 1)).compute(Outputs.ofLogits(zk),
                        new Knowledge(new Outputs(Map.of("peer2", za, Outputs.LOGITS, za))), Batches.withLabels(m, Y))
                        .total());
            }
            for (float g : za.getGradient().toType(DataType.FLOAT32, false).toFloatArray()) {
                assertEquals(0.0f, g);
            }
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new PeerLoss(List.of(), 1));
        assertThrows(IllegalArgumentException.class, () -> new PeerLoss(List.of("peer2"), -1));
        assertThrows(IllegalArgumentException.class, () -> new PeerLoss(List.of("peer2"), Double.NaN));
    }
}

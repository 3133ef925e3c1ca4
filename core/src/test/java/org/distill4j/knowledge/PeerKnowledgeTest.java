package org.distill4j.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.testing.HandMath;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

class PeerKnowledgeTest {
    static final long[] SAMPLE = {1, 28, 28};

    static Batch batch(NDManager m) {
        Seeds.apply(5);
        return new Batch(m.randomNormal(new Shape(4, 1, 28, 28)), m.create(new int[] {0, 1, 2, 3}),
                new int[] {0, 1, 2, 3}, new int[] {0, 1, 2, 3});
    }

    /**
     * Each peer's logits under its name, and under "logits" the log of the mean probability
     * (checked in doubles from the peers' own logits), for peers that compute in inference mode.
     */
    @Test
    void servesEachPeerAndTheLogOfTheMeanProbability() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Network> peers = new LinkedHashMap<>();
            for (int i = 2; i <= 3; i++) {
                Seeds.apply(i);
                peers.put("peer" + i, Network.create(new CnnSpec(List.of(4), 8, true, null), SAMPLE, 10, m));
            }
            Batch b = batch(m);
            Outputs out = new PeerKnowledge(peers, false).lookup(b).outputs();
            assertEquals(List.of("peer2", "peer3", "logits"), List.copyOf(out.names()));
            float[] z2 = peers.get("peer2").forward(b.input(), false).logits().toFloatArray();
            float[] z3 = peers.get("peer3").forward(b.input(), false).logits().toFloatArray();
            assertArrayEquals(z2, out.get("peer2").toFloatArray(), 0f);
            float[] mean = out.logits().toFloatArray();
            for (int i = 0; i < 4; i++) {
                double[] p2 = HandMath.softmax(HandMath.row(toDouble(z2), i, 10));
                double[] p3 = HandMath.softmax(HandMath.row(toDouble(z3), i, 10));
                for (int c = 0; c < 10; c++) {
                    assertEquals(Math.log((p2[c] + p3[c]) / 2), mean[i * 10 + c], 1e-5);
                }
            }
            assertEquals(new Shape(10), new PeerKnowledge(peers, false).tapShapes().shape("peer3"));
        }
    }

    /** Where one peer's probability underflows to 0, the mean target stays finite (no NaN in KL). */
    @Test
    void meanTargetStaysFiniteWhereAProbabilityUnderflows() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(2);
            Network net = Network.create(new CnnSpec(List.of(4), 8, true, null), SAMPLE, 10, m);
            Batch b = batch(m);
            Batch huge = new Batch(b.input().mul(1e6f), b.labels(), b.ids(), b.labelValues());
            float[] mean = new PeerKnowledge(Map.of("peer2", net), false).lookup(huge).outputs().logits().toFloatArray();
            for (float v : mean) {
                assertTrue(Float.isFinite(v), "finite: " + v);
            }
        }
    }

    /**
     * In training mode a forward pass moves batch-norm running statistics; a peer serving
     * targets in training mode must not (only its own learning step does), and its targets use
     * batch statistics (differ from inference mode).
     */
    @Test
    void trainingModeTargetsLeaveRunningStatisticsAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(2);
            Network net = Network.create(new CnnSpec(List.of(4), 8, true, null), SAMPLE, 10, m);
            assertEquals(2, net.runningStatistics().size(), "one batch norm: mean and variance");
            String before = net.weightsDigest();
            Batch b = batch(m);
            float[] train = new PeerKnowledge(Map.of("peer2", net), true).lookup(b).outputs().get("peer2").toFloatArray();
            assertEquals(before, net.weightsDigest(), "running statistics put back");
            float[] eval = new PeerKnowledge(Map.of("peer2", net), false).lookup(b).outputs().get("peer2").toFloatArray();
            assertTrue(!java.util.Arrays.equals(train, eval), "training mode uses batch statistics");
            net.forward(b.input(), true);
            assertNotEquals(before, net.weightsDigest(), "a plain training-mode pass would have moved them");
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}

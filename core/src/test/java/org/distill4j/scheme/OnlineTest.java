package org.distill4j.scheme;

import static org.distill4j.testing.HandMath.softmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.distill4j.data.Dataset;
import org.distill4j.loss.response.PeerLoss;
import org.distill4j.metric.Predictions;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.junit.jupiter.api.Test;

class OnlineTest {
    static final int IN = 3;
    static final int HIDDEN = 2;
    static final int C = 3;
    static final double LR = 0.1;
    static final MlpSpec TINY = new MlpSpec(List.of(HIDDEN), null);

    /** Plain SGD (no momentum, no decay) at a constant rate, one epoch. */
    static TrainSpec sgd(int epochs, int batch) {
        return new TrainSpec(epochs, batch, new OptimizerSpec.Sgd(LR, 0.0, 0.0),
                new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null));
    }

    static Network peer(NDManager m, long seed, Dataset data) {
        Seeds.apply(seed);
        return Network.create(TINY, data.sampleShape(), data.numClasses(), m);
    }

    /** A tiny MLP's weights as doubles: W1 (H×IN), b1 (H), W2 (C×H), b2 (C). */
    static final class Mlp {
        final double[][] w1 = new double[HIDDEN][IN];
        final double[] b1 = new double[HIDDEN];
        final double[][] w2 = new double[C][HIDDEN];
        final double[] b2 = new double[C];

        static Mlp of(Network net) {
            List<Parameter> ps = net.trainableParameters();
            assertEquals(4, ps.size(), "fc1 weight, fc1 bias, logits weight, logits bias");
            float[] w1 = ps.get(0).getArray().toFloatArray();
            float[] b1 = ps.get(1).getArray().toFloatArray();
            float[] w2 = ps.get(2).getArray().toFloatArray();
            float[] b2 = ps.get(3).getArray().toFloatArray();
            assertEquals(HIDDEN * IN, w1.length);
            assertEquals(C * HIDDEN, w2.length);
            Mlp p = new Mlp();
            for (int h = 0; h < HIDDEN; h++) {
                p.b1[h] = b1[h];
                for (int i = 0; i < IN; i++) {
                    p.w1[h][i] = w1[h * IN + i];
                }
            }
            for (int c = 0; c < C; c++) {
                p.b2[c] = b2[c];
                for (int h = 0; h < HIDDEN; h++) {
                    p.w2[c][h] = w2[c * HIDDEN + h];
                }
            }
            return p;
        }

        double[] pre(double[] x) {
            double[] a = b1.clone();
            for (int h = 0; h < HIDDEN; h++) {
                for (int i = 0; i < IN; i++) {
                    a[h] += w1[h][i] * x[i];
                }
            }
            return a;
        }

        double[] logits(double[] x) {
            double[] a = pre(x);
            double[] z = b2.clone();
            for (int c = 0; c < C; c++) {
                for (int h = 0; h < HIDDEN; h++) {
                    z[c] += w2[c][h] * Math.max(a[h], 0);
                }
            }
            return z;
        }

        /**
         * One SGD step on {@code mean_i [CE(z_i, y_i) + KL(q_i ‖ softmax(z_i))]}, q the fixed
         * targets; returns the loss before the step (ce, kl).
         */
        double[] step(double[][] xs, int[] ys, double[][] q) {
            int b = xs.length;
            double ce = 0;
            double kl = 0;
            double[][] dw1 = new double[HIDDEN][IN];
            double[] db1 = new double[HIDDEN];
            double[][] dw2 = new double[C][HIDDEN];
            double[] db2 = new double[C];
            for (int n = 0; n < b; n++) {
                double[] a = pre(xs[n]);
                for (double v : a) {
                    assertTrue(Math.abs(v) > 1e-3, "no ReLU sits on its kink: " + v);
                }
                double[] p = softmax(logits(xs[n]));
                ce -= Math.log(p[ys[n]]) / b;
                double[] dz = new double[C];
                for (int c = 0; c < C; c++) {
                    kl += q[n][c] * Math.log(q[n][c] / p[c]) / b;
                    // d/dz of CE is p − onehot; of KL(q ‖ p) it is p − q
                    dz[c] = ((p[c] - (c == ys[n] ? 1 : 0)) + (p[c] - q[n][c])) / b;
                }
                double[] dh = new double[HIDDEN];
                for (int c = 0; c < C; c++) {
                    db2[c] += dz[c];
                    for (int h = 0; h < HIDDEN; h++) {
                        dw2[c][h] += dz[c] * Math.max(a[h], 0);
                        dh[h] += w2[c][h] * dz[c];
                    }
                }
                for (int h = 0; h < HIDDEN; h++) {
                    double da = a[h] > 0 ? dh[h] : 0;
                    db1[h] += da;
                    for (int i = 0; i < IN; i++) {
                        dw1[h][i] += da * xs[n][i];
                    }
                }
            }
            for (int h = 0; h < HIDDEN; h++) {
                b1[h] -= LR * db1[h];
                for (int i = 0; i < IN; i++) {
                    w1[h][i] -= LR * dw1[h][i];
                }
            }
            for (int c = 0; c < C; c++) {
                b2[c] -= LR * db2[c];
                for (int h = 0; h < HIDDEN; h++) {
                    w2[c][h] -= LR * dw2[c][h];
                }
            }
            return new double[] {ce, kl};
        }

        double[][] probabilities(double[][] xs) {
            double[][] out = new double[xs.length][];
            for (int n = 0; n < xs.length; n++) {
                out[n] = softmax(logits(xs[n]));
            }
            return out;
        }

        void assertClose(Mlp other) {
            for (int h = 0; h < HIDDEN; h++) {
                assertArrayEquals(w1[h], other.w1[h], 1e-5);
            }
            assertArrayEquals(b1, other.b1, 1e-5);
            for (int c = 0; c < C; c++) {
                assertArrayEquals(w2[c], other.w2[c], 1e-5);
            }
            assertArrayEquals(b2, other.b2, 1e-5);
        }
    }

    static final double[][] XS = {{1.0, -0.5, 2.0}, {-1.5, 0.3, 0.7}, {0.2, 1.8, -1.1}, {2.2, 0.9, 0.4}};
    static final int[] YS = {0, 1, 2, 1};

    static Dataset tinyData() {
        float[] f = new float[XS.length * IN];
        for (int n = 0; n < XS.length; n++) {
            for (int i = 0; i < IN; i++) {
                f[n * IN + i] = (float) XS[n][i];
            }
        }
        return Dataset.of("tiny", f, YS, new long[] {IN}, C);
    }

    /**
     * Deep mutual learning, K=2, one step of plain SGD on one batch of four, recomputed by hand:
     * peer1 steps on CE + KL(p2 ‖ p1) with p2 from peer2's initial weights; then peer2 steps on
     * CE + KL(p1' ‖ p2) with p1' from peer1's <em>updated</em> weights (the paper's Algorithm 1).
     */
    @Test
    void dmlOneStepByHand() throws Exception {
        Dataset data = tinyData();
        try (NDManager m = NDManager.newBaseManager();
                Network n1 = peer(m, 11, data);
                Network n2 = peer(m, 12, data)) {
            Mlp h1 = Mlp.of(n1);
            Mlp h2 = Mlp.of(n2);
            double[][] p2 = h2.probabilities(XS);
            double[] loss1 = h1.step(XS, YS, p2);
            double[][] p1Updated = h1.probabilities(XS);
            Mlp stale = Mlp.of(n1); // peer1 before its step: what peer2 would see without recomputing
            Mlp h2Alt = Mlp.of(n2);
            h2Alt.step(XS, YS, stale.probabilities(XS));
            double[] loss2 = h2.step(XS, YS, p1Updated);

            List<TrainingProgress> end = new OnlineTraining(m, TrainListener.NONE).train("dml",
                    List.of(new Peers.Learner("peer1", n1, data, 5), new Peers.Learner("peer2", n2, data, 5)),
                    sgd(1, 4), Peers.Coupling.mutual(true), data.head(0), 7);

            EpochSummary s1 = end.get(0).history().get(0);
            EpochSummary s2 = end.get(1).history().get(0);
            assertEquals(loss1[0], s1.trainTerms().get("ce"), 1e-5);
            assertEquals(loss1[1], s1.trainTerms().get(PeerLoss.TERM), 1e-5);
            assertEquals(loss1[0] + loss1[1], s1.trainLoss(), 1e-5);
            assertEquals(loss2[0], s2.trainTerms().get("ce"), 1e-5);
            assertEquals(loss2[1], s2.trainTerms().get(PeerLoss.TERM), 1e-5);
            assertEquals(loss2[0] + loss2[1], s2.trainLoss(), 1e-5);
            h1.assertClose(Mlp.of(n1));
            h2.assertClose(Mlp.of(n2));
            // the test can tell recomputing from not: peer2's update differs if it saw peer1 before its step
            assertTrue(Math.abs(h2Alt.b2[0] - h2.b2[0]) + Math.abs(h2Alt.w2[1][0] - h2.w2[1][0]) > 1e-4,
                    "recomputed targets change peer2's step");
        }
    }

    static Dataset randomData(int n, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n * IN];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(C);
            for (int j = 0; j < IN; j++) {
                f[i * IN + j] = (float) r.nextGaussian() + (j == y[i] ? 1.5f : 0);
            }
        }
        return Dataset.of("random", f, y, new long[] {IN}, C);
    }

    /**
     * Codistillation's stale copies: separate networks, taken from the live peers when the
     * burn-in (3 steps) ends and refreshed every 5 steps from then on (steps 3, 8, 13), equal to
     * the live peers right after a refresh and unchanged until the next one, while the live peers
     * move on; the target they give (their prediction on a probe set) changes only at a refresh.
     */
    @Test
    void staleCopiesChangeOnlyAtARefresh() throws Exception {
        Dataset data = randomData(64, 1);
        Dataset probe = randomData(10, 2);
        try (NDManager m = NDManager.newBaseManager();
                Network n1 = peer(m, 21, data);
                Network n2 = peer(m, 22, data)) {
            List<String> previousStale = new ArrayList<>();
            List<float[]> previousTarget = new ArrayList<>();
            List<Long> refreshes = new ArrayList<>();
            OnlineTraining online = new OnlineTraining(m, TrainListener.NONE).observe((step, peers, stale) -> {
                assertEquals(2, stale.size());
                List<String> staleNow = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    assertNotSame(peers.get(i), stale.get(i), "a copy, not the live network");
                    staleNow.add(stale.get(i).weightsDigest());
                }
                float[] target = Predictions.of(stale.get(1), probe, m).logits();
                if (step >= 3 && (step - 3) % 5 == 0) {
                    refreshes.add(step);
                    for (int i = 0; i < 2; i++) {
                        assertEquals(peers.get(i).weightsDigest(), staleNow.get(i), "refreshed at step " + step);
                    }
                    if (step > 0) { // the first one replaces the untrained copies made at the start
                        assertNotEquals(previousStale, staleNow, "the refresh at " + step + " changed the copies");
                        assertTrue(!java.util.Arrays.equals(previousTarget.get(0), target), "and the target");
                    }
                } else if (step > 0) {
                    assertEquals(previousStale, staleNow, "no refresh at step " + step);
                    assertArrayEquals(previousTarget.get(0), target, 0f, "target unchanged at step " + step);
                    for (int i = 0; i < 2; i++) {
                        assertNotEquals(peers.get(i).weightsDigest(), staleNow.get(i), "the live peer moved on");
                    }
                }
                previousStale.clear();
                previousStale.addAll(staleNow);
                previousTarget.clear();
                previousTarget.add(target);
            });
            online.train("codistillation", List.of(new Peers.Learner("peer1", n1, data, 3),
                    new Peers.Learner("peer2", n2, data, 4)), sgd(2, 8), Peers.Coupling.codistillation(1, 5, 3),
                    data.head(0), 9);
            assertEquals(List.of(3L, 8L, 13L), refreshes, "16 steps, burn-in 3, refreshed every 5");
        }
    }

    /**
     * During the burn-in the distillation term is 0 and the peers learn exactly as alone: after a
     * burn-in of one epoch their weights equal those of peers trained alone; then it is on.
     */
    @Test
    void burnInLeavesThePeersAlone() throws Exception {
        Dataset data = randomData(64, 3);
        List<String> codistilled = new ArrayList<>();
        List<String> alone = new ArrayList<>();
        List<List<EpochSummary>> histories = new ArrayList<>();
        for (boolean distil : new boolean[] {true, false}) {
            List<String> digests = distil ? codistilled : alone;
            try (NDManager m = NDManager.newBaseManager();
                    Network n1 = peer(m, 31, data);
                    Network n2 = peer(m, 32, data)) {
                OnlineTraining.Saver afterEpoch1 = (peers, progress) -> {
                    if (progress.get(0).epoch() == 1) {
                        peers.forEach(p -> digests.add(p.weightsDigest()));
                    }
                };
                List<TrainingProgress> end = new OnlineTraining(m, TrainListener.NONE).train("p",
                        List.of(new Peers.Learner("peer1", n1, data, 3), new Peers.Learner("peer2", n2, data, 4)),
                        sgd(2, 16), distil ? Peers.Coupling.codistillation(1, 2, 4) : Peers.Coupling.alone(),
                        data.head(0), 9, afterEpoch1);
                if (distil) {
                    end.forEach(p -> histories.add(p.history()));
                }
            }
        }
        assertEquals(alone, codistilled, "4 steps of burn-in = epoch 1: the same weights as alone");
        for (List<EpochSummary> h : histories) {
            assertEquals(0.0, h.get(0).trainTerms().get(PeerLoss.TERM), 0.0, "off during the burn-in");
            assertTrue(h.get(1).trainTerms().get(PeerLoss.TERM) > 0, "on after it");
        }
    }

    /**
     * Serving targets has no side effect on the serving peer: with the distillation weight at 0,
     * dml peers (batch norm, targets in training mode, run again at every turn) end exactly as
     * the same peers trained alone.
     */
    @Test
    void servingTargetsLeavesThePeersAsIfAlone() throws Exception {
        Random r = new Random(5);
        float[] f = new float[32 * 64];
        int[] y = new int[32];
        for (int i = 0; i < 32; i++) {
            y[i] = r.nextInt(C);
            for (int j = 0; j < 64; j++) {
                f[i * 64 + j] = (float) r.nextGaussian();
            }
        }
        Dataset images = Dataset.of("images", f, y, new long[] {1, 8, 8}, C);
        var cnn = new org.distill4j.model.CnnSpec(List.of(2), 4, true, null);
        List<List<String>> digests = new ArrayList<>();
        for (Peers.Coupling coupling : List.of(new Peers.Coupling(Peers.Coupling.Kind.MUTUAL, 0, true, 1, 0),
                Peers.Coupling.alone())) {
            try (NDManager m = NDManager.newBaseManager()) {
                List<Peers.Learner> learners = new ArrayList<>();
                for (int i = 1; i <= 2; i++) {
                    Seeds.apply(40 + i);
                    learners.add(new Peers.Learner("peer" + i, Network.create(cnn, images.sampleShape(), C, m), images, 6));
                }
                new OnlineTraining(m, TrainListener.NONE).train("p", learners, sgd(2, 8), coupling, images.head(0), 3);
                digests.add(learners.stream().map(l -> l.net().weightsDigest()).toList());
            }
        }
        assertEquals(digests.get(1), digests.get(0));
    }

    @Test
    void disjointShardsDoNotOverlapAndCoverTheSet() {
        Dataset data = randomData(101, 4);
        for (int k : new int[] {2, 3}) {
            List<Dataset> shards = Peers.shards(data, k, 77);
            assertEquals(k, shards.size());
            Set<Integer> seen = new HashSet<>();
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (Dataset s : shards) {
                for (int id : s.ids()) {
                    assertTrue(seen.add(id), "sample " + id + " is in two shards");
                }
                min = Math.min(min, s.size());
                max = Math.max(max, s.size());
            }
            assertEquals(data.size(), seen.size(), "the shards cover the set");
            assertTrue(max - min <= 1, "sizes differ by at most one");
            // a shard keeps each sample's features and label
            Dataset first = shards.get(0);
            float[] a = new float[IN];
            float[] b = new float[IN];
            first.copyFeatures(0, a, 0);
            data.copyFeatures(first.id(0), b, 0);
            assertArrayEquals(b, a);
            assertEquals(data.label(first.id(0)), first.label(0));
        }
        assertEquals(java.util.Arrays.toString(Peers.shards(data, 2, 77).get(0).ids()),
                java.util.Arrays.toString(Peers.shards(data, 2, 77).get(0).ids()), "the seed decides");
        assertNotEquals(java.util.Arrays.toString(Peers.shards(data, 2, 77).get(0).ids()),
                java.util.Arrays.toString(Peers.shards(data, 2, 78).get(0).ids()));
        assertThrows(IllegalArgumentException.class, () -> Peers.shards(data, 0, 1));
    }

    @Test
    void mutualLearningNeedsTwoPeers() throws Exception {
        Dataset data = tinyData();
        try (NDManager m = NDManager.newBaseManager(); Network n1 = peer(m, 1, data)) {
            assertThrows(IllegalArgumentException.class, () -> new OnlineTraining(m, TrainListener.NONE).train("dml",
                    List.of(new Peers.Learner("peer1", n1, data, 5)), sgd(1, 4), Peers.Coupling.mutual(true),
                    data.head(0), 7));
        }
    }
}

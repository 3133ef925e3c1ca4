package org.distill4j.metric;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.model.MultiExitSpec;
import org.distill4j.model.Network;
import org.distill4j.model.ResNetSpec;
import org.distill4j.testing.Slice;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

class EarlyExitTest {
    static final float LN9 = (float) Math.log(9);
    static final float LN3 = (float) Math.log(3);
    static final float LN4 = (float) Math.log(4);
    static final float LN19 = (float) Math.log(19);
    static final float LN15 = (float) Math.log(1.5);
    // 4 samples × 2 classes per exit; the top probability of each row is noted beside it.
    static final List<Predictions> EXITS = List.of(
            new Predictions(new float[] {LN9, 0, /* .9 → 0 */ 0, 0, /* .5 → 0 */ 0, LN3, /* .75 → 1 */ LN4, 0 /* .8 → 0 */}, 2),
            new Predictions(new float[] {0, 0, /* .5 */ LN3, 0, /* .75 → 0 */ LN19, 0, /* .95 → 0 */ 0, LN15 /* .6 → 1 */}, 2),
            new Predictions(new float[] {0, 1, /* → 1 */ 0, 2, /* → 1 */ 1, 0, /* → 0 */ 0, 1 /* → 1 */}, 2));
    static final int[] LABELS = {0, 1, 0, 1};

    @Test
    void thresholdZeroTakesTheFirstExitAndAboveOneTheLast() {
        EarlyExit.Result first = EarlyExit.of(EXITS, LABELS, 0);
        assertArrayEquals(new int[] {4, 0, 0}, first.exitCounts());
        assertEquals(1.0, first.meanExitDepth());
        assertEquals(0.25, first.accuracy()); // exit 1 predicts 0, 0, 1, 0
        EarlyExit.Result last = EarlyExit.of(EXITS, LABELS, 1.01);
        assertArrayEquals(new int[] {0, 0, 4}, last.exitCounts());
        assertEquals(3.0, last.meanExitDepth());
        assertEquals(0.75, last.accuracy()); // exit 3 predicts 1, 1, 0, 1
    }

    @Test
    void inBetweenEachSampleLeavesAtItsFirstConfidentExit() {
        // 0.7: exits 1, 2, 1, 1 → predictions 0, 0, 1, 0
        assertArrayEquals(new int[] {0, 1, 0, 0}, EarlyExit.exitTaken(EXITS, 0.7));
        EarlyExit.Result r = EarlyExit.of(EXITS, LABELS, 0.7);
        assertArrayEquals(new int[] {3, 1, 0}, r.exitCounts());
        assertEquals(1.25, r.meanExitDepth(), 1e-12);
        assertEquals(0.25, r.accuracy(), 1e-12);
        // 0.85: exits 1, 3, 2, 3 → predictions 0, 1, 0, 1
        assertArrayEquals(new int[] {0, 2, 1, 2}, EarlyExit.exitTaken(EXITS, 0.85));
        EarlyExit.Result s = EarlyExit.of(EXITS, LABELS, 0.85);
        assertArrayEquals(new int[] {1, 1, 2}, s.exitCounts());
        assertEquals(2.25, s.meanExitDepth(), 1e-12);
        assertEquals(1.0, s.accuracy(), 1e-12);
    }

    /** On a real multi-exit network, inference that stops at the first confident exit answers as chosen. */
    @Test
    void stoppingInferenceAgreesWithTheChoiceFromAllExits() throws Exception {
        Dataset test = FashionMnist.load(Slice.dir()).test().head(40);
        MultiExitSpec spec = new MultiExitSpec(new ResNetSpec(8, 1));
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(2);
            try (Network net = Network.create(spec, test.sampleShape(), 10, m)) {
                List<Predictions> per = EarlyExit.perExit(net, spec.exitTaps(), test, m);
                assertEquals(Metrics.accuracy(per.get(0), test.labels()),
                        EarlyExit.of(per, test.labels(), 0).accuracy());
                assertEquals(Metrics.accuracy(per.get(2), test.labels()),
                        EarlyExit.of(per, test.labels(), 1.5).accuracy());
                // a threshold that splits this untrained network's samples between exits
                double[] top = new double[test.size()];
                for (int i = 0; i < top.length; i++) {
                    top[i] = java.util.Arrays.stream(per.get(0).probabilities(i)).max().orElseThrow();
                }
                double threshold = java.util.Arrays.stream(top).sorted().toArray()[test.size() / 2] - 1e-4;
                int[] taken = EarlyExit.exitTaken(per, threshold);
                BatchLoader ones = new BatchLoader(test, 1, false, 0, false);
                int[][] plan = ones.plan(0);
                for (int i = 0; i < test.size(); i++) {
                    try (NDManager scope = m.newSubManager()) {
                        Batch b = ones.load(scope, plan[i]);
                        assertEquals(per.get(taken[i]).argMax(i), EarlyExit.answer(net, spec.exitTaps(), b.input(),
                                threshold), "sample " + i);
                    }
                }
                EarlyExit.Result r = EarlyExit.evaluate(net, spec.exitTaps(), per, test, threshold, 10, m);
                assertTrue(r.msPerSample() > 0 && r.meanExitDepth() > 1 && r.meanExitDepth() < 3, r.toString());
                assertTrue(EarlyExit.millisPerSample(net, "exit1", m, 1, 5) > 0);
            }
        }
    }
}

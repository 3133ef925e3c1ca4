package org.distill4j.loss.self;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class SelfAttentionLossTest {
    static final int B = 2;
    // stage1: (B, 2, 4, 4); stage2: (B, 3, 2, 2); logits (B, 3); labels [0, 2]
    static final double[] S1 = new double[B * 2 * 4 * 4];
    static final double[] S2 = new double[B * 3 * 2 * 2];
    static final double[] Z = {0.5, -1.0, 2.0, 1.0, 0.0, -0.5};
    static final int[] LABELS = {0, 2};
    static final double WEIGHT = 2.0;

    static {
        for (int i = 0; i < S1.length; i++) {
            S1[i] = Math.sin(1.3 * i + 0.2) * (1 + (i % 5) * 0.3);
        }
        for (int i = 0; i < S2.length; i++) {
            S2[i] = Math.cos(0.7 * i - 0.4) * (1 + (i % 3) * 0.5);
        }
    }

    static Outputs outputs(NDManager m, NDArray s1, NDArray s2) {
        Map<String, NDArray> taps = new LinkedHashMap<>();
        taps.put("stage1", s1);
        taps.put("stage2", s2);
        taps.put("logits", m.create(Z, new Shape(B, 3)));
        return new Outputs(taps);
    }

    static SelfAttentionLoss bound(int warmup, NDManager m) {
        SelfAttentionLoss loss = new SelfAttentionLoss(null, WEIGHT, warmup);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("stem", new Shape(2, 4, 4));
        shapes.put("stage1", new Shape(2, 4, 4));
        shapes.put("stage2", new Shape(3, 2, 2));
        shapes.put("logits", new Shape(3));
        try (Adapters a = new Adapters(m)) {
            loss.bind(new Binding(new TapShapes("student", shapes), null, 10, 10, a));
        }
        return loss;
    }

    // ---- hand computation ----

    /** mean over channels of the squares, (c, h, w) of sample b, average-pooled by `factor`, L2-normalised. */
    static double[] attention(double[] map, int b, int c, int h, int w, int factor) {
        int oh = h / factor;
        int ow = w / factor;
        double[] q = new double[oh * ow];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double energy = 0;
                for (int k = 0; k < c; k++) {
                    double v = map[((b * c + k) * h + y) * w + x];
                    energy += v * v / c;
                }
                q[(y / factor) * ow + x / factor] += energy / (factor * factor);
            }
        }
        double norm = 0;
        for (double v : q) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < q.length; i++) {
            q[i] /= norm;
        }
        return q;
    }

    static double handSad() {
        double s = 0;
        for (int b = 0; b < B; b++) {
            double[] q1 = attention(S1, b, 2, 4, 4, 2);
            double[] q2 = attention(S2, b, 3, 2, 2, 1);
            for (int i = 0; i < 4; i++) {
                s += (q1[i] - q2[i]) * (q1[i] - q2[i]);
            }
        }
        return WEIGHT * s / (B * 4);
    }

    static double handCe() {
        double s = 0;
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                sum += Math.exp(Z[b * 3 + c]);
            }
            s -= Z[b * 3 + LABELS[b]] - Math.log(sum);
        }
        return s / B;
    }

    @Test
    void valueMatchesAHandComputationAndIsZeroBeforeTheWarmUp() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, LABELS);
            SelfAttentionLoss loss = bound(1, m);
            assertEquals(List.of("stage1", "stage2"), loss.taps(), "stem is not a stage");
            Outputs out = outputs(m, m.create(S1, new Shape(B, 2, 4, 4)), m.create(S2, new Shape(B, 3, 2, 2)));
            loss.startEpoch(0, 3);
            LossValue off = new WeightedSum(1, loss).compute(out, Knowledge.NONE, batch);
            assertEquals(0.0, off.terms().get("sad").getDouble());
            assertEquals(handCe(), off.total().getDouble(), 1e-12);
            loss.startEpoch(1, 3);
            LossValue on = new WeightedSum(1, loss).compute(out, Knowledge.NONE, batch);
            double sad = handSad();
            assertTrue(sad > 1e-3, "the case is not trivial: " + sad);
            assertEquals(sad, on.terms().get("sad").getDouble(), 1e-12);
            assertEquals(handCe(), on.terms().get("ce").getDouble(), 1e-12);
            assertEquals(handCe() + sad, on.total().getDouble(), 1e-12);
        }
    }

    @Test
    void gradientOfTheShallowerMapMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, LABELS);
            SelfAttentionLoss loss = bound(0, m);
            loss.startEpoch(0, 1);
            GradientCheck.assertGradient(s1 -> new WeightedSum(1, loss).compute(outputs(m, s1, m.create(S2, new Shape(B, 3, 2, 2))),
                    Knowledge.NONE, batch).total(), S1, new Shape(B, 2, 4, 4));
        }
    }

    /** The deeper map is the target: no gradient reaches it through the sad term. */
    @Test
    void theDeeperMapIsADetachedTarget() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, LABELS);
            SelfAttentionLoss loss = bound(0, m);
            loss.startEpoch(0, 1);
            NDArray s1 = m.create(S1, new Shape(B, 2, 4, 4));
            NDArray s2 = m.create(S2, new Shape(B, 3, 2, 2));
            s1.setRequiresGradient(true);
            s2.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(new WeightedSum(1, loss).compute(outputs(m, s1, s2), Knowledge.NONE, batch).total());
            }
            for (double g : s2.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
                assertEquals(0.0, g);
            }
            assertTrue(s1.getGradient().abs().sum().getDouble() > 0, "the shallower map learns");
        }
    }

    @Test
    void tapsMustShrinkWithDepth() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("stage1", new Shape(2, 4, 4));
        shapes.put("stage2", new Shape(3, 2, 2));
        shapes.put("logits", new Shape(3));
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException e = assertThrows(TapException.class, () -> new SelfAttentionLoss(List.of("stage2", "stage1"),
                    1, 0).bind(new Binding(new TapShapes("student", shapes), null, 10, 10, a)));
            assertTrue(e.getMessage().contains("stage2") && e.getMessage().contains("stage1")
                    && e.getMessage().contains("(3, 2, 2)"), e.getMessage());
            shapes.remove("stage2");
            assertThrows(TapException.class, () -> new SelfAttentionLoss(null, 1, 0)
                    .bind(new Binding(new TapShapes("student", shapes), null, 10, 10, a)));
        }
    }
}

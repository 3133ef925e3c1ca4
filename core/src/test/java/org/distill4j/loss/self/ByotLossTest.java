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

class ByotLossTest {
    // Three exits (B=2, C=3 classes, features of size 2); labels [1, 2].
    static final double[][] Z = {
        {1.0, 2.0, 0.5, 0.2, -1.0, 3.0}, // exit1
        {0.3, 0.1, -0.4, 1.5, 0.0, 0.7}, // exit2
        {2.0, 1.0, 0.0, 0.0, 0.5, 2.5}, // deepest (logits)
    };
    static final double[][] F = {
        {0.5, -1.0, 2.0, 0.0},
        {1.0, 1.0, -0.5, 0.25},
        {0.0, 0.5, 1.5, -1.0},
    };
    static final int[] LABELS = {1, 2};
    static final int B = 2;
    static final int C = 3;
    static final double ALPHA = 0.25; // exact in float, as T and λ: the loss scales by float constants
    static final double T = 2.0;
    static final double LAMBDA = 0.5;
    static final List<String> EXITS = List.of("exit1", "exit2", "logits");
    static final List<String> FEATURES = List.of("exit1.features", "exit2.features", "pool");

    static Outputs outputs(NDManager m, NDArray exit1) {
        Map<String, NDArray> taps = new LinkedHashMap<>();
        taps.put("exit1", exit1);
        taps.put("exit1.features", m.create(F[0], new Shape(B, 2)));
        taps.put("exit2", m.create(Z[1], new Shape(B, C)));
        taps.put("exit2.features", m.create(F[1], new Shape(B, 2)));
        taps.put("pool", m.create(F[2], new Shape(B, 2)));
        taps.put("logits", m.create(Z[2], new Shape(B, C)));
        return new Outputs(taps);
    }

    static ByotLoss loss() {
        return new ByotLoss(EXITS, FEATURES, ALPHA, T, LAMBDA);
    }

    // ---- the hand computation, plain doubles ----

    static double[] softmax(double[] z, int row, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < C; c++) {
            max = Math.max(max, z[row * C + c] / t);
        }
        double[] p = new double[C];
        double sum = 0;
        for (int c = 0; c < C; c++) {
            p[c] = Math.exp(z[row * C + c] / t - max);
            sum += p[c];
        }
        for (int c = 0; c < C; c++) {
            p[c] /= sum;
        }
        return p;
    }

    static double ce(double[] z) {
        double s = 0;
        for (int b = 0; b < B; b++) {
            s -= Math.log(softmax(z, b, 1)[LABELS[b]]);
        }
        return s / B;
    }

    /** KL(p_deepest ‖ p_exit) at T, summed over classes, mean over the batch. */
    static double kl(double[] deepest, double[] exit) {
        double s = 0;
        for (int b = 0; b < B; b++) {
            double[] p = softmax(deepest, b, T);
            double[] q = softmax(exit, b, T);
            for (int c = 0; c < C; c++) {
                s += p[c] * Math.log(p[c] / q[c]);
            }
        }
        return s / B;
    }

    static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }

    @Test
    void everyExitsTermsMatchAHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, LABELS);
            LossValue v = loss().compute(outputs(m, m.create(Z[0], new Shape(B, C))), Knowledge.NONE, batch);
            double total = 0;
            for (int i = 0; i < 2; i++) {
                String exit = "exit" + (i + 1);
                double ce = (1 - ALPHA) * ce(Z[i]);
                double kd = ALPHA * T * T * kl(Z[2], Z[i]);
                double feature = LAMBDA * squaredDistance(F[i], F[2]);
                assertEquals(ce, v.terms().get(exit + ".ce").getDouble(), 1e-12, exit + ".ce");
                assertEquals(kd, v.terms().get(exit + ".kd").getDouble(), 1e-12, exit + ".kd");
                assertEquals(feature, v.terms().get(exit + ".feature").getDouble(), 1e-12, exit + ".feature");
                total += ce + kd + feature;
            }
            double deepestCe = (1 - ALPHA) * ce(Z[2]);
            assertEquals(deepestCe, v.terms().get("exit3.ce").getDouble(), 1e-12);
            total += deepestCe;
            assertEquals(total, v.total().getDouble(), 1e-12);
            assertEquals(List.of("exit1.ce", "exit1.kd", "exit1.feature", "exit2.ce", "exit2.kd", "exit2.feature",
                    "exit3.ce"), List.copyOf(v.terms().keySet()));
            assertTrue(kl(Z[2], Z[0]) > 0.01, "the case is not trivial");
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, LABELS);
            GradientCheck.assertGradient(z1 -> loss().compute(outputs(m, z1), Knowledge.NONE, batch).total(), Z[0],
                    new Shape(B, C));
        }
    }

    /** The deepest exit is a detached target: its logits get only their own CE gradient, its features none. */
    @Test
    void deepestTargetsAreDetached() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch batch = Batches.withLabels(m, LABELS);
            Outputs out = outputs(m, m.create(Z[0], new Shape(B, C)));
            NDArray zc = out.get("logits");
            NDArray fc = out.get("pool");
            zc.setRequiresGradient(true);
            fc.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss().compute(out, Knowledge.NONE, batch).total());
            }
            double[] g = zc.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            for (int b = 0; b < B; b++) {
                double[] p = softmax(Z[2], b, 1);
                for (int c = 0; c < C; c++) {
                    double own = (1 - ALPHA) * (p[c] - (c == LABELS[b] ? 1 : 0)) / B;
                    assertEquals(own, g[b * C + c], 1e-12, "d/dz_C[" + b + "," + c + "]");
                }
            }
            for (double x : fc.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
                assertEquals(0.0, x);
            }
        }
    }

    @Test
    void bindRejectsFeaturesOfAnotherSize() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("exit1", new Shape(3));
        shapes.put("exit1.features", new Shape(4));
        shapes.put("exit2", new Shape(3));
        shapes.put("exit2.features", new Shape(2));
        shapes.put("pool", new Shape(2));
        shapes.put("logits", new Shape(3));
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException e = assertThrows(TapException.class, () -> loss().bind(
                    new Binding(new TapShapes("student", shapes), null, 10, 10, a)));
            assertTrue(e.getMessage().contains("exit1.features") && e.getMessage().contains("pool")
                    && e.getMessage().contains("(4)") && e.getMessage().contains("(2)"), e.getMessage());
            shapes.put("exit1.features", new Shape(2));
            loss().bind(new Binding(new TapShapes("student", shapes), null, 10, 10, a));
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new ByotLoss(EXITS, FEATURES, 1.5, T, LAMBDA));
        assertThrows(IllegalArgumentException.class, () -> new ByotLoss(EXITS, FEATURES, ALPHA, 0, LAMBDA));
        assertThrows(IllegalArgumentException.class, () -> new ByotLoss(List.of("logits"), List.of("pool"), 0.1, 3, 0));
    }
}

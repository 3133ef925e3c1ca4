package org.distill4j.loss.feature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Set;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class AttentionLossTest {
    // Two pairs, B=2: student a (2, 4, 4) ↔ teacher x (3, 2, 2) (a is pooled to 2×2),
    // student b (2, 2, 2) ↔ teacher y (4, 2, 2).
    static final double[] A = Fixtures.values(21, 2 * 2 * 16, 0.3);
    static final double[] B = Fixtures.values(22, 2 * 2 * 4, -0.1);
    static final double[] X = Fixtures.values(23, 2 * 3 * 4, 0.2);
    static final double[] Y = Fixtures.values(24, 2 * 4 * 4, 0);
    static final double[] LOGITS = Fixtures.values(25, 20, 0);
    static final int[] LABELS = {3, 8};

    static Outputs student(NDManager m, NDArray a) {
        return Fixtures.outputs(m.create(LOGITS, new Shape(2, 10)), "a", a, "b", m.create(B, new Shape(2, 2, 2, 2)));
    }

    static Knowledge teacher(NDManager m) {
        return new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10), DataType.FLOAT64), "x",
                m.create(X, new Shape(2, 3, 2, 2)), "y", m.create(Y, new Shape(2, 4, 2, 2))));
    }

    /** Per sample: mean over channels of squares, L2-normalised, for maps stored (n, c, p). */
    static double[][] attention(double[] map, int n, int c, int positions) {
        double[][] q = new double[n][positions];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int p = 0; p < positions; p++) {
                for (int k = 0; k < c; k++) {
                    q[i][p] += Math.pow(map[(i * c + k) * positions + p], 2) / c;
                }
                norm += q[i][p] * q[i][p];
            }
            for (int p = 0; p < positions; p++) {
                q[i][p] /= Math.max(Math.sqrt(norm), 1e-12);
            }
        }
        return q;
    }

    static double meanSquaredDifference(double[][] s, double[][] t) {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < s.length; i++) {
            for (int p = 0; p < s[i].length; p++) {
                sum += Math.pow(s[i][p] - t[i][p], 2);
                count++;
            }
        }
        return sum / count;
    }

    @Test
    void valueMatchesHandComputation() {
        // a pooled by hand: 4×4 → 2×2, each output the mean of a 2×2 block
        double[] pooled = new double[2 * 2 * 4];
        for (int nc = 0; nc < 4; nc++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    double s = 0;
                    for (int di = 0; di < 2; di++) {
                        for (int dj = 0; dj < 2; dj++) {
                            s += A[nc * 16 + (2 * i + di) * 4 + 2 * j + dj];
                        }
                    }
                    pooled[nc * 4 + i * 2 + j] = s / 4;
                }
            }
        }
        double first = meanSquaredDifference(attention(pooled, 2, 2, 4), attention(X, 2, 3, 4));
        double second = meanSquaredDifference(attention(B, 2, 2, 4), attention(Y, 2, 4, 4));
        double expected = 1000 / 2.0 * (first + second);
        try (NDManager m = NDManager.newBaseManager()) {
            AttentionLoss loss = new AttentionLoss(List.of("a", "b"), List.of("x", "y"), true, 1000);
            Batch batch = Batches.withLabels(m, LABELS);
            LossValue v = new WeightedSum(0.5, loss).compute(student(m, m.create(A, new Shape(2, 2, 4, 4))), teacher(m), batch);
            assertEquals(expected, v.terms().get("at").getDouble(), 1e-12 * expected);
            double ce = 0.5 * Fixtures.crossEntropy(LOGITS, 10, LABELS);
            assertEquals(ce, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals(expected + ce, v.total().getDouble(), 1e-12 * expected);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            AttentionLoss loss = new AttentionLoss(List.of("a", "b"), List.of("x", "y"), true, 1000);
            Batch batch = Batches.withLabels(m, LABELS);
            GradientCheck.assertGradient(a -> new WeightedSum(1, loss).compute(student(m, a), teacher(m), batch).total(), A,
                    new Shape(2, 2, 4, 4));
        }
    }

    @Test
    void teacherReceivesNoGradientAndAZeroMapNoNaN() {
        try (NDManager m = NDManager.newBaseManager()) {
            AttentionLoss loss = new AttentionLoss(List.of("a", "b"), List.of("x", "y"), true, 1000);
            NDArray a = m.zeros(new Shape(2, 2, 4, 4), DataType.FLOAT64); // a dead layer: all zeros
            NDArray x = m.create(X, new Shape(2, 3, 2, 2));
            a.setRequiresGradient(true);
            x.setRequiresGradient(true);
            LossValue v;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                v = new WeightedSum(1, loss).compute(student(m, a), new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)), "x", x, "y",
                        m.create(Y, new Shape(2, 4, 2, 2)))), Batches.withLabels(m, LABELS));
                gc.backward(v.total());
            }
            assertTrue(Double.isFinite(v.total().getDouble()));
            for (double g : a.getGradient().toDoubleArray()) {
                assertTrue(Double.isFinite(g), "gradient at a zero map is finite");
            }
            for (double g : x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
                assertEquals(0.0, g);
            }
        }
    }

    @Test
    void adaptivePoolingUsesPyTorchWindows() {
        try (NDManager m = NDManager.newBaseManager()) {
            // adaptive_avg_pool 7 → 3 averages rows {0,1,2}, {2,3,4}, {4,5,6} (overlapping windows)
            double[] expected = {1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0, 0, 0, 0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0, 0, 0, 0, 0,
                1 / 3.0, 1 / 3.0, 1 / 3.0};
            assertArrayEquals(expected, AdaptivePool.windows(m, 3, 7).toDoubleArray(), 1e-15);
            double[] x = Fixtures.values(26, 7 * 5, 0);
            double[] y = AdaptivePool.to(m.create(x, new Shape(1, 1, 7, 5)), 3, 2).toDoubleArray();
            int[][] rows = {{0, 3}, {2, 5}, {4, 7}};
            int[][] cols = {{0, 3}, {2, 5}}; // 5 → 2: {0,1,2}, {2,3,4}
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 2; j++) {
                    double s = 0;
                    for (int r = rows[i][0]; r < rows[i][1]; r++) {
                        for (int c = cols[j][0]; c < cols[j][1]; c++) {
                            s += x[r * 5 + c];
                        }
                    }
                    assertEquals(s / 9, y[i * 2 + j], 1e-12);
                }
            }
        }
    }

    @Test
    void defaultPairsTheDeepestMapsOfBothNetworks() {
        TapShapes student = Fixtures.shapes("student", "conv1", new Shape(4, 14, 14), "conv2", new Shape(8, 7, 7),
                "fc", new Shape(16), "embedding", new Shape(16));
        TapShapes teacher = Fixtures.shapes("teacher", "stem", new Shape(16, 28, 28), "stage1", new Shape(16, 28, 28),
                "stage2", new Shape(32, 14, 14), "stage3", new Shape(64, 7, 7), "pool", new Shape(64));
        AttentionLoss loss = new AttentionLoss(null, null, true, 1000);
        IllegalStateException early = assertThrows(IllegalStateException.class, loss::teacherTaps);
        assertTrue(early.getMessage().contains("bind"), early.getMessage());
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Fixtures.bind(loss, student, teacher, a);
            assertTrue(a.isEmpty(), "attention transfer has no trainable extras");
        }
        assertEquals(List.of("conv1", "conv2"), loss.pairedStudentTaps());
        assertEquals(List.of("stage2", "stage3"), loss.pairedTeacherTaps());
        assertEquals(Set.of("stage2", "stage3"), loss.teacherTaps());
    }

    @Test
    void incompatibleTapsNameBothTaps() {
        TapShapes student = Fixtures.shapes("student", "a", new Shape(2, 4, 4), "fc", new Shape(8));
        TapShapes teacher = Fixtures.shapes("teacher", "x", new Shape(3, 2, 2));
        try (NDManager m = NDManager.newBaseManager(); Adapters ad = new Adapters(m)) {
            TapException size = assertThrows(TapException.class, () -> Fixtures.bind(
                    new AttentionLoss(List.of("a"), List.of("x"), false, 1000), student, teacher, ad));
            assertTrue(size.getMessage().contains("student tap 'a' (2, 4, 4)")
                    && size.getMessage().contains("teacher tap 'x' (3, 2, 2)") && size.getMessage().contains("pool"),
                    size.getMessage());
            // with pooling the same pair is accepted
            Fixtures.bind(new AttentionLoss(List.of("a"), List.of("x"), true, 1000), student, teacher, ad);

            TapException vector = assertThrows(TapException.class, () -> Fixtures.bind(
                    new AttentionLoss(List.of("fc"), List.of("x"), true, 1000), student, teacher, ad));
            assertTrue(vector.getMessage().contains("student tap 'fc' (8)") && vector.getMessage().contains("not a feature map"),
                    vector.getMessage());

            TapException missing = assertThrows(TapException.class, () -> Fixtures.bind(
                    new AttentionLoss(List.of("a"), List.of("stage9"), true, 1000), student, teacher, ad));
            assertTrue(missing.getMessage().contains("'stage9'") && missing.getMessage().contains("[x, logits]"),
                    missing.getMessage());

            TapException none = assertThrows(TapException.class, () -> Fixtures.bind(
                    new AttentionLoss(null, null, true, 1000), Fixtures.shapes("student", "fc1", new Shape(8)),
                    teacher, ad));
            assertTrue(none.getMessage().contains("student's feature-map taps: none")
                    && none.getMessage().contains("x (3, 2, 2)"), none.getMessage());
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new AttentionLoss(List.of("a"), null, true, 1000));
        assertThrows(IllegalArgumentException.class, () -> new AttentionLoss(List.of("a"), List.of("x", "y"), true, 1));
        assertThrows(IllegalArgumentException.class, () -> new AttentionLoss(null, null, true, -1));
    }
}

package org.distill4j.loss.feature;

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
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class FspLossTest {
    // B=2. Student s1 (2, 4, 4), s2 (3, 2, 2), s3 (1, 2, 2); teacher t1 (2, 2, 2), t2 (3, 2, 2),
    // t3 (1, 1, 1). Matrices: (s1 pooled to 2×2, s2), (s2, s3); (t1, t2), (t2 pooled to 1×1, t3).
    static final double[] S1 = Fixtures.values(31, 2 * 2 * 16, 0.4);
    static final double[] S2 = Fixtures.values(32, 2 * 3 * 4, 0.1);
    static final double[] S3 = Fixtures.values(33, 2 * 4, 0);
    static final double[] T1 = Fixtures.values(34, 2 * 2 * 4, 0.2);
    static final double[] T2 = Fixtures.values(35, 2 * 3 * 4, 0);
    static final double[] T3 = Fixtures.values(36, 2, 0.5);
    static final double[] LOGITS = Fixtures.values(37, 20, 0);
    static final int[] LABELS = {0, 9};

    static Outputs student(NDManager m, NDArray s1) {
        return Fixtures.outputs(m.create(LOGITS, new Shape(2, 10)), "s1", s1, "s2", m.create(S2, new Shape(2, 3, 2, 2)),
                "s3", m.create(S3, new Shape(2, 1, 2, 2)));
    }

    static Knowledge teacher(NDManager m, NDArray t1) {
        return new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)), "t1", t1, "t2",
                m.create(T2, new Shape(2, 3, 2, 2)), "t3", m.create(T3, new Shape(2, 1, 1, 1))));
    }

    static DistillationLoss loss(double ceWeight) {
        return new WeightedSum(ceWeight, new FspLoss(List.of("s1", "s2", "s3"), List.of("t1", "t2", "t3"), true, 2));
    }

    /** G[n][i][j] = Σ_p a[n,i,p]·b[n,j,p] / positions, for maps stored (n, c, p). */
    static double[][][] flow(double[] a, int ca, double[] b, int cb, int positions) {
        double[][][] g = new double[2][ca][cb];
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < ca; i++) {
                for (int j = 0; j < cb; j++) {
                    for (int p = 0; p < positions; p++) {
                        g[n][i][j] += a[(n * ca + i) * positions + p] * b[(n * cb + j) * positions + p] / positions;
                    }
                }
            }
        }
        return g;
    }

    static double distance(double[][][] s, double[][][] t) {
        double sum = 0;
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < s[n].length; i++) {
                for (int j = 0; j < s[n][i].length; j++) {
                    sum += Math.pow(s[n][i][j] - t[n][i][j], 2);
                }
            }
        }
        return sum / 2; // batch mean of the squared Frobenius norm
    }

    /** Mean over 2×2 blocks (4×4 → 2×2), or over everything (→ 1×1), for maps stored (n·c, p). */
    static double[] pool(double[] x, int maps, int side, int to) {
        int block = side / to;
        double[] out = new double[maps * to * to];
        for (int k = 0; k < maps; k++) {
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    out[k * to * to + (i / block) * to + j / block] += x[k * side * side + i * side + j] / (block * block);
                }
            }
        }
        return out;
    }

    @Test
    void valueMatchesHandComputation() {
        double expected = 2 * (distance(flow(pool(S1, 4, 4, 2), 2, S2, 3, 4), flow(T1, 2, T2, 3, 4))
                + distance(flow(S2, 3, S3, 1, 4), flow(pool(T2, 6, 2, 1), 3, T3, 1, 1)));
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = loss(0.25).compute(student(m, m.create(S1, new Shape(2, 2, 4, 4))),
                    teacher(m, m.create(T1, new Shape(2, 2, 2, 2))), Batches.withLabels(m, LABELS));
            assertEquals(expected, v.terms().get("fsp").getDouble(), 1e-12 * expected);
            double ce = 0.25 * Fixtures.crossEntropy(LOGITS, 10, LABELS);
            assertEquals(ce, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals(expected + ce, v.total().getDouble(), 1e-12 * expected);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            DistillationLoss loss = loss(1);
            NDArray t1 = m.create(T1, new Shape(2, 2, 2, 2));
            GradientCheck.assertGradient(s1 -> loss.compute(student(m, s1), teacher(m, t1), Batches.withLabels(m, LABELS))
                    .total(), S1, new Shape(2, 2, 4, 4));
        }
    }

    @Test
    void teacherReceivesNoGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s1 = m.create(S1, new Shape(2, 2, 4, 4));
            NDArray t1 = m.create(T1, new Shape(2, 2, 2, 2));
            s1.setRequiresGradient(true);
            t1.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(1).compute(student(m, s1), teacher(m, t1), Batches.withLabels(m, LABELS)).total());
            }
            assertTrue(s1.getGradient().abs().sum().getDouble() > 0);
            for (double g : t1.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
                assertEquals(0.0, g);
            }
        }
    }

    static final TapShapes STUDENT = Fixtures.shapes("student", "conv1", new Shape(8, 14, 14), "conv2",
            new Shape(16, 7, 7), "fc", new Shape(32));
    static final TapShapes TEACHER = Fixtures.shapes("teacher", "conv1", new Shape(16, 14, 14), "conv2",
            new Shape(32, 7, 7), "conv3", new Shape(16, 3, 3));

    @Test
    void channelMismatchNamesBothTapsAndWhatWouldFit() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException e = assertThrows(TapException.class, () -> Fixtures.bind(
                    new FspLoss(List.of("conv1", "conv2"), List.of("conv1", "conv2"), true, 1), STUDENT, TEACHER, a));
            assertTrue(e.getMessage().contains("student tap 'conv1' (8, 14, 14)")
                    && e.getMessage().contains("teacher tap 'conv1' (16, 14, 14)")
                    && e.getMessage().contains("channel counts")
                    && e.getMessage().contains("conv2↔conv1") && e.getMessage().contains("conv2↔conv3"), e.getMessage());
            // the default (two deepest maps each) fails the same way, naming the default taps
            TapException d = assertThrows(TapException.class, () -> Fixtures.bind(new FspLoss(null, null, true, 1),
                    STUDENT, TEACHER, a));
            assertTrue(d.getMessage().contains("student tap 'conv1' (8, 14, 14)")
                    && d.getMessage().contains("teacher tap 'conv2' (32, 7, 7)"), d.getMessage());
        }
    }

    @Test
    void spatialMismatchWithoutPoolingNamesBothTaps() {
        TapShapes student = Fixtures.shapes("student", "a", new Shape(2, 4, 4), "b", new Shape(3, 2, 2));
        TapShapes teacher = Fixtures.shapes("teacher", "x", new Shape(2, 2, 2), "y", new Shape(3, 2, 2));
        try (NDManager m = NDManager.newBaseManager(); Adapters ad = new Adapters(m)) {
            TapException e = assertThrows(TapException.class, () -> Fixtures.bind(
                    new FspLoss(List.of("a", "b"), List.of("x", "y"), false, 1), student, teacher, ad));
            assertTrue(e.getMessage().contains("student tap 'a' (2, 4, 4)") && e.getMessage().contains("student tap 'b' "
                    + "(3, 2, 2)") && e.getMessage().contains("pool"), e.getMessage());
            FspLoss pooled = new FspLoss(null, null, true, 1);
            Fixtures.bind(pooled, student, teacher, ad);
            assertEquals(Set.of("x", "y"), pooled.teacherTaps());
            assertTrue(ad.isEmpty());

            TapException few = assertThrows(TapException.class, () -> Fixtures.bind(new FspLoss(null, null, true, 1),
                    Fixtures.shapes("student", "a", new Shape(2, 4, 4)), teacher, ad));
            assertTrue(few.getMessage().contains("two feature-map taps") && few.getMessage().contains("a (2, 4, 4)"),
                    few.getMessage());
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new FspLoss(List.of("a"), List.of("x"), true, 1));
        assertThrows(IllegalArgumentException.class, () -> new FspLoss(List.of("a", "b"), null, true, 1));
        assertThrows(IllegalArgumentException.class, () -> new FspLoss(null, null, true, -2));
    }
}

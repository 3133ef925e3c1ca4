package org.distill4j.loss.relation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class IrgLossTest {
    static final int B = 3;
    // Student: conv1 (2, 2, 2) then embedding (4). Teacher: stage1 (4, 4, 4) then stage2 (2, 2, 2).
    static final Shape S1 = new Shape(2, 2, 2);
    static final Shape S2 = new Shape(4);
    static final Shape T1 = new Shape(4, 4, 4);
    static final Shape T2 = new Shape(2, 2, 2);
    static final double[] SA = values(1, B * 8);
    static final double[] SB = values(2, B * 4);
    static final double[] TA = values(3, B * 64);
    static final double[] TB = values(4, B * 8);
    static final double[] ZS = {1.0, 0.1, -0.3, 0.2, 0.4, 1.2, -0.5, 0.7, 0.0};
    static final double[] ZT = {2.0, -0.1, 0.3, 0.0, 0.9, 1.5, -1.0, 1.7, 0.2};
    static final int[] LABELS = {0, 2, 1};

    static double[] values(long seed, int n) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    static Shape batch(Shape perSample) {
        return new Shape(B).addAll(perSample);
    }

    // ---- the reference, by loops -------------------------------------------------------------

    /** Distances (squared or not) divided by their mean over i ≠ j. */
    static double[][] edges(double[][] f, boolean squared) {
        double[][] d = Reference.distances(f, squared);
        double sum = 0;
        for (double[] row : d) {
            for (double x : row) {
                sum += x;
            }
        }
        double mean = sum / (B * (B - 1));
        for (double[] row : d) {
            for (int j = 0; j < B; j++) {
                row[j] /= mean;
            }
        }
        return d;
    }

    /** Mean of each channel of a (C, H, W) sample. */
    static double[] globalAverage(double[] x, int c) {
        int hw = x.length / c;
        double[] out = new double[c];
        for (int k = 0; k < c; k++) {
            for (int p = 0; p < hw; p++) {
                out[k] += x[k * hw + p] / hw;
            }
        }
        return out;
    }

    /** Average over k×k blocks of a (C, H, W) sample. */
    static double[] pool(double[] x, int c, int h, int k) {
        int ho = h / k;
        double[] out = new double[c * ho * ho];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < ho; j++) {
                    double s = 0;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            s += x[ch * h * h + (i * k + a) * h + (j * k + b)];
                        }
                    }
                    out[ch * ho * ho + i * ho + j] = s / (k * k);
                }
            }
        }
        return out;
    }

    /** Mean of groups of g consecutive channels; each channel holds {@code per} values. */
    static double[] groupChannels(double[] x, int g, int per) {
        double[] out = new double[x.length / g];
        int channels = x.length / per;
        for (int ch = 0; ch < channels; ch++) {
            for (int p = 0; p < per; p++) {
                out[(ch / g) * per + p] += x[ch * per + p] / g;
            }
        }
        return out;
    }

    /** ‖a_i − b_i‖ (squared or not) divided by its mean over the batch. */
    static double[] transformation(double[][] a, double[][] b, boolean squared) {
        double[] d = new double[B];
        double sum = 0;
        for (int i = 0; i < B; i++) {
            double[] e = Reference.minus(a[i], b[i]);
            d[i] = squared ? Reference.dot(e, e) : Math.sqrt(Reference.dot(e, e));
            sum += d[i];
        }
        for (int i = 0; i < B; i++) {
            d[i] /= sum / B;
        }
        return d;
    }

    static double mse(double[][] a, double[][] b) {
        double s = 0;
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                s += Math.pow(a[i][j] - b[i][j], 2);
                n++;
            }
        }
        return s / n;
    }

    static double[] referenceTerms(double[] sa, double[] sb, boolean squared) {
        double[][] fsa = Reference.rows(sa, B);
        double[][] fsb = Reference.rows(sb, B);
        double[][] fta = Reference.rows(TA, B);
        double[][] ftb = Reference.rows(TB, B);
        double vertex = mse(Reference.rows(ZS, B), Reference.rows(ZT, B));
        double edge = (mse(edges(fsa, squared), edges(fta, squared)) + mse(edges(fsb, squared), edges(ftb, squared))) / 2;
        double[][] rsa = new double[B][];
        double[][] rsb = new double[B][];
        double[][] rta = new double[B][];
        for (int i = 0; i < B; i++) {
            rsa[i] = globalAverage(fsa[i], 2); // conv1 (2,2,2) meets a vector: global average → 2
            rsb[i] = groupChannels(fsb[i], 2, 1); // embedding 4 → 2
            rta[i] = groupChannels(pool(fta[i], 4, 4, 2), 2, 4); // stage1 (4,4,4) → (4,2,2) → (2,2,2)
        }
        double[][] ts = {transformation(rsa, rsb, squared)};
        double[][] tt = {transformation(rta, ftb, squared)};
        return new double[] {vertex, edge, mse(ts, tt)};
    }

    // ---- the loss ----------------------------------------------------------------------------

    static IrgLoss bound(NDManager m, Adapters a, boolean squared) {
        IrgLoss loss = new IrgLoss(List.of("conv1", "embedding"), List.of("stage1", "stage2"), "logits", 0.1, 5, 5,
                squared);
        loss.bind(Fixtures.binding(Fixtures.shapes("student", "conv1", S1, "embedding", S2),
                Fixtures.shapes("teacher", "stage1", T1, "stage2", T2), a));
        return loss;
    }

    static LossValue compute(NDManager m, DistillationLoss loss, NDArray sa, NDArray sb, NDArray ta, Batch b) {
        return loss.compute(Fixtures.outputs(m.create(ZS, new Shape(B, 3)), "conv1", sa, "embedding", sb),
                Fixtures.knowledge(m.create(ZT, new Shape(B, 3)), "stage1", ta, "stage2", m.create(TB, batch(T2))), b);
    }

    @Test
    void valueMatchesHandComputation() {
        for (boolean squared : new boolean[] {true, false}) {
            try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
                LossValue v = compute(m, new WeightedSum(1, bound(m, a, squared)), m.create(SA, batch(S1)),
                        m.create(SB, batch(S2)),
                        m.create(TA, batch(T1)), Batches.withLabels(m, LABELS));
                double[] ref = referenceTerms(SA, SB, squared);
                double ce = Reference.crossEntropy(Reference.rows(ZS, B), LABELS);
                for (double term : ref) {
                    assertTrue(term > 1e-3, "every term is exercised: " + term);
                }
                assertEquals(0.1 * ref[0], v.terms().get(IrgLoss.VERTEX).getDouble(), 1e-10);
                assertEquals(5 * ref[1], v.terms().get(IrgLoss.EDGE).getDouble(), 1e-10);
                assertEquals(5 * ref[2], v.terms().get(IrgLoss.TRANSFORM).getDouble(), 1e-10);
                assertEquals(ce + 0.1 * ref[0] + 5 * ref[1] + 5 * ref[2], v.total().getDouble(), 1e-10);
            }
        }
    }

    @Test
    void oneTapReadsItAndTheLogitsWithoutTransformation() {
        IrgLoss loss = new IrgLoss(List.of("embedding"), List.of("embedding"), "logits", 0.1, 5, 5, true);
        assertEquals(java.util.Set.of("embedding", "logits"), loss.teacherTaps());
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            loss.bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(4)),
                    Fixtures.shapes("teacher", "embedding", new Shape(8)), a));
            // one tap: no transformation term
            LossValue v = new WeightedSum(1, loss).compute(Fixtures.outputs(m.create(ZS, new Shape(B, 3)), "embedding",
                    m.create(SB, batch(S2))), Fixtures.knowledge(m.create(ZT, new Shape(B, 3)), "embedding",
                    m.create(TB, new Shape(B, 8))), Batches.withLabels(m, LABELS));
            assertEquals(java.util.Set.of("ce", IrgLoss.VERTEX, IrgLoss.EDGE), v.terms().keySet());
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesAtEachStudentTap() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            IrgLoss loss = bound(m, a, true);
            Batch b = Batches.withLabels(m, LABELS);
            Function<NDArray, NDArray> ofFirst = sa -> compute(m, new WeightedSum(1, loss), sa,
                    m.create(SB, batch(S2)), m.create(TA, batch(T1)), b).total();
            GradientCheck.assertGradient(ofFirst, SA, batch(S1));
            Function<NDArray, NDArray> ofSecond = sb -> compute(m, new WeightedSum(1, loss),
                    m.create(SA, batch(S1)), sb, m.create(TA, batch(T1)), b).total();
            GradientCheck.assertGradient(ofSecond, SB, batch(S2));
            IrgLoss unsquared = bound(m, a, false);
            GradientCheck.assertGradient(sb -> compute(m, new WeightedSum(1, unsquared), m.create(SA, batch(S1)), sb,
                    m.create(TA, batch(T1)), b).total(), SB, batch(S2));
        }
    }

    private static String bindError(IrgLoss loss, TapShapes student, TapShapes teacher) {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            return assertThrows(TapException.class, () -> loss.bind(Fixtures.binding(student, teacher, a))).getMessage();
        }
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    @Test
    void incompatibleTapsAreNamed() {
        TapShapes student = Fixtures.shapes("student", "conv1", S1, "embedding", S2, "odd", new Shape(3),
                "map5", new Shape(2, 5, 5), "map3", new Shape(2, 3, 3));
        TapShapes teacher = Fixtures.shapes("teacher", "stage1", T1, "stage2", T2, "embedding", new Shape(8));
        // lists of different lengths
        assertContains(bindError(new IrgLoss(List.of("conv1", "embedding"), List.of("stage2"), "logits", 0.1, 5, 5,
                true), student, teacher), "studentTaps [conv1, embedding]", "teacherTaps [stage2]", "same length");
        // a missing tap
        assertContains(bindError(new IrgLoss(List.of("conv9"), List.of("stage2"), "logits", 0.1, 5, 5, true),
                student, teacher), "student tap 'conv9' (missing", "teacher tap 'stage2' (shape (2, 2, 2))");
        // channel counts 3 and 4 do not divide: the transformation cannot compare them
        assertContains(bindError(new IrgLoss(List.of("odd", "embedding"), List.of("stage1", "stage2"), "logits", 0.1, 5,
                5, true), student, teacher), "student taps 'odd' (shape (3))", "'embedding' (shape (4))",
                "transformWeight: 0");
        // 5×5 does not pool to 3×3 with an integer kernel
        assertContains(bindError(new IrgLoss(List.of("map5", "map3"), List.of("stage1", "stage2"), "logits", 0.1, 5, 5,
                true), student, teacher), "'map5' (shape (2, 5, 5))", "'map3' (shape (2, 3, 3))");
        // ... unless the transformation term is off
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            new IrgLoss(List.of("map5", "map3"), List.of("stage1", "stage2"), "logits", 0.1, 5, 0, true)
                    .bind(Fixtures.binding(student, teacher, a));
        }
        // the vertex term compares values: sizes must agree
        assertContains(bindError(new IrgLoss(List.of("embedding"), List.of("embedding"), "embedding", 0.1, 5, 5,
                true), student, teacher), "student tap 'embedding' (shape (4))", "teacher tap 'embedding' (shape (8))",
                "vertexTap: logits");
    }

    @Test
    void teacherReceivesNoGradient() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            NDArray sa = m.create(SA, batch(S1));
            NDArray ta = m.create(TA, batch(T1));
            NDArray zt = m.create(ZT, new Shape(B, 3));
            sa.setRequiresGradient(true);
            ta.setRequiresGradient(true);
            zt.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                LossValue v = new WeightedSum(1, bound(m, a, true)).compute(
                        Fixtures.outputs(m.create(ZS, new Shape(B, 3)), "conv1", sa, "embedding", m.create(SB, batch(S2))),
                        Fixtures.knowledge(zt, "stage1", ta, "stage2", m.create(TB, batch(T2))),
                        Batches.withLabels(m, LABELS));
                gc.backward(v.total());
            }
            assertTrue(Fixtures.gradientMass(sa) > 0);
            assertEquals(0.0, Fixtures.gradientMass(ta));
            assertEquals(0.0, Fixtures.gradientMass(zt), "nor do its logits (vertex term)");
        }
    }
}

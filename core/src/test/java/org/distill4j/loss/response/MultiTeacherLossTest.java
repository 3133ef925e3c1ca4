package org.distill4j.loss.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.MultiTeacherLoss.Average;
import org.distill4j.loss.response.MultiTeacherLoss.Weighting;
import org.distill4j.method.MultiTeacher;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.distill4j.testing.HandMath;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

/** Multi-teacher targets, weights and hints against hand computations and finite differences. */
class MultiTeacherLossTest {
    // B = 2, C = 3; labels [1, 2]
    static final double[] ZS = {1.0, 2.0, 0.5, 0.2, -1.0, 3.0};
    static final double[] Z1 = {2.0, 1.0, 0.0, 0.0, 0.5, 2.5};
    static final double[] Z2 = {0.5, 2.5, -1.0, 1.0, -0.5, 0.8};
    static final Shape SHAPE = new Shape(2, 3);
    static final double T = 2;
    static final double ALPHA = 0.5; // α·T² = 2 and 1 − α are exact in float32, as the loss casts them

    // Computed by hand (python, math module only): α·T²·mean_i KL(q_i ‖ softmax(z_s,i / T)).
    static final double KD_EQUAL_PROBABILITIES = 0.14826966843881323;
    static final double KD_EQUAL_LOGITS = 0.142155412242166;
    /** τ = 0.5: weights (0.3290, 0.6710) for sample 1 and (0.6771, 0.3229) for sample 2. */
    static final double KD_CONFIDENCE = 0.11951165338248984;
    static final double CE = 0.2702599808789607;

    static Map<String, TapShapes> logitsOnly(int teachers) {
        Map<String, TapShapes> out = new LinkedHashMap<>();
        for (int k = 1; k <= teachers; k++) {
            out.put("teacher" + k, new TapShapes("teacher" + k, Map.of(Outputs.LOGITS, new Shape(3))));
        }
        return out;
    }

    static Knowledge knowledge(NDManager m, double[]... logits) {
        Map<String, Outputs> byTeacher = new LinkedHashMap<>();
        for (int k = 0; k < logits.length; k++) {
            byTeacher.put("teacher" + (k + 1), Outputs.ofLogits(m.create(logits[k], SHAPE)));
        }
        return new Knowledge(byTeacher);
    }

    static DistillationLoss bound(MultiTeacher method, int teachers, Adapters a) {
        DistillationLoss objective = method.objective();
        objective.bind(Binding.of(new TapShapes("student", Map.of(Outputs.LOGITS, new Shape(3))),
                logitsOnly(teachers), 10, 10, a));
        return objective;
    }

    /** The same target and KL in plain doubles: mixture of probabilities (or softmax of mixed logits). */
    static double kdByHand(double[][] w, boolean logits) {
        double[][] q = new double[2][];
        for (int i = 0; i < 2; i++) {
            double[] z1 = HandMath.row(Z1, i, 3);
            double[] z2 = HandMath.row(Z2, i, 3);
            q[i] = new double[3];
            if (logits) {
                double[] mixed = new double[3];
                for (int c = 0; c < 3; c++) {
                    mixed[c] = (w[0][i] * z1[c] + w[1][i] * z2[c]) / T;
                }
                q[i] = HandMath.softmax(mixed);
            } else {
                double[] p1 = HandMath.softmax(scale(z1));
                double[] p2 = HandMath.softmax(scale(z2));
                for (int c = 0; c < 3; c++) {
                    q[i][c] = w[0][i] * p1[c] + w[1][i] * p2[c];
                }
            }
        }
        double[][] ps = new double[2][];
        for (int i = 0; i < 2; i++) {
            ps[i] = HandMath.softmax(scale(HandMath.row(ZS, i, 3)));
        }
        return ALPHA * T * T * HandMath.kl(q, ps);
    }

    static double[] scale(double[] z) {
        double[] out = new double[z.length];
        for (int c = 0; c < z.length; c++) {
            out[c] = z[c] / T;
        }
        return out;
    }

    static double entropy(double[] z) {
        double h = 0;
        for (double p : HandMath.softmax(z)) {
            h -= p * Math.log(p);
        }
        return h;
    }

    static LossValue value(MultiTeacher method, NDManager m, Adapters a) {
        return bound(method, 2, a).compute(Outputs.ofLogits(m.create(ZS, SHAPE)), knowledge(m, Z1, Z2),
                Batches.withLabels(m, 1, 2));
    }

    @Test
    void valuesMatchHandComputations() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            double[][] equal = {{0.5, 0.5}, {0.5, 0.5}};
            LossValue v = value(new MultiTeacher(T, ALPHA, null, null, null, null, null), m, a);
            assertEquals(KD_EQUAL_PROBABILITIES, v.terms().get("kd").getDouble(), 1e-12);
            assertEquals(KD_EQUAL_PROBABILITIES, kdByHand(equal, false), 1e-12);
            assertEquals((1 - ALPHA) * CE, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals((1 - ALPHA) * CE + KD_EQUAL_PROBABILITIES, v.total().getDouble(), 1e-12);

            LossValue logits = value(new MultiTeacher(T, ALPHA, Average.LOGITS, null, null, null, null), m, a);
            assertEquals(KD_EQUAL_LOGITS, logits.terms().get("kd").getDouble(), 1e-12);
            assertEquals(KD_EQUAL_LOGITS, kdByHand(equal, true), 1e-12);

            // fixed [3, 1] → w = (0.75, 0.25) for every sample
            LossValue fixed = value(new MultiTeacher(T, ALPHA, null, Weighting.FIXED, List.of(3.0, 1.0), null, null), m,
                    a);
            assertEquals(kdByHand(new double[][] {{0.75, 0.75}, {0.25, 0.25}}, false),
                    fixed.terms().get("kd").getDouble(), 1e-12);
            LossValue fixedLogits = value(new MultiTeacher(T, ALPHA, Average.LOGITS, Weighting.FIXED, List.of(3.0, 1.0),
                    null, null), m, a);
            assertEquals(kdByHand(new double[][] {{0.75, 0.75}, {0.25, 0.25}}, true),
                    fixedLogits.terms().get("kd").getDouble(), 1e-12);

            // confidence, τ = 0.5: w_k,i = softmax_k(−H(softmax(z_k,i)) / τ)
            double[][] conf = new double[2][2];
            for (int i = 0; i < 2; i++) {
                double e1 = Math.exp(-entropy(HandMath.row(Z1, i, 3)) / 0.5);
                double e2 = Math.exp(-entropy(HandMath.row(Z2, i, 3)) / 0.5);
                conf[0][i] = e1 / (e1 + e2);
                conf[1][i] = e2 / (e1 + e2);
            }
            assertEquals(0.32902105158801553, conf[0][0], 1e-12);
            LossValue confidence = value(new MultiTeacher(T, ALPHA, null, Weighting.CONFIDENCE, null, 0.5, null), m, a);
            assertEquals(KD_CONFIDENCE, confidence.terms().get("kd").getDouble(), 1e-12);
            assertEquals(KD_CONFIDENCE, kdByHand(conf, false), 1e-12);
            NDArray w = MultiTeacherLoss.weights(List.of(m.create(Z1, SHAPE), m.create(Z2, SHAPE)),
                    Weighting.CONFIDENCE, null, 0.5);
            assertEquals(conf[1][1], w.getDouble(1, 1), 1e-12);
            // the more confident teacher gets more weight: sample 1's teacher 2 is surer than teacher 1
            assertTrue(entropy(HandMath.row(Z2, 0, 3)) < entropy(HandMath.row(Z1, 0, 3)) && conf[1][0] > 0.5);
        }
    }

    /** One teacher, any target: exactly Hinton KD; a huge τ makes confidence weights equal. */
    @Test
    void limitsReduceToKnownLosses() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Batch b = Batches.withLabels(m, 1, 2);
            for (Average average : Average.values()) {
                LossValue one = bound(new MultiTeacher(T, ALPHA, average, Weighting.CONFIDENCE, null, 0.3, null), 1, a)
                        .compute(Outputs.ofLogits(m.create(ZS, SHAPE)), knowledge(m, Z1), b);
                LossValue kd = new org.distill4j.method.HintonKd(T, ALPHA).objective().compute(
                        Outputs.ofLogits(m.create(ZS, SHAPE)), new Knowledge(Outputs.ofLogits(m.create(Z1, SHAPE))), b);
                assertEquals(kd.total().getDouble(), one.total().getDouble(), 1e-12, average.toString());
            }
            LossValue flat = value(new MultiTeacher(T, ALPHA, null, Weighting.CONFIDENCE, null, 1e6, null), m, a);
            assertEquals(KD_EQUAL_PROBABILITIES, flat.terms().get("kd").getDouble(), 1e-6);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, 1, 2);
            for (MultiTeacher method : List.of(new MultiTeacher(3.0, 0.7, null, null, null, null, null),
                    new MultiTeacher(3.0, 0.7, Average.LOGITS, Weighting.FIXED, List.of(1.0, 2.0), null, null),
                    new MultiTeacher(3.0, 0.7, null, Weighting.CONFIDENCE, null, 0.7, null))) {
                try (Adapters a = new Adapters(m)) {
                    DistillationLoss loss = bound(method, 2, a);
                    GradientCheck.assertGradient(zs -> loss.compute(Outputs.ofLogits(zs), knowledge(m, Z1, Z2), b)
                            .total(), ZS, SHAPE);
                }
            }
        }
    }

    @Test
    void teachersReceiveNoGradient() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            NDArray z1 = m.create(Z1, SHAPE);
            NDArray z2 = m.create(Z2, SHAPE);
            z1.setRequiresGradient(true);
            z2.setRequiresGradient(true);
            NDArray zs = m.create(ZS, SHAPE);
            zs.setRequiresGradient(true);
            Map<String, Outputs> k = new LinkedHashMap<>();
            k.put("teacher1", Outputs.ofLogits(z1));
            k.put("teacher2", Outputs.ofLogits(z2));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(bound(new MultiTeacher(T, ALPHA, null, Weighting.CONFIDENCE, null, 0.5, null), 2, a)
                        .compute(Outputs.ofLogits(zs), new Knowledge(k), Batches.withLabels(m, 1, 2)).total());
            }
            for (NDArray z : List.of(z1, z2)) {
                for (double g : z.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
                    assertEquals(0.0, g);
                }
            }
        }
    }

    /**
     * Hints through a regressor per teacher (vectors: linear regressors), teachers of different
     * widths (2 and 3): hint = β·(1/B) Σ_i Σ_k w_k · mean_d (r_k(v_i) − u_k,i)², here with fixed
     * weights (0.25, 0.75). Value by hand and gradient by finite differences, w.r.t. the student's tap.
     */
    @Test
    void hintsMatchAHandComputationAndFiniteDifferences() {
        double[] v = {0.3, -1.2, 0.8, 0.5, 1.1, -0.4, 0.2, 0.9}; // (2, 4)
        double[] u1 = {0.5, -0.5, 1.0, 0.2}; // (2, 2)
        double[] u2 = {-0.3, 0.4, 0.6, 1.5, -0.8, 0.1}; // (2, 3)
        double beta = 50;
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Seeds.apply(5);
            MultiTeacher method = new MultiTeacher(T, ALPHA, null, Weighting.FIXED, List.of(1.0, 3.0), null,
                    new MultiTeacher.Hint("embedding", null, List.of("embedding", "pool"), null, beta));
            Map<String, TapShapes> teachers = new LinkedHashMap<>();
            teachers.put("teacher1", new TapShapes("teacher1", Map.of(Outputs.LOGITS, new Shape(3), "embedding",
                    new Shape(2))));
            teachers.put("teacher2", new TapShapes("teacher2", Map.of(Outputs.LOGITS, new Shape(3), "pool",
                    new Shape(3))));
            DistillationLoss loss = method.objective();
            loss.bind(Binding.of(new TapShapes("student", Map.of(Outputs.LOGITS, new Shape(3), "embedding",
                    new Shape(4))), teachers, 10, 10, a));
            assertEquals(2 * 4 + 2 + 3 * 4 + 3, a.parameterCount(), "one linear regressor per teacher, to its width");
            assertEquals(java.util.Set.of("embedding", "pool"), loss.teacherTaps());
            List<Parameter> p = a.trainableParameters(); // w1, b1, w2, b2
            double[] w1 = p.get(0).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
            double[] b1 = p.get(1).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
            double[] w2 = p.get(2).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
            double[] b2 = p.get(3).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
            double hint = 0;
            for (int i = 0; i < 2; i++) {
                hint += 0.25 * meanSquare(linear(w1, b1, v, i, 4, 2), u1, i, 2)
                        + 0.75 * meanSquare(linear(w2, b2, v, i, 4, 3), u2, i, 3);
            }
            hint = beta * hint / 2;
            Map<String, Outputs> byTeacher = new LinkedHashMap<>();
            byTeacher.put("teacher1", new Outputs(Map.of(Outputs.LOGITS, m.create(Z1, SHAPE).toType(DataType.FLOAT32,
                    false), "embedding", m.create(u1, new Shape(2, 2)).toType(DataType.FLOAT32, false))));
            byTeacher.put("teacher2", new Outputs(Map.of(Outputs.LOGITS, m.create(Z2, SHAPE).toType(DataType.FLOAT32,
                    false), "pool", m.create(u2, new Shape(2, 3)).toType(DataType.FLOAT32, false))));
            Knowledge k = new Knowledge(byTeacher);
            Function<NDArray, Outputs> student = x -> new Outputs(Map.of(Outputs.LOGITS,
                    m.create(ZS, SHAPE).toType(x.getDataType(), false), "embedding", x));
            LossValue value = loss.compute(student.apply(m.create(v, new Shape(2, 4)).toType(DataType.FLOAT32, false)),
                    k, Batches.withLabels(m, 1, 2));
            assertEquals(hint, value.terms().get("hint").toType(DataType.FLOAT64, false).getDouble(), 1e-5 * hint);
            assertEquals(List.of("ce", "kd", "hint"), List.copyOf(value.terms().keySet()));

            // finite differences of the float64 reference with the regressors' weights fixed ...
            NDArray w164 = m.create(w1, p.get(0).getArray().getShape());
            NDArray b164 = m.create(b1, p.get(1).getArray().getShape());
            NDArray w264 = m.create(w2, p.get(2).getArray().getShape());
            NDArray b264 = m.create(b2, p.get(3).getArray().getShape());
            NDArray t1 = m.create(u1, new Shape(2, 2));
            NDArray t2 = m.create(u2, new Shape(2, 3));
            Function<NDArray, NDArray> f = x -> Linear.linear(x, w164, b164).head().sub(t1).square().mean(new int[] {1})
                    .mul(0.25).add(Linear.linear(x, w264, b264).head().sub(t2).square().mean(new int[] {1}).mul(0.75))
                    .sum().div(2).mul(beta);
            GradientCheck.assertGradient(f, v, new Shape(2, 4));
            // ... and the loss's own float32 gradient equals that reference's
            NDArray x64 = m.create(v, new Shape(2, 4));
            x64.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(f.apply(x64));
            }
            NDArray x32 = m.create(v, new Shape(2, 4)).toType(DataType.FLOAT32, false);
            x32.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss.compute(student.apply(x32), k, Batches.withLabels(m, 1, 2)).terms().get("hint"));
            }
            double[] expected = x64.getGradient().toDoubleArray();
            double[] actual = x32.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4 * Math.abs(expected[i]) + 1e-5, "gradient element " + i);
            }
        }
    }

    static double[] linear(double[] w, double[] b, double[] v, int row, int in, int out) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            y[o] = b[o];
            for (int j = 0; j < in; j++) {
                y[o] += w[o * in + j] * v[row * in + j];
            }
        }
        return y;
    }

    static double meanSquare(double[] r, double[] u, int row, int width) {
        double s = 0;
        for (int d = 0; d < width; d++) {
            s += Math.pow(r[d] - u[row * width + d], 2);
        }
        return s / width;
    }

    @Test
    void badParametersAreRejectedNamingTheKey() {
        assertMessage("weights: weighting 'fixed' needs one coefficient per teacher",
                () -> new MultiTeacher(null, null, null, Weighting.FIXED, null, null, null));
        assertMessage("weights: each must be a finite number > 0",
                () -> new MultiTeacher(null, null, null, Weighting.FIXED, List.of(1.0, -2.0), null, null));
        assertMessage("weights: only used with weighting: fixed",
                () -> new MultiTeacher(null, null, null, Weighting.CONFIDENCE, List.of(1.0), null, null));
        assertMessage("tau: must be in (0, 1e6]", () -> new MultiTeacher(null, null, null, null, null, 0.0, null));
        assertMessage("alpha: must be in [0, 1]", () -> new MultiTeacher(null, 1.5, null, null, null, null, null));
        assertMessage("temperature: must be in (0, 1000]", () -> new MultiTeacher(-1.0, null, null, null, null, null,
                null));
        assertMessage("teacherTaps: give teacherTap (one for all) or teacherTaps",
                () -> new MultiTeacher.Hint(null, "embedding", List.of("a"), null, null));
        assertMessage("kernel: must be 1 or 3", () -> new MultiTeacher.Hint(null, null, null, 2, null));
        assertMessage("beta: must be a finite number >= 0", () -> new MultiTeacher.Hint(null, null, null, null, -1.0));
        assertMessage("teachers: 3 teachers but student.method.weights has 2",
                () -> new MultiTeacher(null, null, null, Weighting.FIXED, List.of(1.0, 2.0), null, null).checkTeachers(3));
        assertMessage("teachers: method 'kd' learns from one teacher",
                () -> new org.distill4j.method.HintonKd(null, null).checkTeachers(2));
        new org.distill4j.method.NoDistillation().checkTeachers(3); // reads no teacher: any count
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException missing = assertThrows(TapException.class, () -> bound(new MultiTeacher(null, null, null, null,
                    null, null, new MultiTeacher.Hint(null, "stage9", null, null, null)), 2, a));
            assertTrue(missing.getMessage().contains("'embedding'") || missing.getMessage().contains("'stage9'"),
                    missing.getMessage());
        }
    }

    static void assertMessage(String start, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().startsWith(start), x.getMessage());
    }
}

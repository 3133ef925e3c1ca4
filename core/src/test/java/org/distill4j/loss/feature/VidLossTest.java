package org.distill4j.loss.feature;

import static org.distill4j.loss.feature.Fixtures.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.function.Function;
import org.distill4j.loss.WeightedSum;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

class VidLossTest {
    static final Shape S_MAP = new Shape(2, 2, 2); // per sample
    static final Shape T_MAP = new Shape(3, 2, 2);
    static final double[] XS = Fixtures.values(41, 2 * 2 * 4, 0.3);
    static final double[] XT = Fixtures.values(42, 2 * 3 * 4, 0.5);
    static final double[] LOGITS = Fixtures.values(43, 20, 0);
    static final int[] LABELS = {1, 4};
    static final double EPS = 1e-5;

    static TapShapes studentMaps() {
        return Fixtures.shapes("student", "conv2", S_MAP);
    }

    static TapShapes teacherMaps() {
        return Fixtures.shapes("teacher", "stage2", T_MAP);
    }

    /** Moves biases and α away from their start so that the hand computation covers them. */
    static void perturb(Adapters a) {
        Fixtures.find(a, "bias", 0).getArray().set(new float[] {0.2f, -0.1f, 0.05f});
        Fixtures.find(a, "bias", 1).getArray().set(new float[] {0.3f, 0.0f, -0.4f});
        Fixtures.find(a, "value", 0).getArray().set(new float[] {-0.5f, 0.7f, 1.9f});
    }

    static double softplus(double x) {
        return Math.log1p(Math.exp(x));
    }

    @Test
    void startsAtTheConfiguredSigma() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Fixtures.bind(new VidLoss("conv2", "stage2", null, Math.sqrt(5), EPS, 100, VidLoss.Variance.STD), studentMaps(), teacherMaps(), a);
            for (double alpha : Fixtures.parameter(a, "value", 0)) {
                assertEquals(Math.sqrt(5), softplus(alpha) + EPS, 1e-6);
            }
            // 1×1 conv 2→3 (+bias), 1×1 conv 3→3 (+bias), α per teacher channel
            assertEquals(2 * 3 + 3 + 3 * 3 + 3 + 3, a.parameterCount());
        }
    }

    @Test
    void mapValueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Seeds.apply(44);
            VidLoss loss = new VidLoss("conv2", "stage2", null, 2.0, EPS, 100, VidLoss.Variance.STD);
            Fixtures.bind(loss, studentMaps(), teacherMaps(), a);
            perturb(a);
            LossValue v = new WeightedSum(0.5, loss).compute(Fixtures.outputs(f32(m, LOGITS, new Shape(2, 10)), "conv2",
                    f32(m, XS, new Shape(2).addAll(S_MAP))), new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)),
                            "stage2", f32(m, XT, new Shape(2).addAll(T_MAP)))), Batches.withLabels(m, LABELS));

            double[] w1 = Fixtures.parameter(a, "weight", 0); // (3, 2, 1, 1)
            double[] b1 = Fixtures.parameter(a, "bias", 0);
            double[] w2 = Fixtures.parameter(a, "weight", 1); // (3, 3, 1, 1)
            double[] b2 = Fixtures.parameter(a, "bias", 1);
            double[] alpha = Fixtures.parameter(a, "value", 0);
            int positions = 4;
            double sum = 0;
            for (int n = 0; n < 2; n++) {
                for (int p = 0; p < positions; p++) {
                    double[] h = new double[3];
                    for (int o = 0; o < 3; o++) {
                        h[o] = b1[o];
                        for (int c = 0; c < 2; c++) {
                            h[o] += w1[o * 2 + c] * XS[(n * 2 + c) * positions + p];
                        }
                        h[o] = Math.max(0, h[o]);
                    }
                    for (int o = 0; o < 3; o++) {
                        double mu = b2[o];
                        for (int c = 0; c < 3; c++) {
                            mu += w2[o * 3 + c] * h[c];
                        }
                        double sigma = softplus(alpha[o]) + EPS;
                        double t = XT[(n * 3 + o) * positions + p];
                        sum += Math.log(sigma) + (t - mu) * (t - mu) / (2 * sigma * sigma);
                    }
                }
            }
            double vid = 100 * sum / (2 * positions); // Σ over channels, mean over samples and positions
            double ce = 0.5 * Fixtures.crossEntropy(LOGITS, 10, LABELS);
            assertEquals(vid, Fixtures.scalar(v.terms().get("vid")), 1e-5 * Math.abs(vid));
            assertEquals(ce, Fixtures.scalar(v.terms().get("ce")), 1e-6);
            assertEquals(vid + ce, Fixtures.scalar(v.total()), 1e-5 * Math.abs(vid));
        }
    }

    @Test
    void vectorValueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            VidLoss loss = new VidLoss("embedding", "embedding", null, Math.sqrt(5), EPS, 100, VidLoss.Variance.STD);
            Fixtures.bind(loss, Fixtures.shapes("student", "embedding", new Shape(3)),
                    Fixtures.shapes("teacher", "embedding", new Shape(2)), a);
            Fixtures.find(a, "bias", 0).getArray().set(new float[] {0.3f, -0.2f});
            Fixtures.find(a, "value", 0).getArray().set(new float[] {0.1f, -1.2f});
            double[] v = Fixtures.values(45, 6, 0);
            double[] t = Fixtures.values(46, 4, 0);
            LossValue value = new WeightedSum(1, loss).compute(Fixtures.outputs(f32(m, LOGITS, new Shape(2, 10)), "embedding",
                    f32(m, v, new Shape(2, 3))), new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)), "embedding",
                            f32(m, t, new Shape(2, 2)))), Batches.withLabels(m, LABELS));
            double[] w = Fixtures.parameter(a, "weight", 0);
            double[] bias = Fixtures.parameter(a, "bias", 0);
            double[] alpha = Fixtures.parameter(a, "value", 0);
            double sum = 0;
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 2; o++) {
                    double mu = bias[o];
                    for (int k = 0; k < 3; k++) {
                        mu += w[o * 3 + k] * v[n * 3 + k];
                    }
                    double sigma = softplus(alpha[o]) + EPS;
                    sum += Math.log(sigma) + Math.pow(t[n * 2 + o] - mu, 2) / (2 * sigma * sigma);
                }
            }
            double vid = 100 * sum / 2;
            assertEquals(vid, Fixtures.scalar(value.terms().get("vid")), 1e-5 * Math.abs(vid));
            assertEquals(vid + Fixtures.crossEntropy(LOGITS, 10, LABELS), Fixtures.scalar(value.total()),
                    1e-5 * Math.abs(vid));
        }
    }

    /**
     * Gradient w.r.t. the student's tap through the regressor's actual weights, fixed and copied to
     * float64; compute()'s float32 gradient must equal the checked one. Also w.r.t. α.
     */
    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Seeds.apply(47);
            VidLoss loss = new VidLoss("conv2", "stage2", null, 2.0, EPS, 100, VidLoss.Variance.STD);
            Fixtures.bind(loss, studentMaps(), teacherMaps(), a);
            perturb(a);
            NDArray w1 = Fixtures.parameter64(m, a, "weight", 0);
            NDArray b1 = Fixtures.parameter64(m, a, "bias", 0);
            NDArray w2 = Fixtures.parameter64(m, a, "weight", 1);
            NDArray b2 = Fixtures.parameter64(m, a, "bias", 1);
            NDArray alpha = Fixtures.parameter64(m, a, "value", 0);
            NDArray t = m.create(XT, new Shape(2).addAll(T_MAP));
            Function<NDArray, NDArray> mean = x -> Conv2d.conv2d(Activation.relu(Conv2d.conv2d(x, w1, b1).head()), w2, b2)
                    .head();
            Function<NDArray, NDArray> f = x -> VidLoss.nll(mean.apply(x), alpha, t, EPS, VidLoss.Variance.STD).mul(100);
            Shape xShape = new Shape(2).addAll(S_MAP);
            GradientCheck.assertGradient(f, XS, xShape);
            Fixtures.assertSameGradient(m, new WeightedSum(0, loss), f, XS, xShape, "conv2", "stage2", t);

            NDArray mu = mean.apply(m.create(XS, xShape));
            GradientCheck.assertGradient(al -> VidLoss.nll(mu, al, t, EPS, VidLoss.Variance.STD), alpha.toDoubleArray(), new Shape(3));
        }
    }

    @Test
    void vectorGradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            VidLoss loss = new VidLoss("fc", "embedding", null, 1.5, EPS, 100, VidLoss.Variance.STD);
            Fixtures.bind(loss, Fixtures.shapes("student", "fc", new Shape(3)),
                    Fixtures.shapes("teacher", "embedding", new Shape(2)), a);
            NDArray w = Fixtures.parameter64(m, a, "weight", 0);
            NDArray bias = Fixtures.parameter64(m, a, "bias", 0);
            NDArray alpha = Fixtures.parameter64(m, a, "value", 0);
            NDArray t = m.create(Fixtures.values(46, 4, 0), new Shape(2, 2));
            Function<NDArray, NDArray> f = x -> VidLoss.nll(Linear.linear(x, w, bias).head(), alpha, t, EPS, VidLoss.Variance.STD).mul(100);
            double[] x = Fixtures.values(45, 6, 0);
            GradientCheck.assertGradient(f, x, new Shape(2, 3));
            Fixtures.assertSameGradient(m, new WeightedSum(0, loss), f, x, new Shape(2, 3), "fc", "embedding", t);
        }
    }

    @Test
    void incompatibleTapsNameBothTaps() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException size = assertThrows(TapException.class, () -> Fixtures.bind(new VidLoss("conv2", "stage2", null,
                    2, EPS, 100, VidLoss.Variance.STD), Fixtures.shapes("student", "conv2", new Shape(2, 4, 4)), teacherMaps(), a));
            assertTrue(size.getMessage().contains("student tap 'conv2' (2, 4, 4)")
                    && size.getMessage().contains("teacher tap 'stage2' (3, 2, 2)"), size.getMessage());
            TapException kind = assertThrows(TapException.class, () -> Fixtures.bind(new VidLoss("embedding", "stage2",
                    null, 2, EPS, 100, VidLoss.Variance.STD), Fixtures.shapes("student", "embedding", new Shape(8)), teacherMaps(), a));
            assertTrue(kind.getMessage().contains("student tap 'embedding' (8)")
                    && kind.getMessage().contains("teacher tap 'stage2' (3, 2, 2)"), kind.getMessage());
            TapException missing = assertThrows(TapException.class, () -> Fixtures.bind(new VidLoss("embedding",
                    "embedding", null, 2, EPS, 100, VidLoss.Variance.STD), studentMaps(), teacherMaps(), a));
            assertTrue(missing.getMessage().contains("student has no tap named 'embedding'")
                    && missing.getMessage().contains("[conv2, logits]"), missing.getMessage());
            assertTrue(a.isEmpty());
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new VidLoss("a", "b", 0, 2, EPS, 100, VidLoss.Variance.STD));
        assertThrows(IllegalArgumentException.class, () -> new VidLoss("a", "b", null, 2, 0, 100));
        assertThrows(IllegalArgumentException.class, () -> new VidLoss("a", "b", null, 2, EPS, -100));
    }

    /** The default reading: softplus(α)+ε is the variance, starting at initSigma². */
    @Test
    void defaultStartsAtTheConfiguredVariance() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Fixtures.bind(new VidLoss("conv2", "stage2", null, Math.sqrt(5), EPS, 100), studentMaps(), teacherMaps(), a);
            for (double alpha : Fixtures.parameter(a, "value", 0)) {
                assertEquals(5.0, softplus(alpha) + EPS, 1e-5);
            }
        }
        assertEquals(VidLoss.Variance.VAR, new org.distill4j.method.Vid(null, null, null, null, null, null, null).variance());
    }

    /**
     * The default value against RepDistiller's {@code VIDLoss} (crd/.../vid.py), written out by hand:
     * {@code pred_var = log(1+exp(log_scale)) + eps; neg_log_prob = 0.5*((pred_mean-target)^2/pred_var
     * + log(pred_var)); loss = mean(neg_log_prob)} over every value. distill4j sums over channels
     * instead of averaging, so with β = 1/C the two must agree.
     */
    @Test
    void defaultValueMatchesRepDistillersFormula() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Seeds.apply(44);
            int channels = 3;
            VidLoss loss = new VidLoss("conv2", "stage2", null, 2.0, EPS, 1.0 / channels);
            Fixtures.bind(loss, studentMaps(), teacherMaps(), a);
            perturb(a);
            LossValue v = new WeightedSum(0, loss).compute(Fixtures.outputs(f32(m, LOGITS, new Shape(2, 10)), "conv2",
                    f32(m, XS, new Shape(2).addAll(S_MAP))), new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)),
                            "stage2", f32(m, XT, new Shape(2).addAll(T_MAP)))), Batches.withLabels(m, LABELS));
            double[] w1 = Fixtures.parameter(a, "weight", 0);
            double[] b1 = Fixtures.parameter(a, "bias", 0);
            double[] w2 = Fixtures.parameter(a, "weight", 1);
            double[] b2 = Fixtures.parameter(a, "bias", 1);
            double[] logScale = Fixtures.parameter(a, "value", 0);
            int positions = 4;
            double total = 0;
            int count = 0;
            for (int n = 0; n < 2; n++) {
                for (int p = 0; p < positions; p++) {
                    double[] h = new double[3];
                    for (int o = 0; o < 3; o++) {
                        h[o] = b1[o];
                        for (int c = 0; c < 2; c++) {
                            h[o] += w1[o * 2 + c] * XS[(n * 2 + c) * positions + p];
                        }
                        h[o] = Math.max(0, h[o]);
                    }
                    for (int o = 0; o < channels; o++) {
                        double predMean = b2[o];
                        for (int c = 0; c < 3; c++) {
                            predMean += w2[o * 3 + c] * h[c];
                        }
                        double predVar = Math.log(1 + Math.exp(logScale[o])) + EPS;
                        double target = XT[(n * 3 + o) * positions + p];
                        total += 0.5 * ((predMean - target) * (predMean - target) / predVar + Math.log(predVar));
                        count++;
                    }
                }
            }
            double repDistiller = total / count;
            assertEquals(repDistiller, Fixtures.scalar(v.terms().get("vid")), 1e-5 * Math.abs(repDistiller));
        }
    }

    @Test
    void defaultGradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray t = m.create(XT, new Shape(2).addAll(T_MAP));
            NDArray mu = m.create(Fixtures.values(48, 2 * 3 * 4, 0.4), new Shape(2).addAll(T_MAP));
            GradientCheck.assertGradient(al -> VidLoss.nll(mu, al, t, EPS, VidLoss.Variance.VAR),
                    new double[] {-0.5, 0.7, 1.9}, new Shape(3));
            NDArray alpha = m.create(new double[] {-0.5, 0.7, 1.9});
            GradientCheck.assertGradient(x -> VidLoss.nll(x, alpha, t, EPS, VidLoss.Variance.VAR),
                    Fixtures.values(48, 2 * 3 * 4, 0.4), new Shape(2).addAll(T_MAP));
        }
    }
}

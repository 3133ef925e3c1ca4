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
import ai.djl.nn.norm.BatchNorm;
import java.util.function.Function;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

class FitNetLossTest {
    static final int[] LABELS = {1, 4};
    static final Shape S_MAP = new Shape(2, 2, 3); // per sample: C=2, H=2, W=3
    static final Shape T_MAP = new Shape(3, 2, 3);
    static final double[] XS = Fixtures.values(1, 2 * 2 * 2 * 3, 0.2);
    static final double[] XT = Fixtures.values(2, 2 * 3 * 2 * 3, 0.5);
    static final double[] LOGITS = Fixtures.values(3, 2 * 10, 0);

    static TapShapes studentMaps() {
        return Fixtures.shapes("student", "conv2", S_MAP);
    }

    static TapShapes teacherMaps() {
        return Fixtures.shapes("teacher", "conv1", T_MAP);
    }

    /** Sets BN's γ and β away from their 1/0 start so the hand computation covers them. */
    static void perturbNorm(Adapters a) {
        Fixtures.find(a, "gamma", 0).getArray().set(new float[] {1.5f, 0.5f, -0.8f});
        Fixtures.find(a, "beta", 0).getArray().set(new float[] {0.1f, -0.2f, 0.3f});
    }

    @Test
    void mapValueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            Seeds.apply(11);
            FitNetLoss loss = new FitNetLoss("conv2", "conv1", 1, 100);
            Fixtures.bind(loss, studentMaps(), teacherMaps(), a);
            perturbNorm(a);
            assertEquals(3 * 2 + 2 * 3, a.parameterCount(), "1×1 conv without bias, then batch norm γ, β");
            Batch b = Batches.withLabels(m, LABELS);
            LossValue v = new WeightedSum(0.5, loss).compute(Fixtures.outputs(f32(m, LOGITS, new Shape(2, 10)), "conv2",
                    f32(m, XS, new Shape(2).addAll(S_MAP))), new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)),
                            "conv1", f32(m, XT, new Shape(2).addAll(T_MAP)))), b);

            double[] w = Fixtures.parameter(a, "weight", 0); // (3, 2, 1, 1)
            double[] gamma = Fixtures.parameter(a, "gamma", 0);
            double[] beta = Fixtures.parameter(a, "beta", 0);
            int positions = 6;
            double[][] y = new double[3][2 * positions]; // per out channel: batch × positions
            for (int o = 0; o < 3; o++) {
                for (int n = 0; n < 2; n++) {
                    for (int p = 0; p < positions; p++) {
                        double s = 0;
                        for (int c = 0; c < 2; c++) {
                            s += w[o * 2 + c] * XS[(n * 2 + c) * positions + p];
                        }
                        y[o][n * positions + p] = s;
                    }
                }
            }
            double sq = 0;
            for (int o = 0; o < 3; o++) {
                double mean = 0;
                for (double e : y[o]) {
                    mean += e / y[o].length;
                }
                double var = 0;
                for (double e : y[o]) {
                    var += (e - mean) * (e - mean) / y[o].length; // batch norm normalises by the biased variance
                }
                for (int n = 0; n < 2; n++) {
                    for (int p = 0; p < positions; p++) {
                        double r = Math.max(0, (y[o][n * positions + p] - mean) / Math.sqrt(var + 1e-5) * gamma[o] + beta[o]);
                        double d = r - XT[(n * 3 + o) * positions + p];
                        sq += d * d;
                    }
                }
            }
            double hint = 100 * sq / (2 * 3 * positions);
            double ce = 0.5 * Fixtures.crossEntropy(LOGITS, 10, LABELS);
            assertEquals(hint, Fixtures.scalar(v.terms().get("hint")), 1e-5 * hint);
            assertEquals(ce, Fixtures.scalar(v.terms().get("ce")), 1e-6);
            assertEquals(hint + ce, Fixtures.scalar(v.total()), 1e-5 * hint);
        }
    }

    @Test
    void vectorValueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            FitNetLoss loss = new FitNetLoss("embedding", "embedding", 1, 100);
            Fixtures.bind(loss, Fixtures.shapes("student", "embedding", new Shape(4)),
                    Fixtures.shapes("teacher", "embedding", new Shape(2)), a);
            Fixtures.find(a, "bias", 0).getArray().set(new float[] {0.3f, -0.2f});
            assertEquals(2 * 4 + 2, a.parameterCount(), "a linear regressor for vectors");
            double[] v = Fixtures.values(4, 2 * 4, 0);
            double[] t = Fixtures.values(5, 2 * 2, 0);
            LossValue value = new WeightedSum(1, loss).compute(Fixtures.outputs(f32(m, LOGITS, new Shape(2, 10)), "embedding",
                    f32(m, v, new Shape(2, 4))), new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)), "embedding",
                            f32(m, t, new Shape(2, 2)))), Batches.withLabels(m, LABELS));
            double[] w = Fixtures.parameter(a, "weight", 0); // (2, 4)
            double[] bias = Fixtures.parameter(a, "bias", 0);
            double sq = 0;
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 2; o++) {
                    double r = bias[o];
                    for (int k = 0; k < 4; k++) {
                        r += w[o * 4 + k] * v[n * 4 + k];
                    }
                    sq += Math.pow(r - t[n * 2 + o], 2);
                }
            }
            assertEquals(100 * sq / 4, Fixtures.scalar(value.terms().get("hint")), 1e-5 * 100 * sq / 4);
            assertEquals(100 * sq / 4 + Fixtures.crossEntropy(LOGITS, 10, LABELS), Fixtures.scalar(value.total()),
                    1e-5 * 100 * sq / 4);
        }
    }

    /**
     * Gradient w.r.t. the student's tap: central differences of the loss with the regressor's
     * actual weights fixed (copied to float64 and applied with DJL's functional conv / batch norm /
     * ReLU), then the float32 gradient of {@code compute} must equal that checked gradient.
     */
    @Test
    void mapGradientMatchesFiniteDifferencesForBothKernels() {
        for (int kernel : new int[] {1, 3}) {
            try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
                Seeds.apply(12);
                FitNetLoss loss = new FitNetLoss("conv2", "conv1", kernel, 100);
                Fixtures.bind(loss, studentMaps(), teacherMaps(), a);
                perturbNorm(a);
                NDArray w = Fixtures.parameter64(m, a, "weight", 0);
                NDArray gamma = Fixtures.parameter64(m, a, "gamma", 0);
                NDArray beta = Fixtures.parameter64(m, a, "beta", 0);
                NDArray t = m.create(XT, new Shape(2).addAll(T_MAP));
                Shape pad = new Shape(kernel / 2, kernel / 2);
                Function<NDArray, NDArray> f = x -> FitNetLoss.hint(Activation.relu(BatchNorm.batchNorm(
                        Conv2d.conv2d(x, w, m.zeros(new Shape(3), DataType.FLOAT64), new Shape(1, 1), pad,
                                new Shape(1, 1), 1).head(),
                        m.zeros(new Shape(3), DataType.FLOAT64), m.ones(new Shape(3), DataType.FLOAT64), gamma, beta, 1,
                        0.9f, 1e-5f, true).head()), t).mul(100);
                Shape xShape = new Shape(2).addAll(S_MAP);
                GradientCheck.assertGradient(f, XS, xShape);
                Fixtures.assertSameGradient(m, new WeightedSum(0, loss), f, XS, xShape, "conv2", "conv1", t);
            }
        }
    }

    @Test
    void vectorGradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            FitNetLoss loss = new FitNetLoss("fc", "embedding", 1, 100);
            Fixtures.bind(loss, Fixtures.shapes("student", "fc", new Shape(4)),
                    Fixtures.shapes("teacher", "embedding", new Shape(2)), a);
            Fixtures.find(a, "bias", 0).getArray().set(new float[] {0.3f, -0.2f});
            NDArray w = Fixtures.parameter64(m, a, "weight", 0);
            NDArray bias = Fixtures.parameter64(m, a, "bias", 0);
            NDArray t = m.create(Fixtures.values(5, 4, 0), new Shape(2, 2));
            Function<NDArray, NDArray> f = x -> FitNetLoss.hint(Linear.linear(x, w, bias).head(), t).mul(100);
            double[] x = Fixtures.values(4, 8, 0);
            GradientCheck.assertGradient(f, x, new Shape(2, 4));
            Fixtures.assertSameGradient(m, new WeightedSum(0, loss), f, x, new Shape(2, 4), "fc", "embedding", t);
        }
    }

    @Test
    void incompatibleTapsNameBothTaps() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException size = assertThrows(TapException.class, () -> Fixtures.bind(new FitNetLoss("conv2", "conv1", 1,
                    100), Fixtures.shapes("student", "conv2", new Shape(2, 4, 4)), teacherMaps(), a));
            assertTrue(size.getMessage().contains("student tap 'conv2' (2, 4, 4)")
                    && size.getMessage().contains("teacher tap 'conv1' (3, 2, 3)")
                    && size.getMessage().contains("spatial size"), size.getMessage());

            TapException kind = assertThrows(TapException.class, () -> Fixtures.bind(new FitNetLoss("embedding", "conv1",
                    1, 100), Fixtures.shapes("student", "embedding", new Shape(8)), teacherMaps(), a));
            assertTrue(kind.getMessage().contains("student tap 'embedding' (8)")
                    && kind.getMessage().contains("teacher tap 'conv1' (3, 2, 3)"), kind.getMessage());

            TapException missing = assertThrows(TapException.class, () -> Fixtures.bind(new FitNetLoss("conv2", "hint",
                    1, 100), studentMaps(), teacherMaps(), a));
            assertTrue(missing.getMessage().contains("'hint'") && missing.getMessage().contains("[conv1, logits]"),
                    missing.getMessage());
            assertTrue(a.isEmpty(), "nothing is registered for a refused pair");
        }
    }

    @Test
    void rejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new FitNetLoss("a", "b", 2, 100));
        assertThrows(IllegalArgumentException.class, () -> new FitNetLoss("a", "b", 1, -1));
    }
}

package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Quantization;
import org.junit.jupiter.api.Test;

/**
 * Quantised training with shadow weights and the straight-through estimator, two steps checked
 * by hand. The participant is one free tensor w (4 values, one bucket, 2 bits, nearest rounding)
 * minimising {@code f(w) = (w·x − y)²}, plain SGD.
 */
class QuantizedTrainingTest {
    static final double[] X = {1, 2, 3, -1};
    static final double Y = 0.5;

    /** Nearest 2-bit quantisation of one bucket, by hand: min + round((v − min)/step)·step, step = (max − min)/3. */
    static double[] q(double[] w) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : w) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double step = (max - min) / 3;
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = min + Math.floor((w[i] - min) / step + 0.5) * step;
        }
        return out;
    }

    static float[] values(Parameter p) {
        return p.getArray().toFloatArray();
    }

    /**
     * Step 1: w = (0.1, 0.8, −0.4, 0.45): min −0.4, max 0.8, step 0.4, codes (1, 3, 0, 2), Q(w) =
     * (0, 0.8, −0.4, 0.4); Q·x − y = −0.5, so the update reports f(Q) = 0.25 (f(w) would be 0.2025)
     * and the gradient at Q is 2(−0.5)·x = −x, applied to the shadow weights: w' = w + 0.1·x =
     * (0.2, 1.0, −0.1, 0.35). Step 2 repeats this from w'. Validation sees Q(w), checkpoints
     * (the epoch end) see w, and the phase ends holding Q of the last w.
     */
    @Test
    void twoStepsMatchAHandComputation() throws Exception {
        double[] w0 = {0.1, 0.8, -0.4, 0.45};
        double[] expectedLoss = new double[2];
        double[][] shadow = new double[3][];
        shadow[0] = w0;
        for (int s = 0; s < 2; s++) {
            double[] qs = q(shadow[s]);
            double residual = org.distill4j.testing.HandMath.dot(qs, X) - Y;
            expectedLoss[s] = residual * residual;
            shadow[s + 1] = new double[4];
            for (int i = 0; i < 4; i++) {
                shadow[s + 1][i] = shadow[s][i] - LoopTest.LR * 2 * residual * X[i];
            }
        }
        assertArrayEquals(new double[] {0, 0.8, -0.4, 0.4}, q(w0), 1e-12);
        assertEquals(0.25, expectedLoss[0], 1e-12);
        assertArrayEquals(new double[] {0.2, 1.0, -0.1, 0.35}, shadow[1], 1e-12);

        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            a.tensor("w", new Shape(4), 0f);
            Parameter w = a.trainableParameters().get(0);
            w.getArray().set(new float[] {0.1f, 0.8f, -0.4f, 0.45f});
            Objective f = step -> {
                NDArray v = step.adapters("student").tensor("w", step.batch().input().getManager());
                NDArray x = step.batch().input().getManager().create(new float[] {1, 2, 3, -1});
                return LossValue.of("f", v.mul(x).sum().sub((float) Y).square());
            };
            Quantization twoBits = new Quantization(2, 4, Quantization.Rounding.NEAREST, Quantization.Scope.ALL);
            QuantizedTraining quantized = new QuantizedTraining("student", Map.of("w", w), twoBits, 1);
            List<Double> losses = new ArrayList<>();
            List<float[]> validated = new ArrayList<>();
            List<float[]> checkpointed = new ArrayList<>();
            LoopListener observer = new LoopListener() {
                @Override
                public boolean onGradients(LoopState state, UpdateReport r) {
                    losses.add(r.loss());
                    return true;
                }

                @Override
                public void onValidation(LoopState state, int epoch) {
                    validated.add(values(w));
                }

                @Override
                public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) {
                    checkpointed.add(values(w));
                }
            };
            Phase phase = new Phase("q", List.of(Participant.adapters("student", a, LoopTest.sgd())),
                    List.of(LoopTest.feed("data")), StepPolicy.every(new Update("student", "data", Map.of(), f, 1)), 2,
                    null);
            // the order RunContext.run gives: validation first, this, then checkpoints
            new Loop(m, List.of(quantized, observer)).run(phase);

            assertEquals(2, losses.size());
            for (int s = 0; s < 2; s++) {
                assertEquals(expectedLoss[s], losses.get(s), 1e-5, "step " + (s + 1) + " is computed on Q(w)");
                assertArrayEquals(toFloat(shadow[s + 1]), checkpointed.get(s), 1e-5f,
                        "step " + (s + 1) + ": the gradient at Q(w) moved the shadow weights");
                assertArrayEquals(toFloat(q(shadow[s + 1])), validated.get(s), 1e-5f, "validation sees Q(w)");
            }
            assertArrayEquals(toFloat(q(shadow[2])), values(w), 1e-5f, "the phase ends holding Q(w)");
            assertArrayEquals(quantized.shipped().get("w").values(), values(w), 0f, "what ships is what it holds");
        }
    }

    @Test
    void aSecondUpdateOfTheQuantisedParticipantInOneStepIsRefused() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            a.tensor("w", new Shape(2), 0.5f);
            Parameter w = a.trainableParameters().get(0);
            Objective f = step -> LossValue.of("f", step.adapters("student").tensor("w",
                    step.batch().input().getManager()).square().sum());
            Update u = new Update("student", "data", Map.of(), f, 1);
            Phase phase = new Phase("q", List.of(Participant.adapters("student", a, LoopTest.sgd())),
                    List.of(LoopTest.feed("data")), (step, epoch, batch) -> List.of(u, u), 1, null);
            QuantizedTraining quantized = new QuantizedTraining("student", Map.of("w", w),
                    new Quantization(2, 4, Quantization.Rounding.NEAREST, Quantization.Scope.ALL), 1);
            assertThrows(IllegalStateException.class, () -> new Loop(m, List.of(quantized)).run(phase));
        }
    }

    static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }
}

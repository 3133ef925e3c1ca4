package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimizerTest {
    /** Loss Σ w² ⇒ gradient 2w. */
    private static void backward(NDArray w) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(w.mul(w).sum());
        }
    }

    private static Parameter parameter(NDManager m, float... values) {
        NDArray w = m.create(values);
        w.setRequiresGradient(true);
        return Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).optArray(w).build();
    }

    @Test
    void sgdWithMomentumAndWeightDecayMatchesHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, 1f, -2f);
            double lr = 0.1;
            double mu = 0.9;
            double wd = 0.01;
            try (Optimizer opt = new OptimizerSpec.Sgd(lr, mu, wd).create(List.of(p), m)) {
                double[] w = {1, -2};
                double[] v = {0, 0};
                for (int step = 0; step < 3; step++) {
                    backward(p.getArray());
                    opt.step(lr);
                    for (int i = 0; i < 2; i++) { // v ← μv + g + λw ; w ← w − lr·v
                        v[i] = mu * v[i] + 2 * w[i] + wd * w[i];
                        w[i] -= lr * v[i];
                    }
                    float[] got = p.getArray().toFloatArray();
                    assertEquals(w[0], got[0], 1e-5, "step " + step);
                    assertEquals(w[1], got[1], 1e-5, "step " + step);
                }
                assertEquals(3, opt.steps());
                // the step cleared the gradient
                assertEquals(0f, p.getArray().getGradient().abs().sum().getFloat());
            }
        }
    }

    @Test
    void aResetAdamStepsAsAFreshOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, 1f, -2f);
            try (Optimizer opt = new OptimizerSpec.Adam(0.01, null, null, null, null).create(List.of(p), m)) {
                for (int i = 0; i < 3; i++) {
                    backward(p.getArray());
                    opt.step(0.01);
                }
                opt.reset();
                assertEquals(0, opt.steps());
                for (NDArray a : opt.state()) {
                    assertEquals(0f, a.abs().sum().getFloat(), "moments zeroed in place");
                }
                float[] before = p.getArray().toFloatArray();
                backward(p.getArray());
                opt.step(0.01);
                // a first step again: w − lr·sign(g) (without the reset the moments of the 3 earlier steps would count)
                float[] got = p.getArray().toFloatArray();
                assertEquals(before[0] - 0.01, got[0], 1e-5);
                assertEquals(before[1] + 0.01, got[1], 1e-5);
            }
        }
    }

    @Test
    void adamFirstStepMovesByLearningRate() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, 1f, -2f);
            try (Optimizer opt = new OptimizerSpec.Adam(0.01, null, null, null, null).create(List.of(p), m)) {
                backward(p.getArray());
                opt.step(0.01);
                // bias-corrected first step: w − lr·g/(|g| + ε) = w − lr·sign(g)
                float[] got = p.getArray().toFloatArray();
                assertEquals(0.99, got[0], 1e-5);
                assertEquals(-1.99, got[1], 1e-5);
            }
        }
    }

    /** Adam and AdamW as torch.optim computes them, in doubles, over several steps. */
    @Test
    void adamAndAdamWFollowPyTorchsFormulaOverSteps() {
        for (boolean inPlace : new boolean[] {false, true}) { // the fused kernel, then the fallback
          for (double wd : new double[] {0.0, 0.05}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Parameter p = parameter(m, 1f, -2f, 0.5f);
                double lr = 0.1;
                double b1 = 0.8;
                double b2 = 0.95;
                double eps = 1e-3;
                Optimizer.AdamOptimizer adam = (Optimizer.AdamOptimizer) new OptimizerSpec.Adam(lr, b1, b2, eps, wd)
                        .create(List.of(p), m);
                try (Optimizer opt = inPlace ? adam.inPlace() : adam) {
                    double[] w = {1, -2, 0.5};
                    double[] mom = new double[3];
                    double[] var = new double[3];
                    for (int t = 1; t <= 6; t++) {
                        backward(p.getArray());
                        opt.step(lr);
                        for (int i = 0; i < 3; i++) {
                            double g = 2 * w[i];
                            w[i] *= 1 - lr * wd; // AdamW: decay decoupled from the gradient
                            mom[i] = b1 * mom[i] + (1 - b1) * g;
                            var[i] = b2 * var[i] + (1 - b2) * g * g;
                            double denom = Math.sqrt(var[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                            w[i] -= lr / (1 - Math.pow(b1, t)) * mom[i] / denom;
                        }
                        float[] got = p.getArray().toFloatArray();
                        for (int i = 0; i < 3; i++) {
                            assertEquals(w[i], got[i], 2e-5, "in place " + inPlace + ", wd " + wd + " step " + t + " w" + i);
                        }
                        float[] moments = opt.state().get(0).toFloatArray();
                        float[] variances = opt.state().get(1).toFloatArray();
                        for (int i = 0; i < 3; i++) {
                            assertEquals(mom[i], moments[i], 2e-5, "m, step " + t);
                            assertEquals(var[i], variances[i], 2e-4, "v, step " + t);
                        }
                    }
                    assertEquals(0f, p.getArray().getGradient().abs().sum().getFloat(), "gradient cleared");
                }
            }
          }
        }
    }

    @Test
    void pyTorchsFusedAdamKernelLoadsWithThePinnedEngine() {
        assertNotNull(FusedAdamW.get(), "fused-adamw.pt should load in DJL's PyTorch 2.7 (see the log)");
    }

    /** The fused kernel and the in-place fallback compute the same AdamW, up to rounding, over many parameters. */
    @Test
    void fusedAndInPlaceAdamAgreeOverStepsAndParameters() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray a0 = m.randomNormal(new ai.djl.ndarray.types.Shape(33, 5));
            NDArray b0 = m.randomNormal(new ai.djl.ndarray.types.Shape(17));
            List<Parameter> fused = List.of(parameter(m, a0.toFloatArray()), parameter(m, b0.toFloatArray()));
            List<Parameter> inPlace = List.of(parameter(m, a0.toFloatArray()), parameter(m, b0.toFloatArray()));
            OptimizerSpec spec = new OptimizerSpec.Adam(0.01, 0.9, 0.99, 1e-6, 0.02);
            try (Optimizer f = spec.create(fused, m);
                    Optimizer.AdamOptimizer p = ((Optimizer.AdamOptimizer) spec.create(inPlace, m)).inPlace()) {
                for (int t = 1; t <= 8; t++) {
                    double lr = 0.01 / t; // a schedule: each step its own rate
                    for (int i = 0; i < 2; i++) {
                        cubeBackward(fused.get(i).getArray());
                        cubeBackward(inPlace.get(i).getArray());
                    }
                    f.step(lr);
                    p.step(lr);
                    for (int i = 0; i < 2; i++) {
                        float[] x = fused.get(i).getArray().toFloatArray();
                        float[] y = inPlace.get(i).getArray().toFloatArray();
                        for (int k = 0; k < x.length; k++) {
                            assertEquals(y[k], x[k], 1e-5 * Math.max(1, Math.abs(y[k])), "step " + t + " p" + i + "[" + k + "]");
                        }
                    }
                    for (int s = 0; s < 4; s++) {
                        float[] x = f.state().get(s).toFloatArray();
                        float[] y = p.state().get(s).toFloatArray();
                        for (int k = 0; k < x.length; k++) {
                            // the fallback's v = β₂(v − g²) + g² cancels: about 1e-5 relative in float
                            assertEquals(y[k], x[k], 1e-4 * Math.max(1e-3, Math.abs(y[k])), "state " + s + " step " + t);
                        }
                    }
                }
                assertEquals(0f, fused.get(0).getArray().getGradient().abs().sum().getFloat(), "gradient cleared");
            }
        }
    }

    /** Loss Σ (w³/3 − w) ⇒ gradient w² − 1, of either sign and not proportional to the weights. */
    private static void cubeBackward(NDArray w) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(org.distill4j.model.Scalars.div(w.mul(w).mul(w).sum(), 3).sub(w.sum()));
        }
    }

    @Test
    void schedules() {
        ScheduleSpec cosine = new ScheduleSpec(ScheduleSpec.Type.COSINE, 0.0, null, null, 0.0);
        assertEquals(0.1, cosine.rate(0.1, 0, 0, 10, 4), 1e-12);
        assertEquals(0.05, cosine.rate(0.1, 2, 0, 10, 4), 1e-12);
        assertEquals(0.0, cosine.rate(0.1, 4, 0, 10, 4), 1e-12);
        ScheduleSpec warm = new ScheduleSpec(ScheduleSpec.Type.CONSTANT, 1.0, null, null, null);
        assertEquals(0.01, warm.rate(0.1, 0, 0, 10, 4), 1e-12); // first step of 10: 1/10 of base
        assertEquals(0.1, warm.rate(0.1, 0, 9, 10, 4), 1e-12);
        assertEquals(0.1, warm.rate(0.1, 1, 0, 10, 4), 1e-12);
        ScheduleSpec step = new ScheduleSpec(ScheduleSpec.Type.STEP, null, 2, 0.5, null);
        assertEquals(0.1, step.rate(0.1, 1, 5, 10, 6), 1e-12);
        assertEquals(0.05, step.rate(0.1, 2, 0, 10, 6), 1e-12);
        assertEquals(0.025, step.rate(0.1, 5, 0, 10, 6), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new ScheduleSpec(null, null, null, 1.5, null));
        assertThrows(IllegalArgumentException.class, () -> new OptimizerSpec.Sgd(-0.1, null, null));
        assertThrows(IllegalArgumentException.class, () -> new OptimizerSpec.Sgd(0.1, 1.0, null));
    }
}

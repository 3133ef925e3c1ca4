package org.distill4j.loss.feature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;

/** Small builders shared by the feature-loss tests: tap shapes, outputs, deterministic values. */
final class Fixtures {
    private Fixtures() {}

    /** Deterministic N(0,1) values (shifted by {@code offset}), as plain doubles for hand computations. */
    static double[] values(long seed, int n, double offset) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian() + offset;
        }
        return v;
    }

    static NDArray f32(NDManager m, double[] v, Shape s) {
        return m.create(v, s).toType(DataType.FLOAT32, false);
    }

    /** Tap shapes from alternating names and per-sample shapes; "logits" (10) is added. */
    static TapShapes shapes(String network, Object... tapsAndShapes) {
        Map<String, Shape> map = new LinkedHashMap<>();
        for (int i = 0; i < tapsAndShapes.length; i += 2) {
            map.put((String) tapsAndShapes[i], (Shape) tapsAndShapes[i + 1]);
        }
        map.put(Outputs.LOGITS, new Shape(10));
        return new TapShapes(network, map);
    }

    static void bind(DistillationLoss loss, TapShapes student, TapShapes teacher, Adapters adapters) {
        loss.bind(new Binding(student, teacher, 100, 100, adapters));
    }

    /** Outputs from alternating names and arrays, plus the given logits. */
    static Outputs outputs(NDArray logits, Object... tapsAndArrays) {
        Map<String, NDArray> map = new LinkedHashMap<>();
        for (int i = 0; i < tapsAndArrays.length; i += 2) {
            map.put((String) tapsAndArrays[i], (NDArray) tapsAndArrays[i + 1]);
        }
        map.put(Outputs.LOGITS, logits);
        return new Outputs(map);
    }

    /** An adapter parameter found by its name ("weight", "gamma" …), the n-th of that name. */
    static Parameter find(Adapters adapters, String name, int occurrence) {
        int seen = 0;
        for (Parameter p : adapters.trainableParameters()) {
            if (p.getName().equals(name) && seen++ == occurrence) {
                return p;
            }
        }
        throw new IllegalArgumentException("no parameter " + name + " #" + occurrence);
    }

    /** Its values as doubles, for hand computations. */
    static double[] parameter(Adapters adapters, String name, int occurrence) {
        return find(adapters, name, occurrence).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** A float64 copy in {@code m}: the same weights, fixed, for float64 finite differences. */
    static NDArray parameter64(NDManager m, Adapters adapters, String name, int occurrence) {
        Parameter p = find(adapters, name, occurrence);
        return m.create(parameter(adapters, name, occurrence), p.getArray().getShape());
    }

    /** A scalar of any float type as a double. */
    static double scalar(NDArray a) {
        return a.toType(DataType.FLOAT64, false).getDouble();
    }

    /** Mean cross-entropy of logits rows against labels, by hand. */
    static double crossEntropy(double[] logits, int classes, int[] labels) {
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[i * classes + c]);
            }
            double z = 0;
            for (int c = 0; c < classes; c++) {
                z += Math.exp(logits[i * classes + c] - max);
            }
            sum -= logits[i * classes + labels[i]] - max - Math.log(z);
        }
        return sum / labels.length;
    }

    /** The float32 autograd gradient of compute() equals that of the float64 reference {@code f}. */
    static void assertSameGradient(NDManager m, DistillationLoss loss, Function<NDArray, NDArray> f, double[] x,
            Shape shape, String sTap, String tTap, NDArray teacher64) {
        NDArray x64 = m.create(x, shape);
        x64.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(f.apply(x64));
        }
        NDArray x32 = f32(m, x, shape);
        x32.setRequiresGradient(true);
        NDArray t32 = teacher64.toType(DataType.FLOAT32, false);
        t32.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.compute(Fixtures.outputs(m.zeros(new Shape(2, 10)), sTap, x32),
                    new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)), tTap, t32)),
                    Batches.withLabels(m, 1, 4)).total());
        }
        double[] expected = x64.getGradient().toDoubleArray();
        double[] actual = x32.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertTrue(scale > 0);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * scale, "gradient element " + i);
        }
        for (double g : t32.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) {
            assertEquals(0.0, g, "the teacher's tap receives no gradient");
        }
    }
}

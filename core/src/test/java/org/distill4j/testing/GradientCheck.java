package org.distill4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.Function;

/**
 * Checks an autograd gradient against central finite differences of the same function, in
 * float64 so that differences of 1e-6 are meaningful. Every loss's test uses it.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /**
     * Asserts that d f / d x from autograd equals (f(x+h) − f(x−h)) / 2h element by element.
     *
     * @param f a scalar function of one float64 array, built from NDArray operations
     */
    public static void assertGradient(Function<NDArray, NDArray> f, double[] x, Shape shape) {
        double h = 1e-6;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray input = m.create(x, shape);
            input.setRequiresGradient(true);
            double[] analytic;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(input);
                gc.backward(y);
            }
            analytic = input.getGradient().toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                double[] plus = x.clone();
                double[] minus = x.clone();
                plus[i] += h;
                minus[i] -= h;
                double fp = f.apply(m.create(plus, shape)).getDouble();
                double fm = f.apply(m.create(minus, shape)).getDouble();
                double numeric = (fp - fm) / (2 * h);
                assertEquals(numeric, analytic[i], 1e-6 + 1e-5 * Math.abs(numeric),
                        "gradient element " + i + ": finite difference " + numeric + " vs autograd " + analytic[i]);
            }
        }
    }
}

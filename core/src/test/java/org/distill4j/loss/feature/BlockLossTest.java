package org.distill4j.loss.feature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

/** DNA's block-wise loss against a hand computation and central finite differences. */
class BlockLossTest {
    static final Shape MAP = new Shape(2, 1, 2, 2); // a batch of 2 maps, C=1, 2×2
    static final double[] STUDENT = {0.5, -1, 2, 0, 1, 1, -0.5, 3};
    static final double[] TEACHER = {1, 0, 2, 1, 0, 2, 0, 1};

    @Test
    void isTheMeanSquaredDifferenceOverAllValues() {
        // differences -0.5, -1, 0, -1, 1, -1, -0.5, 2 → squares 0.25, 1, 0, 1, 1, 1, 0.25, 4 = 8.5, over 8 values
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(8.5 / 8, BlockLoss.mse(m.create(STUDENT, MAP), m.create(TEACHER, MAP)).getDouble(), 1e-12);
        }
        assertEquals(0.25, BlockLoss.relative(2, 8), 0);
    }

    @Test
    void gradientMatchesFiniteDifferencesAndSparesTheTeacher() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray teacher = m.create(TEACHER, MAP);
            GradientCheck.assertGradient(s -> BlockLoss.mse(s, teacher), STUDENT, MAP);
            // by hand: d/ds mean((s − t)²) = 2(s − t)/8
            NDArray s = m.create(STUDENT, MAP);
            NDArray t = m.create(TEACHER, MAP);
            s.setRequiresGradient(true);
            t.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(BlockLoss.mse(s, t));
            }
            double[] g = s.getGradient().toDoubleArray();
            for (int i = 0; i < g.length; i++) {
                assertEquals(2 * (STUDENT[i] - TEACHER[i]) / 8, g[i], 1e-12);
            }
            assertEquals(0, t.getGradient().abs().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble(), 0,
                    "no gradient reaches the teacher");
        }
    }

    @Test
    void rejectsMismatchedShapesAndAnEmptyTeacher() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BlockLoss.mse(m.zeros(new Shape(2, 1, 2, 2)), m.zeros(new Shape(2, 2, 2, 2))));
            assertTrue(e.getMessage().contains("(2, 1, 2, 2)") && e.getMessage().contains("(2, 2, 2, 2)"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> BlockLoss.relative(1, 0));
    }
}

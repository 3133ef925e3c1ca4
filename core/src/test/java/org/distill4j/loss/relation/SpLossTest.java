package org.distill4j.loss.relation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.TapException;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class SpLossTest {
    // B = 3; the student's tap is a 1×2×2 map per sample (flattened to 4), the teacher's a 2-vector.
    static final double[] S = {0.5, -1.0, 2.0, 0.3, 1.5, 0.2, -0.7, 1.1, -0.4, 0.9, 0.6, -1.3};
    static final Shape S_SHAPE = new Shape(3, 1, 2, 2);
    static final double[] T = {1.0, 0.2, -0.5, 1.4, 0.8, 0.9};
    static final Shape T_SHAPE = new Shape(3, 2);
    static final double[] Z = {1.0, 0.1, -0.3, 0.2, 0.4, 1.2, -0.5, 0.7, 0.0};
    static final int[] LABELS = {0, 2, 1};

    /** (1/B²)·Σ (G̃_t − G̃_s)² with G̃ = row-normalised F·Fᵀ, by loops. */
    static double reference(double[] s, double[] t) {
        double[][] gs = normalisedGram(Reference.rows(s, 3));
        double[][] gt = normalisedGram(Reference.rows(t, 3));
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                sum += Math.pow(gt[i][j] - gs[i][j], 2);
            }
        }
        return sum / 9;
    }

    static double[][] normalisedGram(double[][] f) {
        double[][] g = new double[f.length][f.length];
        for (int i = 0; i < f.length; i++) {
            for (int j = 0; j < f.length; j++) {
                g[i][j] = Reference.dot(f[i], f[j]);
            }
            g[i] = Reference.unit(g[i]);
        }
        return g;
    }

    private static LossValue compute(NDManager m, DistillationLoss loss, NDArray s, NDArray t, Batch b) {
        return loss.compute(Fixtures.outputs(m.create(Z, new Shape(3, 3)), "embedding", s),
                Fixtures.knowledge(m.create(Z, new Shape(3, 3)), "pool", t), b);
    }

    @Test
    void valueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            SpLoss loss = new SpLoss("embedding", "pool", 3000);
            LossValue v = compute(m, new WeightedSum(0.5, loss), m.create(S, S_SHAPE), m.create(T, T_SHAPE), Batches.withLabels(m, LABELS));
            double sp = reference(S, T);
            double ce = Reference.crossEntropy(Reference.rows(Z, 3), LABELS);
            assertTrue(sp > 1e-3, "a case where the similarities differ: " + sp);
            assertEquals(3000 * sp, v.terms().get(SpLoss.TERM).getDouble(), 1e-9);
            assertEquals(0.5 * ce, v.terms().get("ce").getDouble(), 1e-12);
            assertEquals(3000 * sp + 0.5 * ce, v.total().getDouble(), 1e-9);
            // identical relations (teacher = student scaled) cost nothing: only directions count
            double[] scaled = S.clone();
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] *= 7;
            }
            assertEquals(0, SpLoss.of(m.create(S, S_SHAPE), m.create(scaled, S_SHAPE)).getDouble(), 1e-12);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            SpLoss loss = new SpLoss("embedding", "pool", 3000);
            Batch b = Batches.withLabels(m, LABELS);
            GradientCheck.assertGradient(s -> compute(m, new WeightedSum(1, loss), s, m.create(T, T_SHAPE), b).total(), S, S_SHAPE);
        }
    }

    @Test
    void missingTapNamesBothTaps() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            SpLoss loss = new SpLoss("stage9", "pool", 3000);
            TapException e = assertThrows(TapException.class, () -> loss.bind(Fixtures.binding(
                    Fixtures.shapes("student", "embedding", new Shape(4)),
                    Fixtures.shapes("teacher", "pool", new Shape(2)), a)));
            assertTrue(e.getMessage().contains("'stage9'") && e.getMessage().contains("'pool'")
                    && e.getMessage().contains("embedding"), e.getMessage());
        }
    }

    @Test
    void teacherReceivesNoGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(S, S_SHAPE);
            NDArray t = m.create(T, T_SHAPE);
            s.setRequiresGradient(true);
            t.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(compute(m, new WeightedSum(1, new SpLoss("embedding", "pool", 3000)), s, t, Batches.withLabels(m, LABELS))
                        .total());
            }
            assertTrue(Fixtures.gradientMass(s) > 0, "the student does learn");
            assertEquals(0.0, Fixtures.gradientMass(t));
        }
    }
}

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

class RkdLossTest {
    // B = 4; student embeddings of 3 values, teacher embeddings of 2.
    static final double[] S = {0.5, -1.0, 2.0, 1.5, 0.2, -0.7, -0.4, 0.9, 0.6, 1.1, 1.3, -0.2};
    static final Shape S_SHAPE = new Shape(4, 3);
    static final double[] T = {1.0, 0.2, -0.5, 1.4, 0.8, -0.9, 0.1, 0.3};
    static final Shape T_SHAPE = new Shape(4, 2);
    static final double[] Z = {1.0, 0.1, -0.3, 0.2, 0.4, 1.2, -0.5, 0.7, 0.0, 0.3, 0.3, -0.1};
    static final int[] LABELS = {0, 2, 1, 1};

    /** Distances divided by their mean over i ≠ j (all non-zero here). */
    static double[][] normalisedDistances(double[] flat) {
        double[][] d = Reference.distances(Reference.rows(flat, 4), false);
        double sum = 0;
        for (double[] row : d) {
            for (double x : row) {
                sum += x;
            }
        }
        double mean = sum / 12;
        for (double[] row : d) {
            for (int j = 0; j < row.length; j++) {
                row[j] /= mean;
            }
        }
        return d;
    }

    static double distanceTerm(double[] s, double[] t) {
        double[][] ds = normalisedDistances(s);
        double[][] dt = normalisedDistances(t);
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                sum += Reference.huber(ds[i][j] - dt[i][j]);
            }
        }
        return sum / 16;
    }

    /** cos(f_j − f_i, f_k − f_i), 0 when j = i or k = i. */
    static double angle(double[][] f, int i, int j, int k) {
        if (j == i || k == i) {
            return 0;
        }
        return Reference.dot(Reference.unit(Reference.minus(f[j], f[i])), Reference.unit(Reference.minus(f[k], f[i])));
    }

    static int bigAngleDifferences;

    static double angleTerm(double[] s, double[] t) {
        double[][] fs = Reference.rows(s, 4);
        double[][] ft = Reference.rows(t, 4);
        double sum = 0;
        bigAngleDifferences = 0;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 4; k++) {
                    double x = angle(fs, i, j, k) - angle(ft, i, j, k);
                    bigAngleDifferences += Math.abs(x) > 1 ? 1 : 0;
                    sum += Reference.huber(x);
                }
            }
        }
        return sum / 64;
    }

    private static LossValue compute(NDManager m, DistillationLoss loss, NDArray s, NDArray t, Batch b) {
        return loss.compute(Fixtures.outputs(m.create(Z, new Shape(4, 3)), "embedding", s),
                Fixtures.knowledge(m.create(Z, new Shape(4, 3)), "embedding", t), b);
    }

    @Test
    void valueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = compute(m, new WeightedSum(1, new RkdLoss("embedding", "embedding", 25, 50)), m.create(S, S_SHAPE),
                    m.create(T, T_SHAPE), Batches.withLabels(m, LABELS));
            double d = distanceTerm(S, T);
            double a = angleTerm(S, T);
            assertTrue(bigAngleDifferences > 0, "both branches of the Huber loss are exercised");
            double ce = Reference.crossEntropy(Reference.rows(Z, 4), LABELS);
            assertEquals(25 * d, v.terms().get(RkdLoss.DISTANCE).getDouble(), 1e-10);
            assertEquals(50 * a, v.terms().get(RkdLoss.ANGLE).getDouble(), 1e-10);
            assertEquals(ce + 25 * d + 50 * a, v.total().getDouble(), 1e-10);
            // relations are invariant to scale and translation of the embedding
            double[] moved = S.clone();
            for (int i = 0; i < moved.length; i++) {
                moved[i] = 3 * moved[i] + (i % 3);
            }
            assertEquals(0, RkdLoss.distanceLoss(m.create(S, S_SHAPE), m.create(moved, S_SHAPE)).getDouble(), 1e-12);
            assertEquals(0, RkdLoss.angleLoss(m.create(S, S_SHAPE), m.create(moved, S_SHAPE)).getDouble(), 1e-12);
        }
    }

    @Test
    void zeroWeightDropsTheTerm() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = compute(m, new WeightedSum(1, new RkdLoss("embedding", "embedding", 0, 50)), m.create(S, S_SHAPE),
                    m.create(T, T_SHAPE), Batches.withLabels(m, LABELS));
            assertEquals(java.util.Set.of("ce", RkdLoss.ANGLE), v.terms().keySet());
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, LABELS);
            RkdLoss loss = new RkdLoss("embedding", "embedding", 25, 50);
            GradientCheck.assertGradient(s -> compute(m, new WeightedSum(1, loss), s, m.create(T, T_SHAPE), b).total(), S, S_SHAPE);
        }
    }

    /**
     * Two all-zero rows (dead ReLUs) coincide: the angles at that pair are undefined. The gradient stays
     * finite and of ordinary size instead of the 1/ε = 1e12 a normalised zero vector would send.
     */
    @Test
    void coincidentSamplesKeepTheGradientOrdinary() {
        try (NDManager m = NDManager.newBaseManager()) {
            double[] s = S.clone();
            java.util.Arrays.fill(s, 0, 6, 0.0);
            NDArray x = m.create(s, S_SHAPE);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(compute(m, new WeightedSum(1, new RkdLoss("embedding", "embedding", 25, 50)), x, m.create(T, T_SHAPE),
                        Batches.withLabels(m, LABELS)).total());
            }
            for (double g : x.getGradient().toDoubleArray()) {
                assertTrue(Double.isFinite(g) && Math.abs(g) < 1e3, "ordinary gradient, got " + g);
            }
            // the other triplets still count: the angle term is not zero
            assertTrue(RkdLoss.angleLoss(m.create(s, S_SHAPE), m.create(T, T_SHAPE)).getDouble() > 0.01);
        }
    }

    @Test
    void missingTapNamesBothTaps() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            RkdLoss loss = new RkdLoss("embedding", "penultimate", 25, 50);
            TapException e = assertThrows(TapException.class, () -> loss.bind(Fixtures.binding(
                    Fixtures.shapes("student", "embedding", new Shape(3)),
                    Fixtures.shapes("teacher", "embedding", new Shape(2), "pool", new Shape(2)), a)));
            assertTrue(e.getMessage().startsWith("rkd:") && e.getMessage().contains("student tap 'embedding' (shape (3))")
                    && e.getMessage().contains("teacher tap 'penultimate' (missing") && e.getMessage().contains("pool"),
                    e.getMessage());
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
                gc.backward(compute(m, new WeightedSum(1, new RkdLoss("embedding", "embedding", 25, 50)), s, t,
                        Batches.withLabels(m, LABELS)).total());
            }
            assertTrue(Fixtures.gradientMass(s) > 0);
            assertEquals(0.0, Fixtures.gradientMass(t));
        }
    }
}

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

class PktLossTest {
    // B = 3; student 4 values per sample, teacher 2.
    static final double[] S = {0.5, -1.0, 2.0, 0.3, 1.5, 0.2, -0.7, 1.1, -0.4, 0.9, 0.6, -1.3};
    static final Shape S_SHAPE = new Shape(3, 4);
    static final double[] T = {1.0, 0.2, -0.5, 1.4, 0.8, -0.9};
    static final Shape T_SHAPE = new Shape(3, 2);
    static final double[] Z = {1.0, 0.1, -0.3, 0.2, 0.4, 1.2, -0.5, 0.7, 0.0};
    static final int[] LABELS = {0, 2, 1};
    static final double EPS = 1e-7;

    /** P[i][j] = K_ij / Σ_j K_ij with K = (cos + 1)/2 of f/(‖f‖ + ε), by loops. */
    static double[][] conditional(double[] flat) {
        double[][] f = Reference.rows(flat, 3);
        for (double[] row : f) {
            double n = Math.sqrt(Reference.dot(row, row)) + EPS;
            for (int k = 0; k < row.length; k++) {
                row[k] /= n;
            }
        }
        double[][] p = new double[3][3];
        for (int i = 0; i < 3; i++) {
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                p[i][j] = (Reference.dot(f[i], f[j]) + 1) / 2;
                sum += p[i][j];
            }
            for (int j = 0; j < 3; j++) {
                p[i][j] /= sum;
            }
        }
        return p;
    }

    static double reference(double[] s, double[] t) {
        double[][] ps = conditional(s);
        double[][] pt = conditional(t);
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                sum += pt[i][j] * Math.log((pt[i][j] + EPS) / (ps[i][j] + EPS));
            }
        }
        return sum / 9; // RepDistiller's torch.mean over the B² entries
    }

    private static LossValue compute(NDManager m, DistillationLoss loss, NDArray s, NDArray t, Batch b) {
        return loss.compute(Fixtures.outputs(m.create(Z, new Shape(3, 3)), "fc", s),
                Fixtures.knowledge(m.create(Z, new Shape(3, 3)), "embedding", t), b);
    }

    @Test
    void valueMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = compute(m, new WeightedSum(1, new PktLoss("fc", "embedding", 30000)), m.create(S, S_SHAPE),
                    m.create(T, T_SHAPE), Batches.withLabels(m, LABELS));
            double pkt = reference(S, T);
            assertTrue(pkt > 1e-3, "a case with different kernels: " + pkt);
            double ce = Reference.crossEntropy(Reference.rows(Z, 3), LABELS);
            assertEquals(30000 * pkt, v.terms().get(PktLoss.TERM).getDouble(), 1e-8);
            assertEquals(ce + 30000 * pkt, v.total().getDouble(), 1e-8);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batches.withLabels(m, LABELS);
            PktLoss loss = new PktLoss("fc", "embedding", 30000);
            GradientCheck.assertGradient(s -> compute(m, new WeightedSum(1, loss), s, m.create(T, T_SHAPE), b).total(), S, S_SHAPE);
        }
    }

    @Test
    void zeroRowHasAFiniteGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            double[] s = S.clone();
            java.util.Arrays.fill(s, 0, 4, 0.0);
            NDArray x = m.create(s, S_SHAPE);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(PktLoss.of(x, m.create(T, T_SHAPE)));
            }
            for (double g : x.getGradient().toDoubleArray()) {
                assertTrue(Double.isFinite(g), "finite gradient, got " + g);
            }
        }
    }

    @Test
    void missingTapsAreBothNamed() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            PktLoss loss = new PktLoss("fc9", "stage9", 30000);
            TapException e = assertThrows(TapException.class, () -> loss.bind(Fixtures.binding(
                    Fixtures.shapes("student", "fc1", new Shape(4)),
                    Fixtures.shapes("teacher", "stage3", new Shape(2, 7, 7)), a)));
            assertTrue(e.getMessage().contains("student tap 'fc9' (missing") && e.getMessage().contains("fc1")
                    && e.getMessage().contains("teacher tap 'stage9' (missing") && e.getMessage().contains("stage3"),
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
                gc.backward(compute(m, new WeightedSum(1, new PktLoss("fc", "embedding", 30000)), s, t, Batches.withLabels(m, LABELS))
                        .total());
            }
            assertTrue(Fixtures.gradientMass(s) > 0);
            assertEquals(0.0, Fixtures.gradientMass(t));
        }
    }
}

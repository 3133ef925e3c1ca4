package org.distill4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.model.Outputs;
import org.distill4j.testing.Batches;
import org.junit.jupiter.api.Test;

class WeightedSumTest {
    // Logits (B=2, C=3), labels [1, 2].
    static final double[] Z = {1.0, 2.0, 0.5, 0.2, -1.0, 3.0};
    static final Shape SHAPE = new Shape(2, 3);

    /** A loss of two terms of its own: {@code a = 2·Σ z}, {@code b = mean(z²)}. */
    static final class TwoTerms implements DistillationLoss {
        @Override
        public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
            NDArray z = student.logits();
            Map<String, NDArray> terms = new LinkedHashMap<>();
            terms.put("a", z.sum().mul(2));
            terms.put("b", z.square().mean());
            return LossValue.sum(terms);
        }

        @Override
        public boolean needsTeacher() {
            return false;
        }
    }

    static double handCe() {
        int[] labels = {1, 2};
        double sum = 0;
        for (int i = 0; i < 2; i++) {
            double z = 0;
            for (int c = 0; c < 3; c++) {
                z += Math.exp(Z[i * 3 + c]);
            }
            sum -= Z[i * 3 + labels[i]] - Math.log(z);
        }
        return sum / 2;
    }

    static LossValue compute(DistillationLoss loss, NDManager m, Batch b) {
        return loss.compute(Outputs.ofLogits(m.create(Z, SHAPE)), Knowledge.NONE, b);
    }

    static Batch unlabelled(NDManager m) {
        return new Batch(m.zeros(new Shape(2, 1)), null, new int[] {0, 1}, null);
    }

    @Test
    void valueIsCeWeightTimesCePlusTheTerms() {
        double a = 0;
        double b = 0;
        for (double z : Z) {
            a += 2 * z;
            b += z * z / Z.length;
        }
        double ce = handCe();
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = compute(new WeightedSum(0.3, new TwoTerms()), m, Batches.withLabels(m, 1, 2));
            assertEquals(List.of("ce", "a", "b"), List.copyOf(v.terms().keySet()), "ce first, then the loss's order");
            // the weight is applied as a float (as every loss did): 0.3f differs from 0.3 by 1.2e-8
            assertEquals(0.3 * ce, v.terms().get("ce").getDouble(), 1e-7);
            assertEquals(a, v.terms().get("a").getDouble(), 1e-12);
            assertEquals(b, v.terms().get("b").getDouble(), 1e-12);
            assertEquals(0.3 * ce + a + b, v.total().getDouble(), 1e-7);
        }
    }

    @Test
    void weightZeroStillReportsCeAsZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = compute(new WeightedSum(0, new TwoTerms()), m, Batches.withLabels(m, 1, 2));
            assertEquals(List.of("ce", "a", "b"), List.copyOf(v.terms().keySet()));
            assertEquals(0.0, v.terms().get("ce").getDouble(), 0.0);
            assertEquals(v.terms().get("a").getDouble() + v.terms().get("b").getDouble(), v.total().getDouble(), 1e-12);
        }
    }

    @Test
    void unlabelledBatchNeedsCeWeightZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            LossValue v = compute(new WeightedSum(0, new TwoTerms()), m, unlabelled(m));
            assertEquals(List.of("a", "b"), List.copyOf(v.terms().keySet()), "no labels: no ce term");
            assertEquals(v.terms().get("a").getDouble() + v.terms().get("b").getDouble(), v.total().getDouble(), 1e-12);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> compute(new WeightedSum(0.5, new TwoTerms()), m, unlabelled(m)));
            assertTrue(e.getMessage().contains("no labels") && e.getMessage().contains("ceWeight 0"), e.getMessage());
        }
    }

    @Test
    void aLossReportingItsOwnCeIsRejected() {
        DistillationLoss withCe = new DistillationLoss() {
            @Override
            public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
                return LossValue.of("ce", student.logits().sum());
            }
        };
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> compute(new WeightedSum(1, withCe), m, Batches.withLabels(m, 1, 2)));
            assertTrue(e.getMessage().contains("'ce'"), e.getMessage());
        }
    }
}

package org.distill4j.metric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChurnTest {
    static final float LN3 = (float) Math.log(3);

    /**
     * Three models, four samples, two classes. Logits (0, 0) give p = (1/2, 1/2); (ln 3, 0) give
     * (3/4, 1/4); (0, ln 3) give (1/4, 3/4). Top-1 of (0, 0) is class 0 (ties go to the lowest).
     */
    @Test
    void handCase() {
        Predictions a = new Predictions(new float[] {LN3, 0, 0, LN3, 0, 0, LN3, 0}, 2); // 0 1 0(tie) 0
        Predictions b = new Predictions(new float[] {LN3, 0, LN3, 0, 0, LN3, LN3, 0}, 2); // 0 0 1 0
        Predictions c = new Predictions(new float[] {0, LN3, 0, LN3, 0, LN3, 0, LN3}, 2); // 1 1 1 1
        Map<String, Predictions> models = new LinkedHashMap<>();
        models.put("a", a);
        models.put("b", b);
        models.put("c", c);
        Churn churn = Churn.between(models);
        assertEquals(3, churn.pairs().size());
        // a–b: samples 2 and 3 differ → 2/4; |Δp(class 0)| per sample: 0, 1/2, 1/4, 0 → mean 3/16
        // a–c: samples 1, 3, 4 differ → 3/4; |Δp|: 1/2, 0, 1/4, 1/2 → 5/16
        // b–c: samples 1, 2, 4 differ → 3/4; |Δp|: 1/2, 1/2, 0, 1/2 → 6/16
        assertPair(churn.pairs().get(0), "a", "b", 0.5, 3.0 / 16);
        assertPair(churn.pairs().get(1), "a", "c", 0.75, 5.0 / 16);
        assertPair(churn.pairs().get(2), "b", "c", 0.75, 6.0 / 16);
        assertEquals((0.5 + 0.75 + 0.75) / 3, churn.meanDisagreement(), 1e-12);
        assertEquals((3.0 + 5 + 6) / 16 / 3, churn.meanTotalVariation(), 1e-6);
    }

    private static void assertPair(Churn.Pair p, String a, String b, double disagreement, double tv) {
        assertEquals(a, p.a());
        assertEquals(b, p.b());
        assertEquals(disagreement, p.disagreement(), 1e-12);
        assertEquals(tv, p.totalVariation(), 1e-6); // float logits: ln 3 is rounded to float
    }

    @Test
    void identicalModelsHaveNoChurnAndOneModelIsRefused() {
        Predictions a = new Predictions(new float[] {1, 2, 3, 3, 2, 1}, 3);
        Churn churn = Churn.between(Map.of("x", a, "y", new Predictions(a.logits().clone(), 3)));
        assertEquals(0.0, churn.meanDisagreement(), 0.0);
        assertEquals(0.0, churn.meanTotalVariation(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> Churn.between(Map.of("x", a)));
    }
}

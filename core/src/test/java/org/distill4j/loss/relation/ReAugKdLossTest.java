package org.distill4j.loss.relation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.TapException;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ReAugKD's relational term against loops over its formula, its gradient, the neighbours' exclusion. */
class ReAugKdLossTest {
    // a knowledge base of 6 samples (ids 10…15) with embeddings of 3 values; a batch of samples 12, 10, 15
    static final int[] KB_IDS = {10, 11, 12, 13, 14, 15};
    static final float[] KB_VECTORS = {1f, 0.2f, -0.3f, 0.8f, 0.5f, 0.1f, -0.2f, 1f, 0.4f, 0.3f, -0.9f, 0.6f,
        0.9f, 0.1f, 0.2f, -0.5f, 0.4f, 1.1f};
    static final int[] IDS = {12, 10, 15};
    static final int[] LABELS = {1, 0, 2};
    static final double[] S = {0.5, -1.0, 2.0, 1.5, 0.2, -0.7, -0.4, 0.9, 0.6};
    static final double[] ZS = {1.0, 0.1, -0.3, 0.2, 0.4, 1.2, -0.5, 0.7, 0.0};
    static final double[] ZT = {0.3, 1.2, -0.4, 2.0, -0.1, 0.5, 0.0, 0.2, 1.5};
    static final int K = 2;
    static final double TAU = 0.5;
    static final double WEIGHT = 3;

    @TempDir
    Path tmp;

    KnowledgeBase knowledgeBase() throws IOException {
        Path dir = tmp.resolve("kb");
        float[] soft = new float[6 * 3];
        for (int r = 0; r < 6; r++) {
            soft[r * 3 + r % 3] = 1f;
        }
        KnowledgeBase.write(dir, new KnowledgeBase.Key("t", "d", "p", "b"), new KnowledgeBase.Settings("embedding", K,
                TAU, 0.5), KB_IDS, KB_VECTORS, 3, soft, 3);
        return KnowledgeBase.open(dir, null);
    }

    static ReAugKdLoss bound(Adapters a) {
        ReAugKdLoss loss = new ReAugKdLoss("embedding", "embedding", 2, 0.9, WEIGHT, TAU, K);
        loss.bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(3)),
                Fixtures.shapes("teacher", "embedding", new Shape(4)), a));
        return loss;
    }

    static Batch batch(NDManager m) {
        return new Batch(m.zeros(new Shape(3, 1)), m.create(LABELS), IDS.clone(), LABELS.clone());
    }

    static LossValue compute(NDManager m, ReAugKdLoss loss, NDArray s) {
        return loss.compute(Fixtures.outputs(m.create(ZS, new Shape(3, 3)), "embedding", s),
                Fixtures.knowledge(m.create(ZT, new Shape(3, 3)), "embedding", m.zeros(new Shape(3, 4))), batch(m));
    }

    static double[] unit(double[] v) {
        double n = Math.sqrt(SupConLossTest.dot(v, v));
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / n;
        }
        return u;
    }

    static double[] row(float[] flat, int r) {
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            v[i] = flat[r * 3 + i];
        }
        return v;
    }

    /** The k entries nearest to entry r by exact cosine, r itself excluded. */
    static int[] nearest(int r) {
        return java.util.stream.IntStream.range(0, 6).filter(j -> j != r).boxed()
                .sorted(java.util.Comparator.comparingDouble(j -> -SupConLossTest.dot(unit(row(KB_VECTORS, r)),
                        unit(row(KB_VECTORS, j))))).limit(K).mapToInt(Integer::intValue).toArray();
    }

    /** w/B·Σ_i KL(softmax_j(e_t_i·e_t_j/τ) ‖ softmax_j(e_s_i·e_t_j/τ)) over i's k neighbours, by loops. */
    static double reference() {
        double total = 0;
        for (int i = 0; i < 3; i++) {
            int r = IDS[i] - 10;
            double[] es = unit(new double[] {S[3 * i], S[3 * i + 1], S[3 * i + 2]});
            double[] et = unit(row(KB_VECTORS, r));
            int[] nb = nearest(r);
            double[] lt = new double[K];
            double[] ls = new double[K];
            for (int j = 0; j < K; j++) {
                double[] en = unit(row(KB_VECTORS, nb[j]));
                lt[j] = SupConLossTest.dot(et, en) / TAU;
                ls[j] = SupConLossTest.dot(es, en) / TAU;
            }
            double zt = 0;
            double zs = 0;
            for (int j = 0; j < K; j++) {
                zt += Math.exp(lt[j]);
                zs += Math.exp(ls[j]);
            }
            for (int j = 0; j < K; j++) {
                double qt = Math.exp(lt[j]) / zt;
                total += qt * (Math.log(qt) - Math.log(Math.exp(ls[j]) / zs));
            }
        }
        return WEIGHT * total / 3;
    }

    @Test
    void neighboursExcludeTheSampleItself() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m); KnowledgeBase kb = knowledgeBase()) {
            ReAugKdLoss loss = bound(a).attach(kb);
            for (int r = 0; r < 6; r++) {
                assertArrayEquals(nearest(r), loss.neighboursOf(KB_IDS[r]), "sample " + KB_IDS[r]);
            }
        }
    }

    @Test
    void valueMatchesHandComputation() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m); KnowledgeBase kb = knowledgeBase()) {
            LossValue v = compute(m, bound(a).attach(kb), m.create(S, new Shape(3, 3)));
            double relation = reference();
            assertTrue(relation > 1e-3, "a case where the relations differ: " + relation);
            // the stored vectors are float32: agreement to float32 precision
            assertEquals(relation, v.terms().get(ReAugKdLoss.TERM).getDouble(), 1e-6);
            double kd = 0.9 * 4 * KdLoss.klDivergence(m.create(ZT, new Shape(3, 3)), m.create(ZS, new Shape(3, 3)), 2)
                    .getDouble();
            assertEquals(kd, v.terms().get("kd").getDouble(), 1e-6); // α·T² is applied as a float
            assertEquals(relation + kd, v.total().getDouble(), 1e-6);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m); KnowledgeBase kb = knowledgeBase()) {
            ReAugKdLoss loss = bound(a).attach(kb);
            GradientCheck.assertGradient(s -> compute(m, loss, s).total(), S, new Shape(3, 3));
        }
    }

    @Test
    void aKnowledgeBaseOfAnotherSizeOrNoneIsRefused() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m); KnowledgeBase kb = knowledgeBase()) {
            ReAugKdLoss loss = new ReAugKdLoss("embedding", "embedding", 2, 0.9, WEIGHT, TAU, K);
            loss.bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(5)),
                    Fixtures.shapes("teacher", "embedding", new Shape(4)), a));
            TapException e = assertThrows(TapException.class, () -> loss.attach(kb));
            assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("5"), e.getMessage());
            IllegalStateException none = assertThrows(IllegalStateException.class,
                    () -> compute(m, bound(a), m.create(S, new Shape(3, 3))));
            assertTrue(none.getMessage().contains("scheme reaugkd"), none.getMessage());
            TapException missing = assertThrows(TapException.class, () -> new ReAugKdLoss("stage9", "embedding", 2, 0.9,
                    1, TAU, K).bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(3)),
                            Fixtures.shapes("teacher", "embedding", new Shape(4)), a)));
            assertTrue(missing.getMessage().contains("'stage9'"), missing.getMessage());
        }
    }
}

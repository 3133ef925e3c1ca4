package org.distill4j.loss.relation;

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

/** ReAugKD's relational term against loops over its formula, its gradient, and what it asks of the student. */
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
        ReAugKdLoss loss = new ReAugKdLoss("embedding", "embedding", 2, 0.9, WEIGHT, TAU);
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

    /**
     * w/B·Σ_i KL(softmax_{j≠i}(e_t_i·e_t_j/τ) ‖ softmax_{j≠i}(e_s_i·e_t_j/τ)) over the batch's other
     * samples j, by loops.
     */
    static double reference() {
        double total = 0;
        for (int i = 0; i < 3; i++) {
            double[] es = unit(new double[] {S[3 * i], S[3 * i + 1], S[3 * i + 2]});
            double[] et = unit(row(KB_VECTORS, IDS[i] - 10));
            double[] lt = new double[3];
            double[] ls = new double[3];
            double zt = 0;
            double zs = 0;
            for (int j = 0; j < 3; j++) {
                if (j != i) {
                    double[] ej = unit(row(KB_VECTORS, IDS[j] - 10));
                    lt[j] = SupConLossTest.dot(et, ej) / TAU;
                    ls[j] = SupConLossTest.dot(es, ej) / TAU;
                    zt += Math.exp(lt[j]);
                    zs += Math.exp(ls[j]);
                }
            }
            for (int j = 0; j < 3; j++) {
                if (j != i) {
                    double qt = Math.exp(lt[j]) / zt;
                    total += qt * (Math.log(qt) - Math.log(Math.exp(ls[j]) / zs));
                }
            }
        }
        return WEIGHT * total / 3;
    }

    /**
     * The regression of issue 13 (retrieval fetched other classes' soft labels): over a knowledge base
     * of two tight class clusters, a student whose embeddings sit in the other class's cluster must
     * cost clearly more than one whose embeddings sit in their own. Relations over each entry's k
     * nearest entries (all of its own tight cluster) cost both nearly nothing.
     */
    @Test
    void aStudentEmbeddingAmongTheWrongClassCostsMoreThanAmongItsOwn() throws IOException {
        int n = 8;
        int[] ids = new int[n];
        float[] vectors = new float[n * 3];
        float[] soft = new float[n * 2];
        for (int r = 0; r < n; r++) {
            int c = r % 2;
            ids[r] = r;
            vectors[r * 3 + c] = 1f; // class 0 along x, class 1 along y, each jittered a little in z
            vectors[r * 3 + 2] = 0.01f * r;
            soft[r * 2 + c] = 1f;
        }
        Path dir = tmp.resolve("clusters");
        KnowledgeBase.write(dir, new KnowledgeBase.Key("t", "d", "p", "b"), new KnowledgeBase.Settings("embedding", 2,
                0.1, 0.5), ids, vectors, 3, soft, 2);
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m);
                KnowledgeBase kb = KnowledgeBase.open(dir, null)) {
            ReAugKdLoss loss = new ReAugKdLoss("embedding", "embedding", 2, 0.9, 1, 0.1);
            loss.bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(3)),
                    Fixtures.shapes("teacher", "embedding", new Shape(4)), a));
            loss.attach(kb);
            int[] batchIds = {0, 1, 2, 3, 4, 5};
            double[] own = new double[6 * 3];
            double[] wrong = new double[6 * 3];
            for (int i = 0; i < 6; i++) {
                own[i * 3 + i % 2] = 1;
                wrong[i * 3 + 1 - i % 2] = 1;
            }
            double atHome = relation(m, loss, batchIds, own);
            double astray = relation(m, loss, batchIds, wrong);
            assertTrue(atHome < 0.05, "embeddings among their own class: " + atHome);
            assertTrue(astray > 1 + atHome, "embeddings among the other class: " + astray + " vs " + atHome);
        }
    }

    static double relation(NDManager m, ReAugKdLoss loss, int[] ids, double[] s) {
        int b = ids.length;
        Batch batch = new Batch(m.zeros(new Shape(b, 1)), m.create(new int[b]), ids.clone(), new int[b]);
        NDArray logits = m.zeros(new Shape(b, 2));
        return loss.compute(Fixtures.outputs(logits, "embedding", m.create(s, new Shape(b, 3))),
                Fixtures.knowledge(logits, "embedding", m.zeros(new Shape(b, 4))), batch).terms().get(ReAugKdLoss.TERM)
                .getDouble();
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
            ReAugKdLoss loss = new ReAugKdLoss("embedding", "embedding", 2, 0.9, WEIGHT, TAU);
            loss.bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(5)),
                    Fixtures.shapes("teacher", "embedding", new Shape(4)), a));
            TapException e = assertThrows(TapException.class, () -> loss.attach(kb));
            assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("5"), e.getMessage());
            IllegalStateException none = assertThrows(IllegalStateException.class,
                    () -> compute(m, bound(a), m.create(S, new Shape(3, 3))));
            assertTrue(none.getMessage().contains("scheme reaugkd"), none.getMessage());
            TapException missing = assertThrows(TapException.class, () -> new ReAugKdLoss("stage9", "embedding", 2, 0.9,
                    1, TAU).bind(Fixtures.binding(Fixtures.shapes("student", "embedding", new Shape(3)),
                            Fixtures.shapes("teacher", "embedding", new Shape(4)), a)));
            assertTrue(missing.getMessage().contains("'stage9'"), missing.getMessage());
        }
    }
}

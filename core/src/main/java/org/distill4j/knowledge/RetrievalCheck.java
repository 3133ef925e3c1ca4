package org.distill4j.knowledge;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Outputs;

/**
 * How ReAugKD's retrieval answers on a labelled set, for each number of neighbours k tried: the
 * retrieved soft labels alone ({@code β = 1}), the mixture at each β of {@link #BETAS}, and how
 * often a query's k neighbours carry its true class and its teacher's class (the argmax of their
 * stored soft labels; the latter only when the teacher's answers are given); beside the network
 * alone. Scheme {@code reaugkd} computes it on the validation split — never the test split — and
 * ships the k and β with the best accuracy there ({@link #best}); {@code evaluate} prints it for a
 * trained student. If the student's embedding does not land among the right teacher entries,
 * {@code neighboursOfItsClass} says so.
 *
 * @param samples queries
 * @param tau temperature of the neighbours' weights
 * @param network accuracy of the network alone (β = 0)
 * @param betas the mixing weights tried
 * @param byK the results for each k tried
 */
public record RetrievalCheck(int samples, double tau, double network, double[] betas, List<AtK> byK) {
    /** The mixing weights tried: 0, 0.1, …, 1. */
    public static final double[] BETAS = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    /** The numbers of neighbours tried when the method leaves k out. */
    public static final int[] KS = {1, 4, 8, 16, 32, 64};
    private static final int BATCH = 500;

    /**
     * Retrieval with {@code k} neighbours.
     *
     * @param retrieved accuracy of the retrieved soft labels alone (β = 1)
     * @param neighboursOfItsClass fraction of neighbours whose stored soft labels' argmax is the query's label
     * @param neighboursOfTeacherClass fraction of neighbours whose argmax is the teacher's on the query
     *     (null without the teacher's answers)
     * @param accuracy the accuracy at each of the check's {@code betas}
     */
    public record AtK(int k, double retrieved, double neighboursOfItsClass, Double neighboursOfTeacherClass,
            double[] accuracy) {}

    /** The chosen retrieval: {@code k} neighbours mixed at {@code beta}, and its accuracy. */
    public record Choice(int k, double beta, double accuracy) {}

    /**
     * The check of {@code net} retrieving from {@code kb} with each of {@code ks} neighbours
     * (weighted at {@code tau}) on {@code data}, at each β of {@link #BETAS} and at {@code beta}
     * (null: none more); {@code teacherClasses}, the teacher's argmax per sample of {@code data}, may
     * be null.
     */
    public static RetrievalCheck of(InferenceModel net, KnowledgeBase kb, Dataset data, NDManager root, int[] ks,
            double tau, Double beta, int[] teacherClasses) throws IOException {
        double[] betas = beta == null || java.util.Arrays.stream(BETAS).anyMatch(b -> b == beta) ? BETAS.clone()
                : java.util.stream.DoubleStream.concat(java.util.Arrays.stream(BETAS),
                        java.util.stream.DoubleStream.of(beta)).sorted().toArray();
        int classes = kb.classes();
        int n = data.size();
        int[] labels = data.labels();
        int kmax = java.util.Arrays.stream(ks).max().orElseThrow();
        long[][] correct = new long[ks.length][betas.length];
        long[] ofItsClass = new long[ks.length];
        long[] ofTeacherClass = new long[ks.length];
        long[] neighbours = new long[ks.length];
        long networkCorrect = 0;
        BatchLoader loader = new BatchLoader(data, BATCH, false, 0, false);
        int offset = 0;
        for (int[] positions : loader.plan(0)) {
            try (NDManager scope = root.newSubManager()) {
                Batch batch = loader.load(scope, positions);
                Outputs o = net.infer(batch); // every named input (a text batch: its attention mask)
                int b = positions.length;
                float[] logits = o.logits().toFloatArray();
                float[] queries = o.get(kb.settings().tap()).toFloatArray();
                int[][] nb = kb.search(queries, b, kmax, null);
                for (int q = 0; q < b; q++) {
                    int label = labels[offset + q];
                    double[] ps = KnowledgeBase.softmax(logits, q * classes, classes);
                    networkCorrect += argMax(ps) == label ? 1 : 0;
                    float[] v = KnowledgeBase.normalised(queries, q * kb.dim(), kb.dim());
                    for (int i = 0; i < ks.length; i++) {
                        int[] near = java.util.Arrays.copyOf(nb[q], Math.min(ks[i], nb[q].length));
                        double[] retrieved = kb.weighted(v, near, tau);
                        for (int j = 0; j < betas.length; j++) {
                            double[] p = new double[classes];
                            for (int c = 0; c < classes; c++) {
                                p[c] = betas[j] * retrieved[c] + (1 - betas[j]) * ps[c];
                            }
                            correct[i][j] += argMax(p) == label ? 1 : 0;
                        }
                        for (int row : near) {
                            int c = kb.teacherClass(row);
                            ofItsClass[i] += c == label ? 1 : 0;
                            ofTeacherClass[i] += teacherClasses != null && c == teacherClasses[offset + q] ? 1 : 0;
                            neighbours[i]++;
                        }
                    }
                }
                offset += b;
            }
        }
        List<AtK> byK = new ArrayList<>();
        for (int i = 0; i < ks.length; i++) {
            double[] accuracy = new double[betas.length];
            for (int j = 0; j < betas.length; j++) {
                accuracy[j] = (double) correct[i][j] / n;
            }
            double nbs = Math.max(neighbours[i], 1);
            byK.add(new AtK(ks[i], accuracy[betas.length - 1], ofItsClass[i] / nbs,
                    teacherClasses == null ? null : ofTeacherClass[i] / nbs, accuracy));
        }
        return new RetrievalCheck(n, tau, (double) networkCorrect / n, betas, byK);
    }

    /**
     * The knowledge base checked against itself: every entry's stored teacher embedding as the
     * query, itself excluded; the fraction of its k neighbours whose soft labels' argmax equals its
     * own — how well the projected teacher space alone would retrieve, the ceiling for a student
     * whose embedding lands where the teacher's does.
     */
    public static double selfAgreement(KnowledgeBase kb, int k) throws IOException {
        int n = kb.size();
        int[] ids = new int[n];
        for (int r = 0; r < n; r++) {
            ids[r] = kb.id(r);
        }
        int[][] nb = kb.search(kb.vectors(), n, k, ids);
        long same = 0;
        long all = 0;
        for (int r = 0; r < n; r++) {
            int own = kb.teacherClass(r);
            for (int row : nb[r]) {
                same += kb.teacherClass(row) == own ? 1 : 0;
                all++;
            }
        }
        return (double) same / Math.max(all, 1);
    }

    /**
     * The k and β with the best accuracy, β fixed to {@code beta} unless null; ties: the smaller β
     * (the network trusted first), then the smaller k (a cheaper search).
     */
    public Choice best(Double beta) {
        Choice best = null;
        for (int j = 0; j < betas.length; j++) {
            if (beta != null && betas[j] != beta) {
                continue;
            }
            for (AtK at : byK) {
                if (best == null || at.accuracy()[j] > best.accuracy()) {
                    best = new Choice(at.k(), betas[j], at.accuracy()[j]);
                }
            }
        }
        return best;
    }

    /** The results with {@code k} neighbours, one of those tried. */
    public AtK at(int k) {
        return byK.stream().filter(a -> a.k() == k).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "k " + k + " was not tried (tried " + byK.stream().map(AtK::k).toList() + ")"));
    }

    private static int argMax(double[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }
}

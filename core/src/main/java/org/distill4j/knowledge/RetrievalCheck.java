package org.distill4j.knowledge;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Outputs;

/**
 * How ReAugKD's retrieval answers on a labelled set: the network alone, the retrieved soft labels
 * alone ({@code β = 1}), the mixture at each β of {@link #BETAS}, and how often a query's k
 * neighbours carry its true class and its teacher's class (the argmax of their stored soft labels;
 * the latter only when the teacher's answers are given). Scheme {@code reaugkd} computes it on the
 * validation split — never the test split — and ships the β with the best accuracy there
 * ({@link #bestBeta}); {@code evaluate} prints it for a trained student. If the student's
 * embedding does not land among the right teacher entries, {@code neighboursOfItsClass} says so.
 *
 * @param samples queries
 * @param k neighbours per query
 * @param tau temperature of the neighbours' weights
 * @param network accuracy of the network alone (β = 0)
 * @param retrieved accuracy of the retrieved soft labels alone (β = 1)
 * @param neighboursOfItsClass fraction of neighbours whose stored soft labels' argmax is the query's label
 * @param neighboursOfTeacherClass fraction of neighbours whose argmax is the teacher's on the query
 *     (null without the teacher's answers)
 * @param betas the mixing weights tried
 * @param accuracy the accuracy at each of {@code betas}
 */
public record RetrievalCheck(int samples, int k, double tau, double network, double retrieved,
        double neighboursOfItsClass, Double neighboursOfTeacherClass, double[] betas, double[] accuracy) {
    /** The mixing weights tried: 0, 0.1, …, 1. */
    public static final double[] BETAS = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    private static final int BATCH = 500;

    /**
     * The check of {@code net} retrieving from {@code kb} ({@code k} neighbours weighted at
     * {@code tau}) on {@code data}; {@code teacherClasses}, the teacher's argmax per sample of
     * {@code data}, may be null.
     */
    public static RetrievalCheck of(InferenceModel net, KnowledgeBase kb, Dataset data, NDManager root, int k,
            double tau, int[] teacherClasses) throws IOException {
        int classes = kb.classes();
        int n = data.size();
        int[] labels = data.labels();
        long[] correct = new long[BETAS.length];
        long ofItsClass = 0;
        long ofTeacherClass = 0;
        long neighbours = 0;
        BatchLoader loader = new BatchLoader(data, BATCH, false, 0, false);
        int offset = 0;
        for (int[] positions : loader.plan(0)) {
            try (NDManager scope = root.newSubManager()) {
                Batch batch = loader.load(scope, positions);
                Outputs o = net.infer(batch.input());
                int b = positions.length;
                float[] logits = o.logits().toFloatArray();
                KnowledgeBase.Retrieved r = kb.retrieve(o.get(kb.settings().tap()).toFloatArray(), b, k, tau);
                for (int q = 0; q < b; q++) {
                    int label = labels[offset + q];
                    double[] ps = KnowledgeBase.softmax(logits, q * classes, classes);
                    for (int i = 0; i < BETAS.length; i++) {
                        int best = 0;
                        double bestP = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < classes; c++) {
                            double p = BETAS[i] * r.soft()[q * classes + c] + (1 - BETAS[i]) * ps[c];
                            if (p > bestP) {
                                bestP = p;
                                best = c;
                            }
                        }
                        correct[i] += best == label ? 1 : 0;
                    }
                    for (int row : r.neighbours()[q]) {
                        int c = argMax(kb.softLabels(row));
                        ofItsClass += c == label ? 1 : 0;
                        ofTeacherClass += teacherClasses != null && c == teacherClasses[offset + q] ? 1 : 0;
                        neighbours++;
                    }
                }
                offset += b;
            }
        }
        double[] accuracy = new double[BETAS.length];
        for (int i = 0; i < BETAS.length; i++) {
            accuracy[i] = (double) correct[i] / n;
        }
        double nb = Math.max(neighbours, 1);
        return new RetrievalCheck(n, k, tau, accuracy[0], accuracy[BETAS.length - 1], ofItsClass / nb,
                teacherClasses == null ? null : ofTeacherClass / nb, BETAS.clone(), accuracy);
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
            int own = argMax(kb.softLabels(r));
            for (int row : nb[r]) {
                same += argMax(kb.softLabels(row)) == own ? 1 : 0;
                all++;
            }
        }
        return (double) same / Math.max(all, 1);
    }

    /** The β with the best accuracy (ties: the smallest, the network trusted first). */
    public double bestBeta() {
        int best = 0;
        for (int i = 1; i < betas.length; i++) {
            if (accuracy[i] > accuracy[best]) {
                best = i;
            }
        }
        return betas[best];
    }

    /** The accuracy at {@code beta}, one of {@link #betas}. */
    public double accuracyAt(double beta) {
        for (int i = 0; i < betas.length; i++) {
            if (Math.abs(betas[i] - beta) < 1e-9) {
                return accuracy[i];
            }
        }
        throw new IllegalArgumentException("beta " + beta + " was not tried (tried " + java.util.Arrays.toString(betas)
                + ")");
    }

    private static int argMax(float[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }
}

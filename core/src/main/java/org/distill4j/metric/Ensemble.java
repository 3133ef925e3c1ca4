package org.distill4j.metric;

import java.util.List;

/**
 * The ensemble of several models' predictions as the mean of their probabilities (softmax at
 * T=1), e.g. Furlanello et al.'s ensemble of born-again generations. Stored as predictions whose
 * "logits" are the log of the mean probabilities, so every metric applies unchanged (their
 * softmax gives back the mean).
 */
public final class Ensemble {
    private Ensemble() {}

    public static Predictions meanProbabilities(List<Predictions> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an ensemble needs at least one member");
        }
        int n = members.get(0).size();
        int classes = members.get(0).classes();
        for (Predictions p : members) {
            if (p.size() != n || p.classes() != classes) {
                throw new IllegalArgumentException("ensemble members must predict the same samples and classes ("
                        + n + " × " + classes + " vs " + p.size() + " × " + p.classes() + ")");
            }
        }
        float[] logits = new float[n * classes];
        for (int i = 0; i < n; i++) {
            double[] mean = new double[classes];
            for (Predictions p : members) {
                double[] q = p.probabilities(i);
                for (int c = 0; c < classes; c++) {
                    mean[c] += q[c] / members.size();
                }
            }
            for (int c = 0; c < classes; c++) {
                // floored so a class no member gives any mass stays finite
                logits[i * classes + c] = (float) Math.log(Math.max(mean[c], 1e-30));
            }
        }
        return new Predictions(logits, classes);
    }
}

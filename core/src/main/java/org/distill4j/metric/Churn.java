package org.distill4j.metric;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prediction churn between models that should be interchangeable (Anil et al. 2018, "Large
 * scale distributed neural network training through online distillation", §5: retrained models
 * disagree, and codistillation reduces it). For every pair (a, b) of models, in the given order,
 * over the same n samples (the test set):
 * <ul>
 *   <li>{@code disagreement = (1/n)·Σ_i [argmax_c p_a(c|x_i) ≠ argmax_c p_b(c|x_i)]}, the fraction
 *       of samples whose top-1 prediction differs (ties go to the lowest class, as in
 *       {@link Predictions#argMax}); it is {@code 1 − }{@link Metrics#agreement};</li>
 *   <li>{@code totalVariation = (1/n)·Σ_i ½·Σ_c |p_a(c|x_i) − p_b(c|x_i)|}, probabilities at
 *       temperature 1, in [0, 1]: the many-class form of the paper's mean absolute difference
 *       between predictions (with two classes it is exactly {@code |p_a(1|x) − p_b(1|x)|}).</li>
 * </ul>
 * The means are over all pairs (one pair for two models).
 */
public record Churn(List<Pair> pairs, double meanDisagreement, double meanTotalVariation) {
    /** The churn of one pair of models. */
    public record Pair(String a, String b, double disagreement, double totalVariation) {}

    /** Churn of every pair of the named predictions (at least two, all over the same samples). */
    public static Churn between(Map<String, Predictions> models) {
        if (models.size() < 2) {
            throw new IllegalArgumentException("churn needs at least two models, got " + models.keySet());
        }
        List<Map.Entry<String, Predictions>> list = new ArrayList<>(models.entrySet());
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            for (int j = i + 1; j < list.size(); j++) {
                Predictions a = list.get(i).getValue();
                Predictions b = list.get(j).getValue();
                pairs.add(new Pair(list.get(i).getKey(), list.get(j).getKey(), 1 - Metrics.agreement(a, b),
                        totalVariation(a, b)));
            }
        }
        return new Churn(List.copyOf(pairs), pairs.stream().mapToDouble(Pair::disagreement).average().orElseThrow(),
                pairs.stream().mapToDouble(Pair::totalVariation).average().orElseThrow());
    }

    /** Mean over samples of half the L1 distance between the two predicted distributions. */
    static double totalVariation(Predictions a, Predictions b) {
        if (a.size() != b.size() || a.classes() != b.classes()) {
            throw new IllegalArgumentException("predictions differ in count or classes");
        }
        double sum = 0;
        for (int i = 0; i < a.size(); i++) {
            double[] pa = a.probabilities(i);
            double[] pb = b.probabilities(i);
            for (int c = 0; c < pa.length; c++) {
                sum += 0.5 * Math.abs(pa[c] - pb[c]);
            }
        }
        return sum / a.size();
    }
}

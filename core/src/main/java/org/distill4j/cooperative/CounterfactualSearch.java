package org.distill4j.cooperative;

import java.util.ArrayList;
import java.util.List;

/**
 * How learner i makes a virtual instance for an instance {@code x} of class {@code y} it gets
 * right (Livanos et al., AAAI 2024, "Cooperative Knowledge Distillation: A Learner Agnostic
 * Approach"): a more typical example of {@code y} according to i, found by a black-box search
 * that only calls i's {@link Learner#predict} — so it works for a tree as for a network.
 *
 * <p>The search runs in the shared input space. Its direction is i's prototype of {@code y}:
 * the mean of the training instances of class {@code y} that i classifies correctly, each
 * weighted by i's confidence {@code f_i(y|x)} (an aggregate, never one row). Along the segment
 * {@code x_t = x + t·(p_y − x)}, {@code t = 1/steps, 2/steps, …, 1}, all candidates are scored by
 * i in one call (through i's view); the virtual instance is the nearest {@code x_t} whose
 * {@code f_i(y|x_t)} reaches {@code stopConfidence}, or else the most confident one. A candidate
 * that does not raise {@code f_i(y|·)} above {@code f_i(y|x)} is no virtual instance (the search
 * failed; none is sent). Its target is {@code f_i(x') + mix·(onehot(y) − f_i(x'))}, i's output on
 * the virtual instance moved toward the label ({@code mix = 0.5} in the paper).
 *
 * @param steps candidates along the segment, ≥ 1
 * @param stopConfidence the confidence in {@code y} at which the search stops, in (0, 1]
 * @param mix how far the target moves from i's output toward the label, in [0, 1]
 */
public record CounterfactualSearch(int steps, double stopConfidence, double mix) {
    public CounterfactualSearch {
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("searchSteps: must be in [1, 1000] (got " + steps + ")");
        }
        if (!(stopConfidence > 0 && stopConfidence <= 1)) {
            throw new IllegalArgumentException("stopConfidence: must be in (0, 1] (got " + stopConfidence + ")");
        }
        if (!(mix >= 0 && mix <= 1)) {
            throw new IllegalArgumentException("mix: must be in [0, 1] (got " + mix + ")");
        }
    }

    /** A virtual instance in the shared space, its target, and i's confidence in the true class before and after. */
    public record Virtual(float[] x, float[] target, int label, double before, double after) {}

    /**
     * The target of a virtual instance: {@code f + mix·(onehot(y) − f)}.
     *
     * @param f i's probabilities on the virtual instance
     * @param y its true class
     */
    public float[] target(float[] f, int y) {
        float[] t = new float[f.length];
        for (int c = 0; c < f.length; c++) {
            double onehot = c == y ? 1 : 0;
            t[c] = (float) (f[c] + mix * (onehot - f[c]));
        }
        return t;
    }

    /**
     * i's prototypes per class: the confidence-weighted mean of the correctly classified training
     * instances of each class (all of the class's instances if i gets none right; null for a
     * class without instances).
     *
     * @param shared training instances in the shared space
     * @param labels their classes
     * @param probs i's probabilities on them
     */
    public static float[][] prototypes(float[][] shared, int[] labels, float[][] probs, int numClasses) {
        float[][] out = new float[numClasses][];
        for (int c = 0; c < numClasses; c++) {
            double[] sum = new double[shared[0].length];
            double weight = 0;
            for (int pass = 0; pass < 2 && weight == 0; pass++) {
                for (int k = 0; k < shared.length; k++) {
                    if (labels[k] != c || (pass == 0 && Cooperation.argMax(probs[k]) != c)) {
                        continue;
                    }
                    double w = pass == 0 ? probs[k][c] : 1;
                    for (int d = 0; d < sum.length; d++) {
                        sum[d] += w * shared[k][d];
                    }
                    weight += w;
                }
            }
            if (weight > 0) {
                out[c] = new float[sum.length];
                for (int d = 0; d < sum.length; d++) {
                    out[c][d] = (float) (sum[d] / weight);
                }
            }
        }
        return out;
    }

    /**
     * The virtual instances i makes for {@code instances} (shared space) of classes {@code labels}:
     * one per instance where the search raises i's confidence, in their order.
     *
     * @param i learner i
     * @param view i's view
     * @param sharedShape the shared space's sample shape
     * @param prototypes i's {@link #prototypes}
     */
    public List<Virtual> search(Learner i, View view, long[] sharedShape, float[][] instances, int[] labels,
            float[][] prototypes) {
        int n = instances.length;
        float[][] candidates = new float[n * (steps + 1)][];
        for (int k = 0; k < n; k++) {
            float[] x = instances[k];
            float[] p = prototypes[labels[k]] == null ? x : prototypes[labels[k]];
            for (int s = 0; s <= steps; s++) {
                float t = (float) s / steps;
                float[] xt = new float[x.length];
                for (int d = 0; d < x.length; d++) {
                    xt[d] = x[d] + t * (p[d] - x[d]);
                }
                candidates[k * (steps + 1) + s] = xt;
            }
        }
        float[][] f = n == 0 ? new float[0][] : i.predict(view.apply(candidates, sharedShape));
        List<Virtual> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int y = labels[k];
            int base = k * (steps + 1);
            double before = f[base][y];
            int best = -1;
            for (int s = 1; s <= steps; s++) {
                double conf = f[base + s][y];
                if (best < 0 || conf > f[base + best][y]) {
                    best = s;
                }
                if (conf >= stopConfidence) {
                    best = s;
                    break;
                }
            }
            double after = f[base + best][y];
            if (after > before) {
                out.add(new Virtual(candidates[base + best], target(f[base + best], y), y, before, after));
            }
        }
        return out;
    }
}

package org.distill4j.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What a {@link Student} says about one input: the predicted class (the largest logit), its name,
 * the softmax probability of every class and the logits themselves. Immutable: the arrays are
 * copied in and out.
 */
public final class Prediction {
    private final int classIndex;
    private final List<String> classNames;
    private final double[] probabilities;
    private final float[] logits;

    /** One class and its probability, as {@link #top} ranks them. */
    public record Ranked(int classIndex, String className, double probability) {
    }

    /**
     * A prediction from logits: the class is the first largest logit, the probabilities their
     * softmax at temperature 1 (computed in double precision).
     *
     * @param classNames one name per logit, in class-index order
     */
    public static Prediction of(float[] logits, List<String> classNames) {
        if (logits.length != classNames.size() || logits.length == 0) {
            throw new IllegalArgumentException(logits.length + " logits for " + classNames.size() + " class names");
        }
        // The metrics' own softmax and argmax, so a prediction agrees with the evaluation exactly.
        org.distill4j.metric.Predictions one = new org.distill4j.metric.Predictions(logits.clone(), logits.length);
        int best = one.argMax(0);
        double[] p = one.probabilities(0);
        return new Prediction(best, List.copyOf(classNames), p, logits.clone());
    }

    private Prediction(int classIndex, List<String> classNames, double[] probabilities, float[] logits) {
        this.classIndex = classIndex;
        this.classNames = classNames;
        this.probabilities = probabilities;
        this.logits = logits;
    }

    /** The predicted class: the index of the largest logit (the first, on a tie). */
    public int classIndex() {
        return classIndex;
    }

    /** The predicted class's name. */
    public String className() {
        return classNames.get(classIndex);
    }

    /** The predicted class's probability. */
    public double probability() {
        return probabilities[classIndex];
    }

    /** The softmax probability of every class, in class-index order (a copy). */
    public double[] probabilities() {
        return probabilities.clone();
    }

    /** The network's logits, in class-index order (a copy). */
    public float[] logits() {
        return logits.clone();
    }

    /** The class names, in class-index order. */
    public List<String> classNames() {
        return classNames;
    }

    /** The {@code k} most probable classes, most probable first (ties by class index). */
    public List<Ranked> top(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k: must be ≥ 1 (got " + k + ")");
        }
        List<Ranked> out = new ArrayList<>();
        IntStream.range(0, probabilities.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(c -> -probabilities[c]).thenComparingInt(c -> c))
                .limit(k).forEach(c -> out.add(new Ranked(c, classNames.get(c), probabilities[c])));
        return List.copyOf(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prediction p && p.classIndex == classIndex && p.classNames.equals(classNames)
                && Arrays.equals(p.logits, logits) && Arrays.equals(p.probabilities, probabilities);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(logits) + classIndex;
    }

    @Override
    public String toString() {
        return className() + " (" + String.format(java.util.Locale.ROOT, "%.4f", probability()) + ")";
    }
}

package org.distill4j.cooperative;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * A cooperative distillation run as written in YAML (see {@link Cooperation}):
 * <pre>
 * rounds: 2
 * learners:
 *   - {name: tree, kind: tree, view: {type: summary}}
 *   - {name: cnn, kind: cnn}
 * </pre>
 *
 * @param learners at least 2, names distinct
 * @param rounds rounds after the learners alone (default 2)
 * @param mix the target's step toward the label, {@code f + mix·(y − f)} (default 0.5, the paper's)
 * @param searchSteps candidates on the segment toward the prototype (default 10)
 * @param stopConfidence the confidence at which the search stops (default 0.9)
 * @param maxVirtual at most this many virtual instances per ordered pair and round (default 300)
 */
public record CooperativeSpec(List<LearnerSpec> learners, Integer rounds, Double mix, Integer searchSteps,
        Double stopConfidence, Integer maxVirtual) {
    public CooperativeSpec {
        if (learners == null || learners.size() < 2) {
            throw new IllegalArgumentException("learners: cooperative distillation needs at least 2 (got "
                    + (learners == null ? 0 : learners.size()) + ")");
        }
        if (learners.stream().map(LearnerSpec::name).distinct().count() != learners.size()) {
            throw new IllegalArgumentException("learners: names repeat (" + learners.stream().map(LearnerSpec::name)
                    .toList() + ")");
        }
        learners = List.copyOf(learners);
        rounds = rounds == null ? 2 : rounds;
        mix = mix == null ? 0.5 : mix;
        searchSteps = searchSteps == null ? 10 : searchSteps;
        stopConfidence = stopConfidence == null ? 0.9 : stopConfidence;
        maxVirtual = maxVirtual == null ? 300 : maxVirtual;
        // range checks, with the keys' names
        new Cooperation(new CounterfactualSearch(searchSteps, stopConfidence, mix), rounds, maxVirtual);
    }

    public Cooperation cooperation() {
        return new Cooperation(new CounterfactualSearch(searchSteps, stopConfidence, mix), rounds, maxVirtual);
    }

    /** The learners with their views, for instances of {@code sharedShape}. Close them after the run. */
    public List<Cooperation.Member> members(long[] sharedShape, int numClasses, NDManager root) {
        List<Cooperation.Member> out = new ArrayList<>();
        for (LearnerSpec l : learners) {
            out.add(new Cooperation.Member(l.name(), l.view(), l.create(sharedShape, numClasses, root)));
        }
        return out;
    }
}

package org.distill4j.scheme;

/**
 * {@code born-again}: Born-Again Neural Networks (Furlanello et al. 2018, ICML). Generation 0 is
 * the student architecture ({@code student.model}, {@code student.train}) trained on labels;
 * generation {@code k} is the same architecture, freshly initialised, taught by generation
 * {@code k−1} with response KD ({@code (1−α)·CE + α·T²·KL}, see
 * {@link org.distill4j.loss.response.KdLoss}). Model results {@code generation0} …
 * {@code generation<k>} (each with its agreement and KL to the generation that taught it) and,
 * with {@code ensemble}, {@code ensemble}: the mean probabilities of generations 1 … k. Each
 * generation is a phase of its own: a run resumes within the generation it was training.
 * {@code student.method} and {@code student.baseline} are not used (generation 0 is the
 * baseline).
 *
 * @param generations born-again generations after generation 0, in [1, 20] (default 3)
 * @param temperature KD temperature (default 1: the paper's students match the teacher's plain
 *     outputs)
 * @param alpha weight of the KD term; labels get {@code 1 − alpha} (default 1: the paper trains
 *     born-again students on the teacher's outputs alone)
 * @param ensemble also evaluate the ensemble of generations 1 … k (default false)
 */
public record BornAgainScheme(Integer generations, Double temperature, Double alpha, Boolean ensemble)
        implements SchemeSpec {
    public BornAgainScheme {
        generations = generations == null ? 3 : generations;
        temperature = temperature == null ? 1.0 : temperature;
        alpha = alpha == null ? 1.0 : alpha;
        ensemble = ensemble == null ? Boolean.FALSE : ensemble;
        if (generations < 1 || generations > 20) {
            throw new IllegalArgumentException("generations: must be in [1, 20] (got " + generations + ")");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha: must be in [0, 1] (got " + alpha + ")");
        }
    }

    @Override
    public String name() {
        return "born-again";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }
}

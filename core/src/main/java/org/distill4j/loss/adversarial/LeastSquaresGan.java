package org.distill4j.loss.adversarial;

import ai.djl.ndarray.NDArray;

/**
 * The least-squares adversarial loss (Mao et al. 2017, "Least Squares Generative Adversarial
 * Networks"), as online adversarial feature-map distillation uses it (Chung et al. 2020): the
 * discriminator minimises {@code mean (1 − D(real))² + mean D(fake)²} (real scored 1, fake 0) and
 * the fooling network minimises {@code mean (1 − D(fake))²}, on the scores it is given: {@code afd}
 * passes the discriminator's raw output {@code d} by default, or {@code σ(d)}
 * ({@code discriminator.score: sigmoid}). A constant score of 0.5 gives a discriminator loss of 0.5. Not
 * zero-sum: each side descends on its own loss.
 */
public final class LeastSquaresGan {
    private LeastSquaresGan() {}

    /** The discriminator's loss: real features scored 1, fake ones 0. */
    public static NDArray discriminator(NDArray realScores, NDArray fakeScores) {
        return realScores.neg().add(1f).square().mean().add(fakeScores.square().mean());
    }

    /** The fooling network's loss: its own features scored as real. */
    public static NDArray fool(NDArray fakeScores) {
        return fakeScores.neg().add(1f).square().mean();
    }
}

package org.distill4j.loss.adversarial;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The two-player loss of a generative adversarial network (Goodfellow et al. 2014) on a
 * discriminator's raw scores {@code d} (logits; {@code D = σ(d)} is the probability "teacher"):
 * the value {@code V = mean_r log σ(d_r) + mean_f log(1 − σ(d_f))}, which the discriminator
 * maximises, over real (teacher) scores {@code d_r} and fake (student) scores {@code d_f}. Written
 * with {@code log σ(a) = −softplus(−a)} and {@code log(1 − σ(a)) = −softplus(a)}, finite for
 * any score.
 *
 * <p>The fooling side has two forms: {@link Form#MINIMAX} minimises V's own fake part,
 * {@code mean log(1 − σ(d_f))} (the zero-sum game), and {@link Form#NON_SATURATING} minimises
 * {@code −mean log σ(d_f)} (the same fixed point, with strong gradients while the discriminator
 * wins; Goodfellow et al.'s recommendation).
 */
public final class GanLoss {
    /** How the fooling side (the student) turns the discriminator's scores into a loss. */
    public enum Form {
        @com.fasterxml.jackson.annotation.JsonProperty("non-saturating") NON_SATURATING,
        @com.fasterxml.jackson.annotation.JsonProperty("minimax") MINIMAX
    }

    private GanLoss() {}

    /** {@code V = mean log σ(d_r) + mean log(1 − σ(d_f))}: the discriminator ascends on it. */
    public static NDArray value(NDArray realScores, NDArray fakeScores) {
        return Activation.softPlus(realScores.neg()).mean().add(Activation.softPlus(fakeScores).mean()).neg();
    }

    /** The fooling side's loss on the fakes' scores, to minimise. */
    public static NDArray fool(NDArray fakeScores, Form form) {
        return form == Form.MINIMAX ? Activation.softPlus(fakeScores).mean().neg()
                : Activation.softPlus(fakeScores.neg()).mean();
    }
}

package org.distill4j.scheme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Random;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.adversarial.LeastSquaresGan;
import org.distill4j.model.Network;
import org.distill4j.model.Scalars;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

/** The discriminator's score: defaults per scheme, and that the sigmoid-scored least-squares discriminator learns. */
class DiscriminatorSpecTest {
    @Test
    void eachSchemeHasItsScore() {
        assertEquals(DiscriminatorSpec.Score.SIGMOID, new AfdScheme(null, null, null, null, null, null, null)
                .discriminator().score());
        assertEquals(DiscriminatorSpec.Score.LINEAR, new AfdScheme(null, null, null, null, null,
                new DiscriminatorSpec(null, null, null, null, null, DiscriminatorSpec.Score.LINEAR), null)
                .discriminator().score());
        assertEquals(DiscriminatorSpec.Score.LINEAR, new AdversarialScheme(null, null, null, null).discriminator()
                .score());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new AdversarialScheme(null, null, null,
                        new DiscriminatorSpec(null, null, null, null, null, DiscriminatorSpec.Score.SIGMOID)));
        assertTrue(e.getMessage().startsWith("discriminator.score: adversarial takes only linear"), e.getMessage());
    }

    /**
     * Real and fake samples of 64 values, separable by their mean (+0.5 against −0.5 per value,
     * unit noise) and at the scale of a grown feature map (×20): the default discriminator (one
     * hidden layer of 64), sigmoid-scored, with 300 plain SGD steps (lr 0.05, batches of 32 + 32)
     * ends far below the constant guess's 0.5. Deterministic: fixed seeds for weights and data.
     */
    @Test
    void sigmoidScoredDiscriminatorLearnsASeparableCase() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(7);
            Adapters d = new Adapters(m);
            DiscriminatorSpec spec = DiscriminatorSpec.defaults(DiscriminatorSpec.Score.SIGMOID);
            d.block("discriminator", spec.build(), DiscriminatorSpec.inputShape(64));
            List<Parameter> params = d.trainableParameters();
            Random random = new Random(11);
            double first = Double.NaN;
            double last = Double.NaN;
            for (int step = 0; step < 300; step++) {
                try (NDManager batch = m.newSubManager()) {
                    NDArray real = batch.create(samples(random, 32, 64, 0.5f), new Shape(32, 64));
                    NDArray fake = batch.create(samples(random, 32, 64, -0.5f), new Shape(32, 64));
                    for (Parameter p : params) {
                        ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p.getArray());
                    }
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = LeastSquaresGan.discriminator(spec.score().apply(d.forward("discriminator", real)),
                                spec.score().apply(d.forward("discriminator", fake)));
                        double value = loss.getFloat();
                        first = step == 0 ? value : first;
                        last = value;
                        gc.backward(loss);
                    }
                    for (Parameter p : params) {
                        NDArray w = p.getArray();
                        try (NDArray g = w.getGradient(); NDArray next = w.sub(Scalars.mul(g, 0.05))) {
                            Network.assign(w, next);
                        }
                    }
                }
            }
            assertTrue(first > 0.3, "starts near or above the constant guess: " + first);
            assertTrue(last < 0.1, "the discriminator learned (constant guess 0.5): " + first + " → " + last);
        }
    }

    /** n samples of k values: 20 × (mean + standard normal noise). */
    static float[] samples(Random random, int n, int k, float mean) {
        float[] x = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = 20 * (mean + (float) random.nextGaussian());
        }
        return x;
    }
}

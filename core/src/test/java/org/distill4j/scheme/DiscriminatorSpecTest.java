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
        assertEquals(DiscriminatorSpec.Score.LINEAR, new AfdScheme(null, null, null, null, null, null, null)
                .discriminator().score());
        assertEquals(DiscriminatorSpec.Score.SIGMOID, new AfdScheme(null, null, null, null, null,
                new DiscriminatorSpec(null, null, null, null, null, DiscriminatorSpec.Score.SIGMOID, false), null)
                .discriminator().score());
        assertEquals(DiscriminatorSpec.Score.LINEAR, new AdversarialScheme(null, null, null, null).discriminator()
                .score());
        assertEquals(true, new AfdScheme(null, null, null, null, null, null, null).discriminator().normalize());
        assertEquals(false, new AdversarialScheme(null, null, null, null).discriminator().normalize());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new AdversarialScheme(null, null, null,
                        new DiscriminatorSpec(null, null, null, null, null, DiscriminatorSpec.Score.SIGMOID, null)));
        assertTrue(e.getMessage().startsWith("discriminator.score: adversarial takes only linear"), e.getMessage());
    }

    /** Standardising a row: hand computation, and its gradient against finite differences. */
    @Test
    void standardiseMatchesHandComputationAndFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            // [1, 2, 3]: mean 2, variance 2/3; [4, 4, 10]: mean 6, variance 8
            NDArray x = m.create(new double[] {1, 2, 3, 4, 4, 10}, new Shape(2, 3));
            double a = Math.sqrt(2.0 / 3 + 1e-5);
            double b = Math.sqrt(8 + 1e-5);
            double[] expected = {-1 / a, 0, 1 / a, -2 / b, -2 / b, 4 / b};
            double[] got = DiscriminatorSpec.standardise(x).toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], got[i], 1e-6, "value " + i);
            }
            NDArray w = m.create(new double[] {0.3, -1.2, 0.7, 2.0, 0.1, -0.4}, new Shape(2, 3));
            org.distill4j.testing.GradientCheck.assertGradient(v -> DiscriminatorSpec.standardise(v).mul(w).sum(),
                    new double[] {1, 2, 3.5, 4, 4.2, 10}, new Shape(2, 3));
        }
    }

    /**
     * Real and fake samples of 64 values, separable by their pattern (+1 on the first 32 values
     * and −1 on the last against the opposite, unit noise) and at the scale of a grown feature map
     * (×20): {@code afd}'s default discriminator (one hidden layer of 64, standardised input, raw
     * score; plain SGD at lr 0.005, as the quadratic loss of a raw score diverges at 0.05) and the
     * sigmoid-scored one (lr 0.05), with 300 plain SGD steps (batches of 32 + 32),
     * end far below the constant guess's 0.5. Deterministic: fixed seeds for weights and data.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"linear", "sigmoid"})
    void afdDiscriminatorLearnsASeparableCase(String score) {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(7);
            Adapters d = new Adapters(m);
            DiscriminatorSpec spec = new AfdScheme(null, null, null, null, null, score.equals("sigmoid")
                    ? new DiscriminatorSpec(null, null, null, null, null, DiscriminatorSpec.Score.SIGMOID, null) : null,
                    null).discriminator();
            assertEquals(true, spec.normalize());
            double lr = score.equals("sigmoid") ? 0.05 : 0.005;
            d.block("discriminator", spec.build(), DiscriminatorSpec.inputShape(64));
            List<Parameter> params = d.trainableParameters();
            Random random = new Random(11);
            double first = Double.NaN;
            double last = Double.NaN;
            for (int step = 0; step < 300; step++) {
                try (NDManager batch = m.newSubManager()) {
                    NDArray real = batch.create(samples(random, 32, 64, 1), new Shape(32, 64));
                    NDArray fake = batch.create(samples(random, 32, 64, -1), new Shape(32, 64));
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
                        try (NDArray g = w.getGradient(); NDArray next = w.sub(Scalars.mul(g, lr))) {
                            Network.assign(w, next);
                        }
                    }
                }
            }
            assertTrue(first > 0.3, "starts near or above the constant guess: " + first);
            System.out.println("afd's discriminator (" + score + ") on the separable case: " + first + " → " + last);
            assertTrue(last < 0.1, "the discriminator learned (constant guess 0.5): " + first + " → " + last);
        }
    }

    /** n samples of k values: 20 × (sign on the first half, −sign on the second, + standard normal noise). */
    static float[] samples(Random random, int n, int k, int sign) {
        float[] x = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = 20 * ((i % k < k / 2 ? sign : -sign) + (float) random.nextGaussian());
        }
        return x;
    }
}

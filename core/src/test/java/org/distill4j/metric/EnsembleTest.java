package org.distill4j.metric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class EnsembleTest {
    // Two members, two samples, three classes.
    static final float[] A = {2.0f, 1.9f, -1.0f, 0.0f, 0.0f, 0.0f};
    static final float[] B = {-1.0f, 0.0f, 0.5f, 3.0f, 0.0f, 1.0f};

    static double[] softmax(float[] z, int row) {
        double sum = 0;
        double[] p = new double[3];
        for (int c = 0; c < 3; c++) {
            p[c] = Math.exp(z[row * 3 + c]);
            sum += p[c];
        }
        for (int c = 0; c < 3; c++) {
            p[c] /= sum;
        }
        return p;
    }

    @Test
    void theEnsembleIsTheMeanOfTheProbabilities() {
        Predictions e = Ensemble.meanProbabilities(List.of(new Predictions(A, 3), new Predictions(B, 3)));
        for (int i = 0; i < 2; i++) {
            double[] pa = softmax(A, i);
            double[] pb = softmax(B, i);
            double[] got = e.probabilities(i);
            for (int c = 0; c < 3; c++) {
                assertEquals((pa[c] + pb[c]) / 2, got[c], 1e-6, "sample " + i + " class " + c);
            }
        }
        // Mean probabilities (python, math module): sample 0 [0.31678, 0.39721, 0.28601], sample 1
        // [0.58856, 0.18767, 0.22376]. On sample 0 member A says class 0 and B class 2, the mean class 1.
        assertEquals(0.3972101582936721, e.probabilities(0)[1], 1e-6);
        assertEquals(0.5885640339073364, e.probabilities(1)[0], 1e-6);
        assertEquals(1, e.argMax(0));
        assertEquals(0, e.argMax(1));
        assertEquals(0.5, Metrics.accuracy(e, new int[] {1, 2}), 1e-12);
    }

    @Test
    void membersMustPredictTheSameSamples() {
        assertThrows(IllegalArgumentException.class, () -> Ensemble.meanProbabilities(
                List.of(new Predictions(A, 3), new Predictions(new float[] {1, 2, 3}, 3))));
        assertThrows(IllegalArgumentException.class, () -> Ensemble.meanProbabilities(List.of()));
    }
}

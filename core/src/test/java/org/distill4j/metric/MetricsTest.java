package org.distill4j.metric;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MetricsTest {
    // 3 samples × 2 classes
    static final Predictions TEACHER = new Predictions(new float[] {2, 0, 0, 1, 1, 0}, 2);
    static final Predictions STUDENT = new Predictions(new float[] {1, 0, 1, 0, 0, 3}, 2);
    static final int[] LABELS = {0, 1, 1};

    @Test
    void accuracyAgreementAndKl() {
        assertEquals(2.0 / 3, Metrics.accuracy(TEACHER, LABELS), 1e-12); // predicts 0,1,0
        assertEquals(2.0 / 3, Metrics.accuracy(STUDENT, LABELS), 1e-12); // predicts 0,0,1
        assertEquals(1.0 / 3, Metrics.agreement(TEACHER, STUDENT), 1e-12);
        double kl = 0;
        double[][] t = {{2, 0}, {0, 1}, {1, 0}};
        double[][] s = {{1, 0}, {1, 0}, {0, 3}};
        for (int i = 0; i < 3; i++) {
            double zt = Math.log(Math.exp(t[i][0]) + Math.exp(t[i][1]));
            double zs = Math.log(Math.exp(s[i][0]) + Math.exp(s[i][1]));
            for (int c = 0; c < 2; c++) {
                double pt = Math.exp(t[i][c] - zt);
                kl += pt * ((t[i][c] - zt) - (s[i][c] - zs));
            }
        }
        assertEquals(kl / 3, Metrics.klDivergence(TEACHER, STUDENT), 1e-12);
        assertEquals(0.0, Metrics.klDivergence(TEACHER, TEACHER), 1e-12);
    }

    @Test
    void expectedCalibrationErrorByHand() {
        // confidences: σ(2)=0.8808 (right), σ(1)=0.7311 (right), σ(1)=0.7311 (wrong, label 1)
        double c1 = 1 / (1 + Math.exp(-2));
        double c2 = 1 / (1 + Math.exp(-1));
        // 10 bins: 0.8808 → bin 8; 0.7311 → bin 7 twice (accuracy 1/2)
        double expected = (1.0 / 3) * Math.abs(1 - c1) + (2.0 / 3) * Math.abs(0.5 - c2);
        assertEquals(expected, Metrics.expectedCalibrationError(TEACHER, LABELS, 10), 1e-12);
    }

    @Test
    void crossEntropyByHand() {
        double expected = -(Math.log(1 / (1 + Math.exp(-2))) + Math.log(1 / (1 + Math.exp(-1)))
                + Math.log(1 / (1 + Math.exp(1)))) / 3;
        assertEquals(expected, Metrics.crossEntropy(TEACHER, LABELS), 1e-12);
    }
}

package org.distill4j.report;

/**
 * How good, how faithful, how big and how fast one trained model is. Fidelity fields
 * (agreement with the teacher and KL(teacher ‖ model) at T=1) are null for the teacher itself.
 * Latency per sample is measured at batch 1 and 256; a model that reads token ids (a text
 * encoder, a text student) at batch 1 and 64 instead ({@code latencyMsPerSampleBatch256} NaN):
 * a transformer's batch of 256 texts takes many seconds, and 64 is a service's batch.
 *
 * @param latencyMsPerSampleBatch64 per sample at batch 64, for a model reading token ids (null otherwise)
 */
public record ModelMetrics(
        double testAccuracy,
        double testLoss,
        double expectedCalibrationError,
        Double agreementTrain,
        Double agreementTest,
        Double klTrain,
        Double klTest,
        double latencyMsBatch1,
        double latencyMsPerSampleBatch256,
        Double latencyMsPerSampleBatch64) {

    /** Metrics with latency measured at batch 1 and 256. */
    public ModelMetrics(double testAccuracy, double testLoss, double expectedCalibrationError, Double agreementTrain,
            Double agreementTest, Double klTrain, Double klTest, double latencyMsBatch1,
            double latencyMsPerSampleBatch256) {
        this(testAccuracy, testLoss, expectedCalibrationError, agreementTrain, agreementTest, klTrain, klTest,
                latencyMsBatch1, latencyMsPerSampleBatch256, null);
    }
}

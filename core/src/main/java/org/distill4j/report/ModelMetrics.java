package org.distill4j.report;

/**
 * How good, how faithful, how big and how fast one trained model is. Fidelity fields
 * (agreement with the teacher and KL(teacher ‖ model) at T=1) are null for the teacher itself.
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
        double latencyMsPerSampleBatch256) {}

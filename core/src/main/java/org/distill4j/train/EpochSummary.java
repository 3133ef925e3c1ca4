package org.distill4j.train;

import java.util.Map;

/**
 * One epoch of one model: learning rate at its end, mean training loss and terms, validation
 * metrics (NaN when there is no validation set) and wall time; with {@code
 * student.fidelityEachEpoch} also its fidelity to the teacher at the epoch's end ({@link
 * EpochFidelity}: {@code agreementTrain}, {@code agreementTest}, {@code klTrain}, {@code klTest};
 * null otherwise, and then left out of the JSON).
 */
public record EpochSummary(
        String phase,
        int epoch,
        double lr,
        double trainLoss,
        Map<String, Double> trainTerms,
        double trainAccuracy,
        double validationLoss,
        double validationAccuracy,
        double seconds,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        Map<String, Double> fidelity) {
    public EpochSummary(String phase, int epoch, double lr, double trainLoss, Map<String, Double> trainTerms,
            double trainAccuracy, double validationLoss, double validationAccuracy, double seconds) {
        this(phase, epoch, lr, trainLoss, trainTerms, trainAccuracy, validationLoss, validationAccuracy, seconds, null);
    }

    /** For epoch lines: the validation loss and accuracy, or that the run holds no validation split. */
    public String validationText() {
        return Double.isNaN(validationLoss()) ? "no validation split"
                : String.format(java.util.Locale.ROOT, "val loss %.4f acc %.2f%%", validationLoss(), 100 * validationAccuracy());
    }
}

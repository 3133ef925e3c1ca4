package org.distill4j.train;

import java.util.Map;

/**
 * One epoch of one model: learning rate at its end, mean training loss and terms, validation
 * metrics (NaN when there is no validation set) and wall time.
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
        double seconds) {}

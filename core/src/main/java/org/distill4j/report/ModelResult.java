package org.distill4j.report;

import java.util.List;
import org.distill4j.train.EpochSummary;

/**
 * One model of a run: what it is, how it was trained, its learning curve and its metrics.
 *
 * @param name "teacher", "student-none", "student-kd" …
 * @param role "teacher" or "student"
 * @param method the method that trained it ("none" for a teacher trained on labels)
 * @param file the saved network, relative to the run directory
 * @param loaded whether the network was loaded rather than trained in this run
 * @param skippedBatches batches skipped for a non-finite loss or gradient (policy skip-batch)
 */
public record ModelResult(
        String name,
        String role,
        String method,
        String architecture,
        long parameters,
        long sizeBytes,
        String weightsDigest,
        String file,
        boolean loaded,
        double trainSeconds,
        int skippedBatches,
        List<EpochSummary> history,
        ModelMetrics metrics) {

    /**
     * Everything of this result that must not depend on wall-clock time (latency and seconds
     * excluded): equal strings mean a reproduced or resumed run matched this one.
     */
    public String reproducible() {
        ModelMetrics x = metrics;
        StringBuilder b = new StringBuilder(name).append(' ').append(weightsDigest);
        b.append(' ').append(x.testAccuracy()).append(' ').append(x.testLoss()).append(' ')
                .append(x.expectedCalibrationError()).append(' ').append(x.agreementTrain()).append(' ')
                .append(x.agreementTest()).append(' ').append(x.klTrain()).append(' ').append(x.klTest())
                .append(" skipped ").append(skippedBatches);
        history.forEach(e -> b.append(" | ").append(e.epoch()).append(' ').append(e.lr()).append(' ')
                .append(e.trainLoss()).append(' ').append(e.trainTerms()).append(' ').append(e.trainAccuracy())
                .append(' ').append(e.validationLoss()).append(' ').append(e.validationAccuracy()));
        return b.toString();
    }
}

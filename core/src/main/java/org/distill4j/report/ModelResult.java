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
        List<EpochSummary> history,
        ModelMetrics metrics) {}

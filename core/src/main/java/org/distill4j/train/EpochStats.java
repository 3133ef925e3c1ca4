package org.distill4j.train;

import java.util.Map;

/** What one training epoch measured on its own batches: mean loss and terms, accuracy, time, last rate. */
public record EpochStats(double loss, Map<String, Double> terms, double accuracy, double lr, double seconds) {}

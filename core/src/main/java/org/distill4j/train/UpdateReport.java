package org.distill4j.train;

import java.util.Map;

/**
 * What one update measured before its optimizer step: its loss and terms, the gradient norm of
 * its participant's parameters (before clipping) and its position.
 */
public record UpdateReport(Participant participant, int epoch, int batch, double loss, Map<String, Double> terms,
        double gradNorm) {
    /** Whether loss and gradient norm are finite. */
    public boolean finite() {
        return Double.isFinite(loss) && Double.isFinite(gradNorm);
    }
}

package org.distill4j.method;

import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.feature.AttentionLoss;

/**
 * {@code at}: attention transfer (Zagoruyko &amp; Komodakis 2017), see {@link AttentionLoss}. Its
 * objective is {@code ceWeight·CE + at}.
 *
 * @param studentTaps student feature-map taps, paired in order with {@code teacherTaps}; both
 *     absent (default) pairs the feature-map taps of both networks from the deepest, as many as
 *     the shorter list has
 * @param teacherTaps teacher feature-map taps
 * @param pool whether maps of different size are pooled to the smaller (default true); when
 *     false they are an error
 * @param beta weight β of {@code β/2·Σ} (default 1000)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record AttentionTransfer(List<String> studentTaps, List<String> teacherTaps, Boolean pool, Double beta,
        Double ceWeight) implements MethodSpec {
    public AttentionTransfer {
        pool = pool == null ? Boolean.TRUE : pool;
        beta = beta == null ? 1000.0 : beta;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        MethodChecks.pairedLists(studentTaps, teacherTaps, 1);
        studentTaps = studentTaps == null ? null : List.copyOf(studentTaps);
        teacherTaps = teacherTaps == null ? null : List.copyOf(teacherTaps);
        MethodChecks.require(beta, "beta");
        MethodChecks.require(ceWeight, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new AttentionLoss(studentTaps, teacherTaps, pool, beta);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "at";
    }
}

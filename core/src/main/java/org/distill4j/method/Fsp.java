package org.distill4j.method;

import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.feature.FspLoss;

/**
 * {@code fsp}: flow of solution procedure (Yim et al. 2017), see {@link FspLoss}. Its objective is
 * {@code ceWeight·CE + fsp}.
 *
 * @param studentTaps at least two student feature-map taps; an FSP matrix is taken between each
 *     consecutive pair (default: the student's two deepest feature-map taps)
 * @param teacherTaps as many teacher taps, with the same channel counts as the student's, in
 *     order (default: the teacher's two deepest feature-map taps)
 * @param pool whether the larger of two maps of one matrix is pooled to the smaller (default
 *     true); when false, maps of different size are an error
 * @param beta weight of the FSP term (default 1, the paper's λ)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1; 0 = the paper's stage 1)
 */
public record Fsp(List<String> studentTaps, List<String> teacherTaps, Boolean pool, Double beta, Double ceWeight)
        implements MethodSpec {
    public Fsp {
        pool = pool == null ? Boolean.TRUE : pool;
        beta = beta == null ? 1.0 : beta;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        MethodChecks.pairedLists(studentTaps, teacherTaps, 2);
        studentTaps = studentTaps == null ? null : List.copyOf(studentTaps);
        teacherTaps = teacherTaps == null ? null : List.copyOf(teacherTaps);
        MethodChecks.require(beta, "beta");
        MethodChecks.require(ceWeight, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new FspLoss(studentTaps, teacherTaps, pool, beta);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "fsp";
    }
}

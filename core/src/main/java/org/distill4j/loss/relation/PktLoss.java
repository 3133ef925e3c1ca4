package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * Probabilistic knowledge transfer (Passalis &amp; Tefas 2018, "Learning Deep Representations
 * with Probabilistic Knowledge Transfer"), with RepDistiller's cosine-similarity kernel: features,
 * flattened per sample, are divided by {@code ‖f‖ + ε}; the kernel {@code K = (f̂·f̂ᵀ + 1)/2}
 * turns into conditional distributions by normalising each row, {@code P = K / rowsum(K)}; the
 * term is {@code pkt = w·mean_{i,j} P_t log((P_t + ε)/(P_s + ε))}, ε = 1e-7 (the method's
 * objective, {@link org.distill4j.method.ProbabilisticTransfer#objective()}, is
 * {@code ceWeight·CE + pkt}).
 *
 * <p>The mean runs over all B² entries, as in RepDistiller, whose weight 30000 assumes it (a
 * batch-mean KL would be B times larger). Unlike RepDistiller the norm's square root is taken of
 * a sum of squares clamped at 1e-24, so an all-zero feature row (a dead ReLU) has a finite gradient
 * where RepDistiller's is NaN; the value is unchanged. Teacher features are detached.
 */
public final class PktLoss implements DistillationLoss {
    public static final String TERM = "pkt";
    static final double EPS = 1e-7;

    private final String studentTap;
    private final String teacherTap;
    private final double weight;

    public PktLoss(String studentTap, String teacherTap, double weight) {
        if (!(weight >= 0)) {
            throw new IllegalArgumentException("pkt needs weight >= 0, got " + weight);
        }
        this.studentTap = studentTap;
        this.teacherTap = teacherTap;
        this.weight = weight;
    }

    /** Row-normalised cosine kernel {@code P} (B×B) of the flattened features. */
    static NDArray conditional(NDArray features) {
        NDArray f = Pairwise.flatten(features);
        NDArray norm = Scalars.maximum(f.square().sum(new int[] {1}, true), 1e-24).sqrt();
        NDArray unit = f.div(norm.add(EPS));
        NDArray k = Scalars.div(unit.matMul(unit.transpose()).add(1), 2);
        return k.div(k.sum(new int[] {1}, true));
    }

    /** Unweighted term: {@code mean P_t log((P_t + ε)/(P_s + ε))} over the B² entries. */
    public static NDArray of(NDArray student, NDArray teacher) {
        NDArray ps = conditional(student);
        NDArray pt = conditional(teacher);
        return pt.mul(pt.add(EPS).div(ps.add(EPS)).log()).mean();
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray pkt = Pairwise.scaled(of(student.get(studentTap), teacher.outputs().get(teacherTap).stopGradient()), weight);
        return LossValue.of(TERM, pkt);
    }

    @Override
    public Set<String> studentTaps() {
        return Set.of(studentTap);
    }

    @Override
    public Set<String> teacherTaps() {
        return Set.of(teacherTap);
    }

    @Override
    public void bind(Binding binding) {
        RelationTaps.require("pkt", binding, studentTap, teacherTap);
    }
}

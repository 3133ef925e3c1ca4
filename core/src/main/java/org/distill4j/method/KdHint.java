package org.distill4j.method;

import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.SumLoss;
import org.distill4j.loss.feature.FitNetLoss;
import org.distill4j.loss.response.KdLoss;

/**
 * {@code kd-hint}: Hinton's KD and a FitNets feature loss at once, e.g. a text student matching
 * both the answers and the pooled sentence embedding of a transformer teacher. Its objective is
 * {@code (1−α)·CE + kd + hint} with {@code kd = α·T²·KL} ({@link KdLoss}) and {@code hint = β·MSE}
 * between a regressor of the student's tap and the teacher's tap ({@link FitNetLoss}).
 *
 * @param temperature softening temperature T (default 4)
 * @param alpha weight of the soft term, in [0, 1] (default 0.9)
 * @param studentTap the student's guided tap (default {@code embedding})
 * @param teacherTap the teacher's hint tap (default {@code embedding}; a text teacher's is {@code pooled})
 * @param beta weight of the hint term (default 1)
 */
public record KdHint(Double temperature, Double alpha, String studentTap, String teacherTap, Double beta)
        implements MethodSpec {
    public KdHint {
        HintonKd kd = new HintonKd(temperature, alpha);
        FitNet hint = new FitNet(studentTap, teacherTap, null, beta == null ? 1.0 : beta, null);
        temperature = kd.temperature();
        alpha = kd.alpha();
        studentTap = hint.studentTap();
        teacherTap = hint.teacherTap();
        beta = hint.beta();
    }

    @Override
    public DistillationLoss loss() {
        return new SumLoss(List.of(new KdLoss(temperature, alpha), new FitNetLoss(studentTap, teacherTap, 1, beta)));
    }

    /** {@code 1 − α}, as {@code kd}. */
    @Override
    public double crossEntropyWeight() {
        return 1 - alpha;
    }

    @Override
    public String name() {
        return "kd-hint";
    }
}

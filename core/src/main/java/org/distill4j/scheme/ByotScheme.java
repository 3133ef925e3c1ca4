package org.distill4j.scheme;

import java.util.List;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.MultiExitSpec;
import org.distill4j.model.ResNetSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code byot}: Be Your Own Teacher (Zhang et al. 2019, ICCV), self-distillation in a
 * multi-exit network. The student ({@code student.model}, a {@code resnet}) gets an exit after
 * each stage (see {@link MultiExitSpec}) and is trained with
 * {@link org.distill4j.loss.self.ByotLoss}: every exit learns from the labels and from the
 * deepest exit's softened outputs and features. No teacher. The run records every exit's test
 * accuracy, size and latency (model results {@code exit1}, {@code exit2}, {@code exit3}, the
 * last being the network's own logits), early-exit inference at each threshold (accuracy, mean
 * exit depth, latency) and, with {@code student.baseline} (default), the plain network trained
 * alone with the same schedule ({@code student-none}). {@code student.method} is not used.
 *
 * @param alpha weight of the KL term; CE gets {@code 1 − alpha} (default 0.1)
 * @param temperature softening temperature T of the KL term, which is scaled by T² (default 3)
 * @param lambda weight of the summed squared feature distance to the deepest exit (default 1e-6)
 * @param thresholds confidence thresholds at which early exit is evaluated after training
 *     (default [0.5, 0.8, 0.9, 0.95, 0.99]); 0 answers from the first exit, above 1 from the last
 */
public record ByotScheme(Double alpha, Double temperature, Double lambda, List<Double> thresholds)
        implements SchemeSpec {
    public ByotScheme {
        alpha = alpha == null ? 0.1 : alpha;
        temperature = temperature == null ? 3.0 : temperature;
        lambda = lambda == null ? 1e-6 : lambda;
        thresholds = thresholds == null ? List.of(0.5, 0.8, 0.9, 0.95, 0.99) : List.copyOf(thresholds);
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha: must be in [0, 1] (got " + alpha + ")");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(lambda >= 0 && lambda <= 1e6)) {
            throw new IllegalArgumentException("lambda: must be in [0, 1e6] (got " + lambda + ")");
        }
        for (double t : thresholds) {
            if (!(t >= 0 && t <= 2)) {
                throw new IllegalArgumentException("thresholds: each must be in [0, 2] (got " + thresholds + ")");
            }
        }
    }

    @Override
    public String name() {
        return "byot";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (!(studentModel instanceof ResNetSpec)) {
            throw new IllegalArgumentException("scheme: byot adds an exit after each stage of a resnet student; "
                    + "student.model is " + studentModel.describe() + " (use e.g. {type: resnet, depth: 8})");
        }
    }

    /** The multi-exit network byot trains: the student with its exits. */
    public MultiExitSpec network(ModelSpec studentModel) {
        return new MultiExitSpec(studentModel);
    }
}

package org.distill4j.scheme;

import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code snapshot}: Snapshot Distillation (Yang et al. 2019, "Snapshot Distillation:
 * Teacher-Student Optimization in One Generation", CVPR). One training run of the student
 * ({@code student.model}, {@code student.train}) split into {@code cycles} cycles of (nearly) equal
 * length, each with its own cosine learning-rate decay from the optimizer's rate to the
 * schedule's {@code minLr} (the schedule's type and warm-up are replaced by these cycles). The
 * first cycle learns from labels; the network as it was at the end of each cycle (its snapshot)
 * teaches the next cycle with response KD ({@code (1−α)·CE + α·T²·KL}, see
 * {@link org.distill4j.loss.response.KdLoss}). Model results: {@code student-snapshot} (the end of
 * the last cycle), {@code cycle1} … (the snapshots of the earlier cycles) and, with
 * {@code student.baseline} (default), {@code student-none}: the same network trained alone for
 * the same total epochs with {@code student.train} as written. {@code student.method} is not used.
 *
 * @param cycles learning-rate cycles, in [2, 100], at most one per epoch (default 3)
 * @param temperature KD temperature (default 4, <i>choice</i>: as {@code kd})
 * @param alpha weight of the KD term; labels get {@code 1 − alpha} (default 0.5, <i>choice</i>:
 *     labels and the previous snapshot weigh the same)
 */
public record SnapshotScheme(Integer cycles, Double temperature, Double alpha) implements SchemeSpec {
    public SnapshotScheme {
        cycles = cycles == null ? 3 : cycles;
        temperature = temperature == null ? 4.0 : temperature;
        alpha = alpha == null ? 0.5 : alpha;
        if (cycles < 2 || cycles > 100) {
            throw new IllegalArgumentException("cycles: must be in [2, 100] (got " + cycles + ")");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha: must be in [0, 1] (got " + alpha + ")");
        }
    }

    @Override
    public String name() {
        return "snapshot";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (studentTrain.epochs() < cycles) {
            throw new IllegalArgumentException("scheme: snapshot needs at least one epoch per cycle; student.train.epochs is "
                    + studentTrain.epochs() + ", cycles " + cycles);
        }
    }
}

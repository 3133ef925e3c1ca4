package org.distill4j.scheme;

import java.util.List;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code sad}: self-attention distillation (Hou et al. 2019, ICCV): the student
 * ({@code student.model}, {@code student.train}) learns from labels while each stage's attention
 * map mimics the next deeper stage's, see {@link org.distill4j.loss.self.SelfAttentionLoss}. No
 * teacher. Model results {@code student-sad} and, with {@code student.baseline} (default), the same
 * network trained alone from the same initial weights, {@code student-none}.
 * {@code student.method} is not used.
 *
 * @param taps the student's feature-map taps, shallowest first (default: all of them but
 *     {@code stem}, e.g. stage1, stage2, stage3 of a resnet or conv1 … of a cnn)
 * @param weight weight of the attention term (default 50, <i>choice</i>: attention transfer's
 *     500 (β/2, β = 1000, same maps and mean reduction) swamps the labels here, where both maps of
 *     a pair move: on resnet8/Fashion-MNIST the term then stays near 2 against a CE of 0.8 and
 *     test accuracy fell from 82.7% to 71.2% in a 4-epoch run; with 50 the term is about a third of
 *     CE (0.15–0.18 against 0.50–0.57) and accuracy 81.4%)
 * @param warmupEpochs epochs of plain training before the attention term switches on (default:
 *     two thirds of {@code student.train.epochs}, rounded down, as Hou et al. switch it on at
 *     40k of 60k steps)
 */
public record SadScheme(List<String> taps, Double weight, Integer warmupEpochs) implements SchemeSpec {
    public SadScheme {
        taps = taps == null ? null : List.copyOf(taps);
        weight = weight == null ? 50.0 : weight;
        if (taps != null && taps.size() < 2) {
            throw new IllegalArgumentException("taps: at least two feature-map taps, shallowest first (got " + taps + ")");
        }
        if (!(weight >= 0 && weight <= 1e9)) {
            throw new IllegalArgumentException("weight: must be in [0, 1e9] (got " + weight + ")");
        }
        if (warmupEpochs != null && warmupEpochs < 0) {
            throw new IllegalArgumentException("warmupEpochs: must be ≥ 0 (got " + warmupEpochs + ")");
        }
    }

    @Override
    public String name() {
        return "sad";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (warmupEpochs != null && warmupEpochs >= studentTrain.epochs()) {
            throw new IllegalArgumentException("scheme: sad's warmupEpochs (" + warmupEpochs + ") must be below "
                    + "student.train.epochs (" + studentTrain.epochs() + "), else the attention term never switches on");
        }
    }

    /** The warm-up for a run of {@code epochs} epochs: as given, else two thirds of them. */
    public int warmupFor(int epochs) {
        return warmupEpochs != null ? warmupEpochs : epochs * 2 / 3;
    }
}

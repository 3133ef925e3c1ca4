package org.example.distill;

import ai.djl.ndarray.NDArray;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * A method written outside distill4j: logit matching (Ba &amp; Caruana 2014, "Do Deep Nets Really
 * Need to be Deep?"), the mean squared difference between student and teacher logits,
 * {@code weight · mean((z_s − z_t)²)}, beside cross-entropy with weight {@code ceWeight}. Its
 * record holds its parameters as YAML gives them; distill4j adds the cross-entropy.
 *
 * @param weight weight of the logit term (default 1)
 * @param ceWeight weight of the cross-entropy with labels (default 1)
 */
public record LogitMatching(Double weight, Double ceWeight) implements MethodSpec {
    public LogitMatching {
        weight = weight == null ? 1.0 : weight;
        ceWeight = ceWeight == null ? 1.0 : ceWeight;
        if (!(weight >= 0) || !(ceWeight >= 0)) {
            throw new IllegalArgumentException("weight and ceWeight: must be ≥ 0 (got " + weight + ", " + ceWeight + ")");
        }
    }

    @Override
    public DistillationLoss loss() {
        double w = weight;
        return new DistillationLoss() {
            @Override
            public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
                NDArray zs = student.logits();
                NDArray zt = teacher.outputs().logits().stopGradient();
                return LossValue.of("logits", Scalars.mul(zs.sub(zt).square().mean(), (float) w));
            }
        };
    }

    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "logit-matching";
    }
}

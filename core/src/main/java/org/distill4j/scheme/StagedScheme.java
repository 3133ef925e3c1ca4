package org.distill4j.scheme;

import java.util.List;
import org.distill4j.method.MethodSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code staged}: one student trained in consecutive stages, each with its own method and
 * schedule, e.g. FitNets hints then KD (Romero et al. 2015: stage 1 trains the guided layer on
 * the hint alone, stage 2 trains the whole student with KD) or FSP then cross-entropy (Yim et
 * al. 2017). The teacher is the config's {@code teacher} (trained or loaded, then frozen); the
 * student is {@code student.model}.
 *
 * <p>Hand-over between stages: stage k+1 starts from exactly the weights stage k ended with
 * (every parameter, batch-norm running statistics included). What does <em>not</em> carry over,
 * on purpose: the previous stage's loss and its adapters (a FitNets regressor belongs to the
 * hint stage and is discarded with it, as in the paper), and the optimizer: each stage gets a
 * fresh one (momentum or Adam moments start at zero) and runs its own learning-rate schedule
 * from its start, warm-up included. Each stage's model is saved ({@code stage1.model} …) and
 * reported ({@code stage1}, {@code stage2} …); the last stage is the final student, also saved
 * as {@code student.model}. {@code student.method} is not used; {@code student.baseline} (default
 * true) adds {@code student-none}: the same student from the same initial weights trained on
 * labels with {@code student.train}.
 *
 * @param stages the stages in order, at least one
 */
public record StagedScheme(List<Stage> stages) implements SchemeSpec {
    /**
     * One stage of a {@link StagedScheme}.
     *
     * @param method the method of this stage, e.g. {@code {name: kd}}
     * @param train its schedule (default: {@code student.train})
     */
    public record Stage(MethodSpec method, TrainSpec train) {
        public Stage {
            if (method == null) {
                throw new IllegalArgumentException("method: required for every stage, e.g. {name: kd}");
            }
        }
    }

    public StagedScheme {
        if (stages == null || stages.isEmpty()) {
            throw new IllegalArgumentException("stages: needs at least one stage, e.g. "
                    + "[{method: {name: fitnet}, train: {epochs: 2}}, {method: {name: kd}}]");
        }
        if (stages.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("stages: an entry is empty; each is {method: {name: …}, train: {…}}");
        }
        stages = List.copyOf(stages);
    }

    @Override
    public String name() {
        return "staged";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }
}

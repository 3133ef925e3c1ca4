package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;

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

    /** Stage {@code k} (1-based) as named in the record and the run directory. */
    static String stageName(int k) {
        return "stage" + k;
    }

    /**
     * The teacher, the optional baseline, then each stage as one phase that starts from the
     * previous stage's weights. A resumed run loads finished stages (digests checked) and
     * continues the stage in progress from its checkpoint.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var config = ctx.config();
        var ss = config.student();
        // Every stage's taps are checked before the teacher trains; one store serves every stage
        // (unless live): it holds the union of the teacher taps the bound losses read.
        Set<String> taps = new LinkedHashSet<>();
        for (int k = 0; k < stages.size(); k++) {
            taps.addAll(ctx.checkTaps("stage " + (k + 1) + " (" + stages.get(k).method().name() + ")",
                    stages.get(k).method(), ss.model(), config.teacher()).teacherTaps());
        }
        ArrayNode out = RunRecord.JSON.createArrayNode();
        try (InferenceModel teacher = ctx.teacher()) {
            if (ss.baseline()) {
                ctx.train(RunContext.Solo.of("student-none", "student", "none", new NoDistillation().objective(),
                        ss.model(), ss.train()).withFidelity(true)).close();
            }
            Network previous = null;
            for (int k = 0; k < stages.size(); k++) {
                Stage stage = stages.get(k);
                TrainSpec train = stage.train() == null ? ss.train() : stage.train();
                DistillationLoss objective = stage.method().objective();
                KnowledgeSource source = objective.needsTeacher() ? ctx.knowledge(teacher, "teacher", train, taps) : null;
                String name = stageName(k + 1);
                Network net = ctx.train(RunContext.Solo.of(name, "student", stage.method().name(), objective, ss.model(),
                        train).taughtBy(source).withFidelity(true).startingFrom(previous));
                if (previous != null) {
                    previous.close();
                }
                previous = net;
                ObjectNode row = out.addObject();
                row.put("model", name);
                row.put("method", stage.method().name());
                row.put("epochs", train.epochs());
                row.put("startsFrom", k == 0 ? "initialisation" : stageName(k));
            }
            previous.save(ctx.runDir().resolve("student.model"));
            previous.close();
        }
        ObjectNode results = RunRecord.JSON.createObjectNode();
        results.set("stages", out);
        results.put("student", stageName(stages.size()));
        return results;
    }
}

package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;

/**
 * {@code born-again}: Born-Again Neural Networks (Furlanello et al. 2018, ICML). Generation 0 is
 * the student architecture ({@code student.model}, {@code student.train}) trained on labels;
 * generation {@code k} is the same architecture, freshly initialised, taught by generation
 * {@code k−1} with response KD ({@code (1−α)·CE + α·T²·KL}, see
 * {@link org.distill4j.loss.response.KdLoss}). Model results {@code generation0} …
 * {@code generation<k>} (each with its agreement and KL to the generation that taught it) and,
 * with {@code ensemble}, {@code ensemble}: the mean probabilities of generations 1 … k. Each
 * generation is a phase of its own: a run resumes within the generation it was training.
 * {@code student.method} and {@code student.baseline} are not used (generation 0 is the
 * baseline).
 *
 * @param generations born-again generations after generation 0, in [1, 20] (default 3)
 * @param temperature KD temperature (default 1: the paper's students match the teacher's plain
 *     outputs)
 * @param alpha weight of the KD term; labels get {@code 1 − alpha} (default 1: the paper trains
 *     born-again students on the teacher's outputs alone)
 * @param ensemble also evaluate the ensemble of generations 1 … k (default false)
 */
public record BornAgainScheme(Integer generations, Double temperature, Double alpha, Boolean ensemble)
        implements SchemeSpec {
    public BornAgainScheme {
        generations = generations == null ? 3 : generations;
        temperature = temperature == null ? 1.0 : temperature;
        alpha = alpha == null ? 1.0 : alpha;
        ensemble = ensemble == null ? Boolean.FALSE : ensemble;
        if (generations < 1 || generations > 20) {
            throw new IllegalArgumentException("generations: must be in [1, 20] (got " + generations + ")");
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
        return "born-again";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    static final String METHOD = "born-again";

    static String generation(int k) {
        return "generation" + k;
    }

    /**
     * Generation 0 on labels, then each generation taught by the one before (its outputs stored
     * once in {@code knowledge/generation<k−1>.safetensors}, or live with augmentation), each a
     * phase of its own; then, if asked, the ensemble of generations 1 … k.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var student = ctx.config().student();
        List<Predictions> onTest = new ArrayList<>();
        // Generation 0 has the role "student": it starts from the weights every scheme's plain student does.
        Network previous = ctx.train(RunContext.Solo.of(generation(0), "student", "none",
                new NoDistillation().objective(), student.model(), student.train()));
        try {
            for (int k = 1; k <= generations; k++) {
                DistillationLoss loss = new HintonKd(temperature, alpha).objective();
                previous.freeze();
                // Fidelity of generation k is measured against the generation that taught it.
                ctx.fidelityReference(previous);
                KnowledgeSource teacher = ctx.knowledge(previous, generation(k - 1), student.train(),
                        loss.teacherTaps());
                // Each generation its own role, hence its own initial weights and batch order.
                Network next = ctx.train(RunContext.Solo.of(generation(k), generation(k), METHOD, loss,
                        student.model(), student.train()).taughtBy(teacher).withFidelity(true));
                previous.close();
                previous = next;
                onTest.add(Predictions.of(next, ctx.test(), ctx.root()));
            }
        } finally {
            previous.close();
            ctx.fidelityReference(null);
        }
        if (ensemble && ctx.done("ensemble") == null) {
            List<String> members = new ArrayList<>();
            for (int k = 1; k <= generations; k++) {
                members.add(generation(k));
            }
            ctx.record(ctx.ensemble("ensemble", "student", METHOD + "-ensemble", members, onTest));
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ArrayNode rows = out.putArray("generations");
        for (int k = 0; k <= generations; k++) {
            ModelResult g = ctx.done(generation(k));
            ObjectNode row = rows.addObject();
            row.put("name", g.name());
            row.put("taughtBy", k == 0 ? null : generation(k - 1));
            row.put("testAccuracy", g.metrics().testAccuracy());
            if (k > 0) {
                row.put("agreementWithTeacherTest", g.metrics().agreementTest());
                row.put("klFromTeacherTest", g.metrics().klTest());
            }
        }
        ModelResult e = ctx.done("ensemble");
        if (e != null) {
            ObjectNode row = out.putObject("ensemble");
            row.put("members", "generation1-" + generation(generations));
            row.put("testAccuracy", e.metrics().testAccuracy());
        }
        return out;
    }
}

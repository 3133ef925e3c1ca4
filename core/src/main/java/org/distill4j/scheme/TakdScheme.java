package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;

import java.util.List;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code takd}: teacher-assistant knowledge distillation (Mirzadeh et al. 2020, "Improved
 * Knowledge Distillation via Teacher Assistant"). When the capacity gap between teacher and
 * student is large, distil through a chain of intermediate networks: teacher → assistant1 → …
 * → assistantN → student, each link trained with {@code method} from the frozen network before
 * it. With no assistants it is plain offline KD.
 *
 * <p>Models reported: {@code teacher}, {@code assistant1} … {@code assistantN}, {@code student};
 * with {@code baseline} also {@code student-direct} (the same student, same initial weights and
 * batch order, distilled directly from the teacher with the same method; left out when there
 * are no assistants, where it would be {@code student} again) and {@code student-alone} (labels
 * only). Every model's fidelity is measured against the original teacher; each link's agreement
 * with the network that taught it is in the record's scheme results. Assistants share one
 * initialisation seed (role {@code assistant}) and students another (role {@code student}), so
 * a chain can be cut at any assistant and continued with that assistant as a loaded teacher.
 * {@code student.method} and {@code student.baseline} are not used.
 *
 * @param assistants the assistants' architectures, from the teacher's side to the student's
 *     (default none; any number)
 * @param method the method of every link and of {@code student-direct} (default {@code kd}
 *     with its defaults); it must use a teacher
 * @param assistantTrain the assistants' schedule (default: {@code student.train})
 * @param baseline also train {@code student-direct} and {@code student-alone} (default true)
 */
public record TakdScheme(List<ModelSpec> assistants, MethodSpec method, TrainSpec assistantTrain, Boolean baseline)
        implements SchemeSpec {
    public TakdScheme {
        assistants = assistants == null ? List.of() : assistants;
        if (assistants.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("assistants: an entry is empty; each is a model, e.g. {type: cnn, channels: [16, 32]}");
        }
        assistants = List.copyOf(assistants);
        method = method == null ? new HintonKd(null, null) : method;
        baseline = baseline == null ? Boolean.TRUE : baseline;
        if (!method.objective().needsTeacher()) {
            throw new IllegalArgumentException("method: takd passes knowledge along the chain, but '" + method.name()
                    + "' uses no teacher; use kd or another distillation method");
        }
    }

    @Override
    public String name() {
        return "takd";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    /**
     * The teacher, then each link of the chain teacher → assistant1 → … → student as one phase
     * taught by the frozen network before it (its knowledge stored in
     * {@code knowledge/<teacher name>.safetensors}), then the baselines. Returns the chain: who
     * taught whom, and each link's agreement with its own teacher.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var config = ctx.config();
        var ss = config.student();
        TrainSpec assistantSchedule = assistantTrain == null ? ss.train() : assistantTrain;
        List<String> names = new ArrayList<>(List.of("teacher"));
        List<ModelSpec> specs = new ArrayList<>(List.of(config.teacher().model()));
        for (int k = 0; k < assistants.size(); k++) {
            names.add("assistant" + (k + 1));
            specs.add(assistants.get(k));
        }
        names.add("student");
        specs.add(ss.model());
        boolean direct = baseline && !assistants.isEmpty();
        // Every link's taps are checked before the teacher trains; each bound probe says which
        // taps of its teacher to store.
        List<Set<String>> taps = new ArrayList<>(List.of(Set.of()));
        for (int k = 1; k < specs.size(); k++) {
            String link = names.get(k - 1) + " → " + names.get(k);
            taps.add((k == 1 ? ctx.checkTaps(link, method, specs.get(k), config.teacher())
                    : ctx.checkTaps(link, method, specs.get(k), specs.get(k - 1))).teacherTaps());
        }
        if (direct) {
            // The teacher's one store serves assistant1 and student-direct: it holds both's taps.
            Set<String> both = new LinkedHashSet<>(taps.get(1));
            both.addAll(ctx.checkTaps("teacher → student-direct", method, ss.model(), config.teacher())
                    .teacherTaps());
            taps.set(1, both);
        }
        ArrayNode chain = RunRecord.JSON.createArrayNode();
        try (InferenceModel teacher = ctx.teacher()) {
            InferenceModel source = teacher;
            for (int k = 1; k < specs.size(); k++) {
                boolean last = k == specs.size() - 1;
                TrainSpec train = last ? ss.train() : assistantSchedule;
                KnowledgeSource knowledge = ctx.knowledge(source, names.get(k - 1), train, taps.get(k));
                Network net = ctx.train(RunContext.Solo.of(names.get(k), last ? "student" : "assistant", method.name(),
                        method.objective(), specs.get(k), train).taughtBy(knowledge).withFidelity(true));
                ObjectNode link = chain.addObject();
                link.put("model", names.get(k));
                link.put("taughtBy", names.get(k - 1));
                link.put("teacherDigest", source.weightsDigest());
                link.put("agreementWithOwnTeacherTest", Metrics.agreement(Predictions.of(source, ctx.test(), ctx.root()),
                        Predictions.of(net, ctx.test(), ctx.root())));
                if (source != teacher) {
                    source.close();
                }
                net.freeze(); // it teaches the next link and never learns again
                source = net;
            }
            if (source != teacher) {
                source.close();
            }
            if (direct) {
                KnowledgeSource knowledge = ctx.knowledge(teacher, "teacher", ss.train(), taps.get(1));
                ctx.train(RunContext.Solo.of("student-direct", "student", method.name(), method.objective(), ss.model(),
                        ss.train()).taughtBy(knowledge).withFidelity(true)).close();
            }
            if (baseline) {
                ctx.train(RunContext.Solo.of("student-alone", "student", "none", new NoDistillation().objective(),
                        ss.model(), ss.train()).withFidelity(true)).close();
            }
        }
        ObjectNode results = RunRecord.JSON.createObjectNode();
        results.set("chain", chain);
        results.put("direct", direct ? "student-direct" : "student");
        results.put("alone", baseline ? "student-alone" : null);
        return results;
    }
}

package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.distill4j.config.RunConfig;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.Offline;
import org.distill4j.scheme.TakdScheme;
import org.distill4j.train.TrainSpec;

/**
 * The {@code takd} scheme's run (see {@link TakdScheme}): the teacher, then each link of the
 * chain teacher → assistant1 → … → student as one phase taught by the frozen network before it
 * (its knowledge stored in {@code knowledge/<teacher name>.safetensors}), then the baselines.
 * Every link goes through {@link Phases#trainOrResume}, so a resumed run loads finished links
 * (digests checked) and continues the one in progress from its checkpoint.
 */
final class TakdRun {
    private final RunConfig config;
    private final TakdScheme scheme;
    private final Phases phases;
    private String teacherDigest;

    TakdRun(RunConfig config, TakdScheme scheme, Phases phases) {
        this.config = config;
        this.scheme = scheme;
        this.phases = phases;
    }

    String teacherDigest() {
        return teacherDigest;
    }

    /** Runs every phase; returns the chain: who taught whom, and each link's agreement with its teacher. */
    JsonNode run(NDManager root) throws IOException {
        var ss = config.student();
        MethodSpec method = scheme.method();
        List<ModelSpec> assistants = scheme.assistants();
        TrainSpec assistantTrain = scheme.assistantTrain() == null ? ss.train() : scheme.assistantTrain();
        List<String> names = new ArrayList<>(List.of("teacher"));
        List<ModelSpec> specs = new ArrayList<>(List.of(config.teacher().model()));
        for (int k = 0; k < assistants.size(); k++) {
            names.add("assistant" + (k + 1));
            specs.add(assistants.get(k));
        }
        names.add("student");
        specs.add(ss.model());
        boolean direct = scheme.baseline() && !assistants.isEmpty();
        // Every link's taps are checked before the teacher trains; each bound probe says which
        // taps of its teacher to store.
        List<Set<String>> taps = new ArrayList<>(List.of(Set.of()));
        for (int k = 1; k < specs.size(); k++) {
            taps.add(phases.checkTaps(names.get(k - 1) + " → " + names.get(k), method, specs.get(k), specs.get(k - 1),
                    root).teacherTaps());
        }
        if (direct) {
            // The teacher's one store serves assistant1 and student-direct: it holds both's taps.
            Set<String> both = new java.util.LinkedHashSet<>(taps.get(1));
            both.addAll(phases.checkTaps("teacher → student-direct", method, ss.model(), config.teacher().model(), root)
                    .teacherTaps());
            taps.set(1, both);
        }

        Offline offline = new Offline(root, phases.listener);
        Network teacher = phases.teacher(offline, root);
        teacherDigest = teacher.weightsDigest();

        ArrayNode chain = RunRecord.JSON.createArrayNode();
        Network source = teacher;
        for (int k = 1; k < specs.size(); k++) {
            boolean last = k == specs.size() - 1;
            TrainSpec train = last ? ss.train() : assistantTrain;
            KnowledgeSource knowledge = phases.knowledge(source, names.get(k - 1), train, taps.get(k), root);
            Network net = phases.trainOrResume(offline, root, names.get(k), last ? "student" : "assistant", method,
                    specs.get(k), train, knowledge, teacher);
            ObjectNode link = chain.addObject();
            link.put("model", names.get(k));
            link.put("taughtBy", names.get(k - 1));
            link.put("teacherDigest", source.weightsDigest());
            link.put("agreementWithOwnTeacherTest", Metrics.agreement(Predictions.of(source, phases.test, root),
                    Predictions.of(net, phases.test, root)));
            if (source != teacher) {
                source.close();
            }
            net.freeze(); // it teaches the next link and never learns again
            source = net;
        }
        source.close();

        if (direct) {
            KnowledgeSource knowledge = phases.knowledge(teacher, "teacher", ss.train(), taps.get(1), root);
            phases.trainOrResume(offline, root, "student-direct", "student", method, ss.model(), ss.train(), knowledge,
                    teacher).close();
        }
        if (scheme.baseline()) {
            phases.trainOrResume(offline, root, "student-alone", "student", new NoDistillation(), ss.model(), ss.train(),
                    null, teacher).close();
        }
        teacher.close();
        ObjectNode results = RunRecord.JSON.createObjectNode();
        results.set("chain", chain);
        results.put("direct", direct ? "student-direct" : "student");
        results.put("alone", scheme.baseline() ? "student-alone" : null);
        return results;
    }
}

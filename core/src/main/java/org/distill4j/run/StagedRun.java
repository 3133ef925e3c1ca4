package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.distill4j.config.RunConfig;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.Offline;
import org.distill4j.scheme.StagedScheme;
import org.distill4j.train.TrainSpec;

/**
 * The {@code staged} scheme's run (see {@link StagedScheme}): the teacher, the optional
 * baseline, then each stage as one phase that starts from the previous stage's weights. Every
 * stage goes through {@link Phases#trainOrResume}, so a resumed run loads finished stages from
 * their files (digests checked) and continues the stage in progress from its checkpoint.
 */
final class StagedRun {
    private final RunConfig config;
    private final StagedScheme scheme;
    private final Phases phases;
    private String teacherDigest;

    StagedRun(RunConfig config, StagedScheme scheme, Phases phases) {
        this.config = config;
        this.scheme = scheme;
        this.phases = phases;
    }

    String teacherDigest() {
        return teacherDigest;
    }

    /** Stage {@code k} (1-based) as named in the record and the run directory. */
    static String stageName(int k) {
        return "stage" + k;
    }

    /** Runs every phase; returns the scheme results: each stage's method, schedule and origin. */
    JsonNode run(NDManager root) throws IOException {
        var ss = config.student();
        List<StagedScheme.Stage> stages = scheme.stages();
        // Every stage's taps are checked before the teacher trains; one store serves every stage
        // (unless live): it holds the union of the teacher taps the bound losses read.
        Set<String> taps = new LinkedHashSet<>();
        for (int k = 0; k < stages.size(); k++) {
            taps.addAll(phases.checkTaps("stage " + (k + 1) + " (" + stages.get(k).method().name() + ")",
                    stages.get(k).method(), ss.model(), config.teacher().model(), root).teacherTaps());
        }
        Offline offline = new Offline(root, phases.listener);
        Network teacher = phases.teacher(offline, root);
        teacherDigest = teacher.weightsDigest();


        if (ss.baseline()) {
            phases.trainOrResume(offline, root, "student-none", "student", new NoDistillation(), ss.model(),
                    ss.train(), null, teacher).close();
        }
        ArrayNode out = RunRecord.JSON.createArrayNode();
        Network previous = null;
        for (int k = 0; k < stages.size(); k++) {
            StagedScheme.Stage stage = stages.get(k);
            TrainSpec train = stage.train() == null ? ss.train() : stage.train();
            KnowledgeSource source = stage.method().objective().needsTeacher()
                    ? phases.knowledge(teacher, "teacher", train, taps, root)
                    : null;
            String name = stageName(k + 1);
            Network net = phases.trainOrResume(offline, root, name, "student", stage.method(), ss.model(), train,
                    source, teacher, previous);
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
        previous.save(phases.runDir.resolve("student.model"));
        previous.close();
        teacher.close();
        ObjectNode results = RunRecord.JSON.createObjectNode();
        results.set("stages", out);
        results.put("student", stageName(stages.size()));
        return results;
    }
}

package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.model.TapShapes;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.Offline;
import org.distill4j.scheme.SnapshotDistillation;
import org.distill4j.scheme.SnapshotScheme;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;

/**
 * The {@code snapshot} run: the plain student (baseline), then one phase that trains the student
 * through the cycles, saving the snapshot that ends each cycle but the last as
 * {@code cycle<k>.model} (before that epoch's checkpoint, so a resumed run finds it) and
 * teaching the next cycle from it; then every snapshot evaluated. A run resumes from the last
 * checkpoint of its phase, within a cycle.
 */
final class SnapshotRun {
    static final String NAME = "student-snapshot";

    private SnapshotRun() {}

    static String cycle(int k) {
        return "cycle" + k;
    }

    static JsonNode run(Phases phases, SnapshotScheme scheme, NDManager root, Experiment experiment)
            throws IOException {
        var student = phases.config.student();
        TrainSpec train = student.train();
        int epochs = train.epochs();
        int cycles = scheme.cycles();
        Offline offline = new Offline(root, phases.listener);
        if (student.baseline()) {
            try (Network plain = phases.trainOrResume(offline, root, "student-none", "student", new NoDistillation(),
                    student.model(), train, null, null)) {
                // recorded by the phase
            }
        }
        TapShapes shapes;
        try (Network probe = Network.create(student.model(), phases.train.sampleShape(), phases.train.numClasses(),
                root)) {
            shapes = probe.tapShapes("student"); // trainOrResume reseeds before creating the student
        }
        KdLoss kd = new KdLoss(scheme.temperature(), scheme.alpha());
        Network[] teacher = new Network[1];
        SnapshotDistillation cyclesLoss = new SnapshotDistillation(epochs, cycles, scheme.temperature(),
                scheme.alpha(), shapes, k -> {
                    if (teacher[0] != null) {
                        teacher[0].close();
                    }
                    phases.listener.onMessage("cycle " + (k + 1) + " learns from the snapshot of cycle " + k);
                    teacher[0] = Network.load(snapshotFile(phases, k), student.model(), root);
                    teacher[0].freeze();
                    KnowledgeSource source = phases.knowledge(teacher[0], cycle(k), phases.config.student().train(), kd.teacherTaps(), root);
                    return source;
                });
        double base = train.optimizer().lr();
        double minLr = train.schedule().minLr();
        Offline cyclic = offline.withRates((epoch, step, steps) -> SnapshotDistillation.rate(base, minLr, epoch, step,
                steps, epochs, cycles)).withEpochEnd((finished, net) -> {
                    int ended = SnapshotDistillation.cycleEndingAt(finished, epochs, cycles);
                    if (ended > 0 && ended < cycles) {
                        net.save(snapshotFile(phases, ended));
                    }
                });
        try (Network last = phases.trainOrResume(cyclic, root, NAME, "student", scheme.name(), cyclesLoss,
                student.model(), train, cyclesLoss, null)) {
            // the end of the last cycle; recorded by the phase
        } finally {
            if (teacher[0] != null) {
                teacher[0].close();
            }
        }
        ModelResult whole = phases.done(NAME);
        for (int k = 1; k < cycles; k++) {
            if (phases.done(cycle(k)) == null) {
                int end = SnapshotDistillation.cycleStart(k + 1, epochs, cycles);
                List<EpochSummary> history = whole.history().subList(0, end);
                double seconds = history.stream().mapToDouble(EpochSummary::seconds).sum();
                try (Network snapshot = Network.load(snapshotFile(phases, k), student.model(), root)) {
                    phases.evaluated(cycle(k), "student", scheme.name(), snapshot, false,
                            new TrainingProgress(end, 0, 0, java.util.Map.of(), 0, 0, 0, history, seconds), null, root);
                }
            }
        }
        return results(phases, scheme, epochs);
    }

    private static Path snapshotFile(Phases phases, int k) {
        return phases.runDir.resolve(cycle(k) + ".model");
    }

    private static JsonNode results(Phases phases, SnapshotScheme scheme, int epochs) {
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", scheme.name());
        ArrayNode rows = out.putArray("cycles");
        for (int k = 1; k <= scheme.cycles(); k++) {
            ModelResult r = phases.done(k < scheme.cycles() ? cycle(k) : NAME);
            int start = SnapshotDistillation.cycleStart(k, epochs, scheme.cycles());
            int end = SnapshotDistillation.cycleStart(k + 1, epochs, scheme.cycles());
            ObjectNode row = rows.addObject();
            row.put("cycle", k);
            row.put("model", r.name());
            row.put("firstEpoch", start + 1);
            row.put("lastEpoch", end);
            row.put("taughtBy", k == 1 ? null : cycle(k - 1));
            row.put("testAccuracy", r.metrics().testAccuracy());
            row.put("validationAccuracy", r.history().get(end - 1).validationAccuracy());
        }
        out.put("finalTestAccuracy", phases.done(NAME).metrics().testAccuracy());
        ModelResult baseline = phases.done("student-none");
        if (baseline != null) {
            out.put("baselineTestAccuracy", baseline.metrics().testAccuracy());
        }
        return out;
    }
}

package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.self.SelfAttentionLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.model.TapShapes;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.Offline;
import org.distill4j.scheme.SadScheme;

/** The {@code sad} run: the plain student (baseline), then the same student with self-attention distillation. */
final class SadRun {
    static final String NAME = "student-sad";

    private SadRun() {}

    static JsonNode run(Phases phases, SadScheme scheme, NDManager root) throws IOException {
        var student = phases.config.student();
        int warmup = scheme.warmupFor(student.train().epochs());
        // Resolve and check the taps before anything trains (a misfit is a TapException now).
        List<String> taps;
        try (Network probe = Network.create(student.model(), phases.train.sampleShape(), phases.train.numClasses(),
                root); Adapters scratch = new Adapters(root)) {
            TapShapes shapes = probe.tapShapes("student");
            SelfAttentionLoss check = new SelfAttentionLoss(scheme.taps(), scheme.weight(), warmup);
            check.bind(new Binding(shapes, null, phases.train.size(), phases.train.idBound(), scratch));
            taps = check.taps();
        }
        Offline offline = new Offline(root, phases.listener);
        if (student.baseline()) {
            try (Network plain = phases.trainOrResume(offline, root, "student-none", "student", new NoDistillation(),
                    student.model(), student.train(), null, null)) {
                // recorded by the phase
            }
        }
        DistillationLoss loss = new WeightedSum(1, new SelfAttentionLoss(taps, scheme.weight(), warmup));
        try (Network net = phases.trainOrResume(offline, root, NAME, "student", scheme.name(), loss, student.model(),
                student.train(), null, null)) {
            // recorded by the phase
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", scheme.name());
        ArrayNode pairs = out.putArray("pairs");
        for (int i = 0; i + 1 < taps.size(); i++) {
            pairs.addArray().add(taps.get(i)).add(taps.get(i + 1));
        }
        out.put("weight", scheme.weight());
        out.put("warmupEpochs", warmup);
        out.put("testAccuracy", phases.done(NAME).metrics().testAccuracy());
        ModelResult baseline = phases.done("student-none");
        if (baseline != null) {
            out.put("baselineTestAccuracy", baseline.metrics().testAccuracy());
        }
        return out;
    }
}

package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import org.distill4j.loss.self.ByotLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.EarlyExit;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.MultiExitSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.ByotScheme;
import org.distill4j.scheme.Offline;

/**
 * The {@code byot} run: the plain student alone (baseline), then the multi-exit student with
 * {@link ByotLoss}; then every exit evaluated as a model of its own ({@code exit1} …) and early
 * exit at the scheme's thresholds. Both phases resume from their checkpoints like any phase.
 */
final class ByotRun {
    static final String NAME = "student-byot";
    private static final int LATENCY_SAMPLES = 200;

    private ByotRun() {}

    static JsonNode run(Phases phases, ByotScheme scheme, NDManager root) throws IOException {
        var student = phases.config.student();
        MultiExitSpec spec = scheme.network(student.model());
        Offline offline = new Offline(root, phases.listener);
        if (student.baseline()) {
            try (Network plain = phases.trainOrResume(offline, root, "student-none", "student", new NoDistillation(),
                    student.model(), student.train(), null, null)) {
                // recorded by the phase
            }
        }
        ByotLoss loss = new ByotLoss(spec.exitTaps(), spec.featureTaps(), scheme.alpha(), scheme.temperature(),
                scheme.lambda());
        ObjectNode results = RunRecord.JSON.createObjectNode();
        results.put("scheme", scheme.name());
        try (Network net = phases.trainOrResume(offline, root, NAME, "student", scheme.name(), loss, spec,
                student.train(), null, null)) {
            phases.listener.onMessage("evaluating every exit and early exit");
            List<String> exits = spec.exitTaps();
            List<Predictions> perExit = EarlyExit.perExit(net, exits, phases.test, root);
            ModelResult whole = phases.done(NAME);
            ArrayNode exitRows = results.putArray("exits");
            for (int k = 0; k < exits.size(); k++) {
                String name = "exit" + (k + 1);
                ModelResult r = phases.done(name);
                if (r == null) {
                    r = exitResult(name, exits.get(k), net, perExit.get(k), phases, whole, root);
                    phases.completed.add(r);
                }
                ObjectNode row = exitRows.addObject();
                row.put("name", name);
                row.put("tap", exits.get(k));
                row.put("testAccuracy", r.metrics().testAccuracy());
                row.put("parameters", r.parameters());
                row.put("latencyMsBatch1", r.metrics().latencyMsBatch1());
                row.put("latencyMsPerSampleBatch256", r.metrics().latencyMsPerSampleBatch256());
            }
            ArrayNode early = results.putArray("earlyExit");
            for (double threshold : scheme.thresholds()) {
                EarlyExit.Result e = EarlyExit.evaluate(net, exits, perExit, phases.test, threshold, LATENCY_SAMPLES,
                        root);
                early.add(RunRecord.JSON.valueToTree(e));
            }
        }
        ModelResult baseline = phases.done("student-none");
        if (baseline != null) {
            ObjectNode b = results.putObject("baseline");
            b.put("name", baseline.name());
            b.put("testAccuracy", baseline.metrics().testAccuracy());
            b.put("latencyMsBatch1", baseline.metrics().latencyMsBatch1());
        }
        return results;
    }

    /**
     * One exit as a model: its test metrics, the parameters a forward pass up to it uses, the
     * latency of the network cut at it. Trained as part of {@code student-byot} (same file and
     * digest); no learning curve of its own.
     */
    private static ModelResult exitResult(String name, String tap, Network net, Predictions onTest, Phases phases,
            ModelResult whole, NDManager root) {
        int[] labels = phases.test.labels();
        ModelMetrics metrics = new ModelMetrics(Metrics.accuracy(onTest, labels), Metrics.crossEntropy(onTest, labels),
                Metrics.expectedCalibrationError(onTest, labels, Phases.ECE_BINS), null, null, null, null,
                EarlyExit.millisPerSample(net, tap, root, 1, 200), EarlyExit.millisPerSample(net, tap, root, 256, 10));
        long parameters = net.parameterCountUpTo(tap);
        return new ModelResult(name, "student", "byot", net.spec().describe() + " " + name, parameters,
                parameters * Float.BYTES, net.weightsDigest(), whole.file(), false, whole.trainSeconds(),
                whole.skippedBatches(), List.of(), metrics);
    }
}

package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Ensemble;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.BornAgainScheme;
import org.distill4j.scheme.Offline;

/**
 * The {@code born-again} run: generation 0 on labels, then each generation taught by the one
 * before (its outputs stored once in {@code knowledge/generation<k−1>.safetensors}, or live with
 * augmentation), each an offline phase of its own; then, if asked, the ensemble of generations
 * 1 … k.
 */
final class BornAgainRun {
    static final String METHOD = "born-again";

    private BornAgainRun() {}

    static String generation(int k) {
        return "generation" + k;
    }

    static JsonNode run(Phases phases, BornAgainScheme scheme, NDManager root, Experiment experiment)
            throws IOException {
        var student = phases.config.student();
        Offline offline = new Offline(root, phases.listener);
        List<Predictions> onTest = new ArrayList<>();
        // Generation 0 has the role "student": it starts from the weights every scheme's plain student does.
        Network previous = phases.trainOrResume(offline, root, generation(0), "student", new NoDistillation(),
                student.model(), student.train(), null, null);
        try {
            for (int k = 1; k <= scheme.generations(); k++) {
                DistillationLoss loss = new WeightedSum(1 - scheme.alpha(), new KdLoss(scheme.temperature(), scheme.alpha()));
                previous.freeze();
                // Fidelity of generation k is measured against the generation that taught it.
                phases.teacherPredictions = new Predictions[] {Predictions.of(previous, phases.train, root),
                    Predictions.of(previous, phases.test, root)};
                KnowledgeSource teacher = phases.knowledge(previous, generation(k - 1), phases.config.student().train(), loss.teacherTaps(), root);
                // Each generation its own role, hence its own initial weights and batch order.
                Network next = phases.trainOrResume(offline, root, generation(k), generation(k), METHOD, loss,
                        student.model(), student.train(), teacher, previous);
                previous.close();
                previous = next;
                onTest.add(Predictions.of(next, phases.test, root));
            }
        } finally {
            previous.close();
            phases.teacherPredictions = null;
        }
        if (scheme.ensemble() && phases.done("ensemble") == null) {
            phases.completed.add(ensembleResult(phases, scheme.generations(), onTest));
        }
        return results(phases, scheme);
    }

    /**
     * The ensemble of generations 1 … k as a model: metrics of the mean probabilities; size,
     * training time and latency are the sums over its members (they run one after another).
     */
    private static ModelResult ensembleResult(Phases phases, int generations, List<Predictions> onTest) {
        int[] labels = phases.test.labels();
        Predictions p = Ensemble.meanProbabilities(onTest);
        long parameters = 0;
        double seconds = 0;
        int skipped = 0;
        double latency1 = 0;
        double latency256 = 0;
        StringBuilder digests = new StringBuilder();
        for (int k = 1; k <= generations; k++) {
            ModelResult g = phases.done(generation(k));
            parameters += g.parameters();
            seconds += g.trainSeconds();
            skipped += g.skippedBatches();
            latency1 += g.metrics().latencyMsBatch1();
            latency256 += g.metrics().latencyMsPerSampleBatch256();
            digests.append(g.weightsDigest()).append('\n');
        }
        ModelMetrics metrics = new ModelMetrics(Metrics.accuracy(p, labels), Metrics.crossEntropy(p, labels),
                Metrics.expectedCalibrationError(p, labels, Phases.ECE_BINS), null, null, null, null, latency1,
                latency256);
        String architecture = generations + " × " + phases.done(generation(1)).architecture();
        return new ModelResult("ensemble", "student", METHOD + "-ensemble", architecture, parameters,
                parameters * Float.BYTES, sha256(digests.toString()), null, false, seconds, skipped, List.of(), metrics);
    }

    private static JsonNode results(Phases phases, BornAgainScheme scheme) {
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", scheme.name());
        ArrayNode rows = out.putArray("generations");
        for (int k = 0; k <= scheme.generations(); k++) {
            ModelResult g = phases.done(generation(k));
            ObjectNode row = rows.addObject();
            row.put("name", g.name());
            row.put("taughtBy", k == 0 ? null : generation(k - 1));
            row.put("testAccuracy", g.metrics().testAccuracy());
            if (k > 0) {
                row.put("agreementWithTeacherTest", g.metrics().agreementTest());
                row.put("klFromTeacherTest", g.metrics().klTest());
            }
        }
        ModelResult e = phases.done("ensemble");
        if (e != null) {
            ObjectNode row = out.putObject("ensemble");
            row.put("members", "generation1-" + generation(scheme.generations()));
            row.put("testAccuracy", e.metrics().testAccuracy());
        }
        return out;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

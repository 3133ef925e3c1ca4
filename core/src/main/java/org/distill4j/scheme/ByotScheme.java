package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.distill4j.loss.self.ByotLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.EarlyExit;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;

import java.util.List;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.MultiExitSpec;
import org.distill4j.model.ResNetSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code byot}: Be Your Own Teacher (Zhang et al. 2019, ICCV), self-distillation in a
 * multi-exit network. The student ({@code student.model}, a {@code resnet}) gets an exit after
 * each stage (see {@link MultiExitSpec}) and is trained with
 * {@link org.distill4j.loss.self.ByotLoss}: every exit learns from the labels and from the
 * deepest exit's softened outputs and features. No teacher. The run records every exit's test
 * accuracy, size and latency (model results {@code exit1}, {@code exit2}, {@code exit3}, the
 * last being the network's own logits), early-exit inference at each threshold (accuracy, mean
 * exit depth, latency) and, with {@code student.baseline} (default), the plain network trained
 * alone with the same schedule ({@code student-none}). {@code student.method} is not used.
 *
 * @param alpha weight of the KL term; CE gets {@code 1 − alpha} (default 0.1)
 * @param temperature softening temperature T of the KL term, which is scaled by T² (default 3)
 * @param lambda weight of the summed squared feature distance to the deepest exit (default 1e-6)
 * @param thresholds confidence thresholds at which early exit is evaluated after training
 *     (default [0.5, 0.8, 0.9, 0.95, 0.99]); 0 answers from the first exit, above 1 from the last
 */
public record ByotScheme(Double alpha, Double temperature, Double lambda, List<Double> thresholds)
        implements SchemeSpec {
    public ByotScheme {
        alpha = alpha == null ? 0.1 : alpha;
        temperature = temperature == null ? 3.0 : temperature;
        lambda = lambda == null ? 1e-6 : lambda;
        thresholds = thresholds == null ? List.of(0.5, 0.8, 0.9, 0.95, 0.99) : List.copyOf(thresholds);
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha: must be in [0, 1] (got " + alpha + ")");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(lambda >= 0 && lambda <= 1e6)) {
            throw new IllegalArgumentException("lambda: must be in [0, 1e6] (got " + lambda + ")");
        }
        for (double t : thresholds) {
            if (!(t >= 0 && t <= 2)) {
                throw new IllegalArgumentException("thresholds: each must be in [0, 2] (got " + thresholds + ")");
            }
        }
    }

    @Override
    public String name() {
        return "byot";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (!(studentModel instanceof ResNetSpec)) {
            throw new IllegalArgumentException("scheme: byot adds an exit after each stage of a resnet student; "
                    + "student.model is " + studentModel.describe() + " (use e.g. {type: resnet, depth: 8})");
        }
    }

    /** The multi-exit network byot trains: the student with its exits. */
    public MultiExitSpec network(ModelSpec studentModel) {
        return new MultiExitSpec(studentModel);
    }

    static final String NAME = "student-byot";
    private static final int LATENCY_SAMPLES = 200;

    /**
     * The plain student alone (baseline), then the multi-exit student with {@link ByotLoss}; then
     * every exit evaluated as a model of its own ({@code exit1} …) and early exit at the scheme's
     * thresholds.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var student = ctx.config().student();
        MultiExitSpec spec = network(student.model());
        if (student.baseline()) {
            ctx.train(RunContext.Solo.of("student-none", "student", "none", new NoDistillation().objective(),
                    student.model(), student.train())).close();
        }
        ByotLoss loss = new ByotLoss(spec.exitTaps(), spec.featureTaps(), alpha, temperature, lambda);
        ObjectNode results = RunRecord.JSON.createObjectNode();
        results.put("scheme", name());
        try (Network net = ctx.train(RunContext.Solo.of(NAME, "student", name(), loss, spec, student.train()))) {
            ctx.message("evaluating every exit and early exit");
            List<String> exits = spec.exitTaps();
            List<Predictions> perExit = EarlyExit.perExit(net, exits, ctx.test(), ctx.root());
            ModelResult whole = ctx.done(NAME);
            ArrayNode exitRows = results.putArray("exits");
            for (int k = 0; k < exits.size(); k++) {
                String exit = "exit" + (k + 1);
                ModelResult r = ctx.done(exit);
                if (r == null) {
                    r = exitResult(exit, exits.get(k), net, perExit.get(k), ctx, whole);
                    ctx.record(r);
                }
                ObjectNode row = exitRows.addObject();
                row.put("name", exit);
                row.put("tap", exits.get(k));
                row.put("testAccuracy", r.metrics().testAccuracy());
                row.put("parameters", r.parameters());
                row.put("latencyMsBatch1", r.metrics().latencyMsBatch1());
                row.put("latencyMsPerSampleBatch256", r.metrics().latencyMsPerSampleBatch256());
            }
            ArrayNode early = results.putArray("earlyExit");
            for (double threshold : thresholds) {
                EarlyExit.Result e = EarlyExit.evaluate(net, exits, perExit, ctx.test(), threshold, LATENCY_SAMPLES,
                        ctx.root());
                early.add(RunRecord.JSON.valueToTree(e));
            }
        }
        ModelResult baseline = ctx.done("student-none");
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
    private static ModelResult exitResult(String name, String tap, Network net, Predictions onTest, RunContext ctx,
            ModelResult whole) {
        int[] labels = ctx.test().labels();
        ModelMetrics metrics = new ModelMetrics(Metrics.accuracy(onTest, labels), Metrics.crossEntropy(onTest, labels),
                Metrics.expectedCalibrationError(onTest, labels, RunContext.ECE_BINS), null, null, null, null,
                EarlyExit.millisPerSample(net, tap, ctx.root(), 1, 200),
                EarlyExit.millisPerSample(net, tap, ctx.root(), 256, 10));
        long parameters = net.parameterCountUpTo(tap);
        return new ModelResult(name, "student", "byot", net.spec().describe() + " " + name, parameters,
                parameters * Float.BYTES, net.weightsDigest(), whole.file(), false, whole.trainSeconds(),
                whole.skippedBatches(), List.of(), metrics);
    }
}

package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.self.SelfAttentionLoss;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;

import java.util.List;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code sad}: self-attention distillation (Hou et al. 2019, ICCV): the student
 * ({@code student.model}, {@code student.train}) learns from labels while each stage's attention
 * map mimics the next deeper stage's, see {@link org.distill4j.loss.self.SelfAttentionLoss}. No
 * teacher. Model results {@code student-sad} and, with {@code student.baseline} (default), the same
 * network trained alone from the same initial weights, {@code student-none}.
 * {@code student.method} is not used.
 *
 * @param taps the student's feature-map taps, shallowest first (default: all of them but
 *     {@code stem}, e.g. stage1, stage2, stage3 of a resnet or conv1 … of a cnn)
 * @param weight weight of the attention term (default 50, <i>choice</i>: attention transfer's
 *     500 (β/2, β = 1000, same maps and mean reduction) swamps the labels here, where both maps of
 *     a pair move: on resnet8/Fashion-MNIST the term then stays near 2 against a CE of 0.8 and
 *     test accuracy fell from 82.7% to 71.2% in a 4-epoch run; with 50 the term is about a third of
 *     CE (0.15–0.18 against 0.50–0.57) and accuracy 81.4%)
 * @param warmupEpochs epochs of plain training before the attention term switches on (default:
 *     two thirds of {@code student.train.epochs}, rounded down, as Hou et al. switch it on at
 *     40k of 60k steps)
 */
public record SadScheme(List<String> taps, Double weight, Integer warmupEpochs) implements SchemeSpec {
    public SadScheme {
        taps = taps == null ? null : List.copyOf(taps);
        weight = weight == null ? 50.0 : weight;
        if (taps != null && taps.size() < 2) {
            throw new IllegalArgumentException("taps: at least two feature-map taps, shallowest first (got " + taps + ")");
        }
        if (!(weight >= 0 && weight <= 1e9)) {
            throw new IllegalArgumentException("weight: must be in [0, 1e9] (got " + weight + ")");
        }
        if (warmupEpochs != null && warmupEpochs < 0) {
            throw new IllegalArgumentException("warmupEpochs: must be ≥ 0 (got " + warmupEpochs + ")");
        }
    }

    @Override
    public String name() {
        return "sad";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (warmupEpochs != null && warmupEpochs >= studentTrain.epochs()) {
            throw new IllegalArgumentException("scheme: sad's warmupEpochs (" + warmupEpochs + ") must be below "
                    + "student.train.epochs (" + studentTrain.epochs() + "), else the attention term never switches on");
        }
    }

    /** The warm-up for a run of {@code epochs} epochs: as given, else two thirds of them. */
    public int warmupFor(int epochs) {
        return warmupEpochs != null ? warmupEpochs : epochs * 2 / 3;
    }

    static final String NAME = "student-sad";

    /** The plain student (baseline), then the same student with self-attention distillation. */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var student = ctx.config().student();
        int warmup = warmupFor(student.train().epochs());
        // Resolve and check the taps before anything trains (a misfit is a TapException now).
        List<String> resolved;
        try (Network probe = ctx.create(student.model()); Adapters scratch = new Adapters(ctx.root())) {
            SelfAttentionLoss check = new SelfAttentionLoss(taps, weight, warmup);
            check.bind(new Binding(probe.tapShapes("student"), null, ctx.train().size(), ctx.train().idBound(),
                    scratch));
            resolved = check.taps();
        }
        if (student.baseline()) {
            ctx.train(RunContext.Solo.of("student-none", "student", "none", new NoDistillation().objective(),
                    student.model(), student.train())).close();
        }
        ctx.train(RunContext.Solo.of(NAME, "student", name(),
                new WeightedSum(1, new SelfAttentionLoss(resolved, weight, warmup)), student.model(), student.train()))
                .close();
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ArrayNode pairs = out.putArray("pairs");
        for (int i = 0; i + 1 < resolved.size(); i++) {
            pairs.addArray().add(resolved.get(i)).add(resolved.get(i + 1));
        }
        out.put("weight", weight);
        out.put("warmupEpochs", warmup);
        out.put("testAccuracy", ctx.done(NAME).metrics().testAccuracy());
        ModelResult baseline = ctx.done("student-none");
        if (baseline != null) {
            out.put("baselineTestAccuracy", baseline.metrics().testAccuracy());
        }
        return out;
    }
}

package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.model.Quantization;
import org.distill4j.model.QuantizedNetwork;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;

/**
 * {@code quantized}: quantized distillation (Polino, Pascanu &amp; Alistarh 2018, "Model
 * compression via distillation and quantization", ICLR). The student keeps full-precision shadow
 * weights; every step they are quantised (buckets of {@code bucket} values, min–max scaling,
 * {@code 2^b} levels, stochastic or nearest rounding), the forward and backward passes run on the
 * quantised weights, and the gradient updates the shadow weights (straight-through), see
 * {@link org.distill4j.train.QuantizedTraining}. The loss is {@code method}'s, by default the
 * paper's {@code 0.3·CE + 0.7·T²·KL} at {@code T = 2}. The student ships quantised:
 * {@code <model>.qmodel} holds the packed {@code b}-bit codes with each bucket's minimum and step
 * ({@link QuantizedNetwork}); the record's size of the model is that file's, and loading it gives
 * the very weights (hence accuracy) the run measured.
 *
 * <p>Models, all the same student from the same initial weights and batch order: for each bit
 * width {@code b}, {@code student-q<b>-<method>} (quantised distillation) and
 * {@code student-q<b>-none} (the same quantised training on labels alone, the paper's
 * "quantized" baseline); with {@code baseline}, {@code student-none} and {@code student-<method>}
 * in full precision. {@code student.method} and {@code student.baseline} are not used.
 *
 * @param bits the bit widths, each in [1, 8] (default [8, 4, 2])
 * @param bucket values per bucket (default 256, the paper's)
 * @param rounding training's rounding, {@code stochastic} (default) or {@code nearest}
 * @param scope what is quantised: {@code weights} (default; biases and batch norm in float32) or {@code all}
 * @param method the distillation (default {@code kd} with T = 2, α = 0.7); it must use a teacher
 * @param baseline also train the full-precision students (default true)
 */
public record QuantizedScheme(List<Integer> bits, Integer bucket, Quantization.Rounding rounding,
        Quantization.Scope scope, MethodSpec method, Boolean baseline) implements SchemeSpec {
    public QuantizedScheme {
        bits = bits == null ? List.of(8, 4, 2) : bits;
        if (bits.isEmpty() || bits.stream().anyMatch(b -> b == null || b < 1 || b > 8)) {
            throw new IllegalArgumentException("bits: each bit width must be in [1, 8] (got " + bits + ")");
        }
        if (bits.stream().distinct().count() != bits.size()) {
            throw new IllegalArgumentException("bits: a bit width repeats (got " + bits + ")");
        }
        bits = List.copyOf(bits);
        bucket = bucket == null ? 256 : bucket;
        if (bucket < 1 || bucket > Quantization.MAX_BUCKET) {
            throw new IllegalArgumentException("bucket: must be in [1, " + Quantization.MAX_BUCKET + "] (got "
                    + bucket + ")");
        }
        rounding = rounding == null ? Quantization.Rounding.STOCHASTIC : rounding;
        scope = scope == null ? Quantization.Scope.WEIGHTS : scope;
        method = method == null ? new HintonKd(2.0, 0.7) : method;
        baseline = baseline == null ? Boolean.TRUE : baseline;
        if (!method.objective().needsTeacher()) {
            throw new IllegalArgumentException("method: quantized distillation needs a method that uses the teacher, "
                    + "not '" + method.name() + "' (the quantised students without distillation are trained anyway)");
        }
    }

    @Override
    public String name() {
        return "quantized";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    /** The quantisation at {@code b} bits. */
    public Quantization at(int b) {
        return new Quantization(b, bucket, rounding, scope);
    }

    /** The name of the quantised student at {@code b} bits trained with {@code method}. */
    public static String model(int b, String method) {
        return "student-q" + b + "-" + method;
    }

    /**
     * The teacher, then (with {@code baseline}) the full-precision students, then for each bit
     * width the quantised student without and with distillation. Returns each quantised model's
     * shipped file and size beside the float32 size.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var config = ctx.config();
        var ss = config.student();
        MethodSpec none = new NoDistillation();
        DistillationLoss probe = ctx.checkTaps("student-" + method.name(), method, ss.model(), config.teacher());
        ArrayNode models = RunRecord.JSON.createArrayNode();
        try (org.distill4j.model.InferenceModel teacher = ctx.teacher()) {
            KnowledgeSource knowledge = ctx.knowledge(teacher, "teacher", ss.train(), probe.teacherTaps());
            List<RunContext.Solo> students = new ArrayList<>();
            if (baseline) {
                students.add(solo("student-none", none, ctx, null, null));
                students.add(solo("student-" + method.name(), method, ctx, knowledge, null));
            }
            for (int b : bits) {
                students.add(solo(model(b, none.name()), none, ctx, null, at(b)));
                students.add(solo(model(b, method.name()), method, ctx, knowledge, at(b)));
            }
            for (RunContext.Solo s : students) {
                ctx.train(s).close();
                if (s.quantized() != null) {
                    ModelResult r = ctx.done(s.name());
                    ObjectNode m = models.addObject();
                    m.put("model", s.name());
                    m.put("bits", s.quantized().bits());
                    m.put("bucket", bucket);
                    m.put("rounding", rounding.name().toLowerCase(java.util.Locale.ROOT));
                    m.put("scope", scope.name().toLowerCase(java.util.Locale.ROOT));
                    m.put("file", s.name() + RunContext.QUANTIZED_SUFFIX);
                    m.put("shippedBytes", r.sizeBytes());
                    m.put("float32Bytes", r.parameters() * Float.BYTES);
                    m.put("compression", (double) r.parameters() * Float.BYTES / r.sizeBytes());
                    m.put("testAccuracy", r.metrics().testAccuracy());
                    if (!Files.exists(ctx.runDir().resolve(s.name() + RunContext.QUANTIZED_SUFFIX))) {
                        throw new IOException(s.name() + RunContext.QUANTIZED_SUFFIX + " is missing from " + ctx.runDir());
                    }
                }
            }
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        out.set("quantized", models);
        return out;
    }

    private RunContext.Solo solo(String name, MethodSpec m, RunContext ctx, KnowledgeSource knowledge,
            Quantization q) {
        var ss = ctx.config().student();
        return RunContext.Solo.of(name, "student", m.name(), m.objective(), ss.model(), ss.train())
                .taughtBy(knowledge).withFidelity(true).quantizedAs(q);
    }
}

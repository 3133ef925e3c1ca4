package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.distill4j.method.HintonKd;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.model.TapShapes;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.RunContext;
import org.distill4j.train.TrainingProgress;

import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code snapshot}: Snapshot Distillation (Yang et al. 2019, "Snapshot Distillation:
 * Teacher-Student Optimization in One Generation", CVPR). One training run of the student
 * ({@code student.model}, {@code student.train}) split into {@code cycles} cycles of (nearly) equal
 * length, each with its own cosine learning-rate decay from the optimizer's rate to the
 * schedule's {@code minLr} (the schedule's type and warm-up are replaced by these cycles). The
 * first cycle learns from labels; the network as it was at the end of each cycle (its snapshot)
 * teaches the next cycle with response KD ({@code (1−α)·CE + α·T²·KL}, see
 * {@link org.distill4j.loss.response.KdLoss}). Model results: {@code student-snapshot} (the end of
 * the last cycle), {@code cycle1} … (the snapshots of the earlier cycles) and, with
 * {@code student.baseline} (default), {@code student-none}: the same network trained alone for
 * the same total epochs with {@code student.train} as written. {@code student.method} is not used.
 *
 * @param cycles learning-rate cycles, in [2, 100], at most one per epoch (default 3)
 * @param temperature KD temperature (default 4, <i>choice</i>: as {@code kd})
 * @param alpha weight of the KD term; labels get {@code 1 − alpha} (default 0.5, <i>choice</i>:
 *     labels and the previous snapshot weigh the same)
 */
public record SnapshotScheme(Integer cycles, Double temperature, Double alpha) implements SchemeSpec {
    public SnapshotScheme {
        cycles = cycles == null ? 3 : cycles;
        temperature = temperature == null ? 4.0 : temperature;
        alpha = alpha == null ? 0.5 : alpha;
        if (cycles < 2 || cycles > 100) {
            throw new IllegalArgumentException("cycles: must be in [2, 100] (got " + cycles + ")");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha: must be in [0, 1] (got " + alpha + ")");
        }
    }

    @Override
    public String name() {
        return "snapshot";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (studentTrain.epochs() < cycles) {
            throw new IllegalArgumentException("scheme: snapshot needs at least one epoch per cycle; student.train.epochs is "
                    + studentTrain.epochs() + ", cycles " + cycles);
        }
    }

    static final String NAME = "student-snapshot";

    static String cycle(int k) {
        return "cycle" + k;
    }

    /**
     * The plain student (baseline), then one phase that trains the student through the cycles,
     * saving the snapshot that ends each cycle but the last as {@code cycle<k>.model} (an
     * epoch-end listener, before that epoch's checkpoint, so a resumed run finds it) and teaching
     * the next cycle from it; then every snapshot evaluated. A run resumes from the last
     * checkpoint of its phase, within a cycle.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var student = ctx.config().student();
        TrainSpec train = student.train();
        int epochs = train.epochs();
        if (student.baseline()) {
            ctx.train(RunContext.Solo.of("student-none", "student", "none", new NoDistillation().objective(),
                    student.model(), train)).close();
        }
        TapShapes shapes;
        try (Network probe = ctx.create(student.model())) {
            shapes = probe.tapShapes("student"); // each phase reseeds before creating its network
        }
        java.util.Set<String> kdTaps = new HintonKd(temperature, alpha).objective().teacherTaps();
        Network[] teacher = new Network[1];
        SnapshotDistillation cyclesLoss = new SnapshotDistillation(epochs, cycles, temperature, alpha, shapes, k -> {
            if (teacher[0] != null) {
                teacher[0].close();
            }
            ctx.message("cycle " + (k + 1) + " learns from the snapshot of cycle " + k);
            teacher[0] = Network.load(snapshotFile(ctx, k), student.model(), ctx.root());
            teacher[0].freeze();
            return ctx.knowledge(teacher[0], cycle(k), train, kdTaps);
        });
        double base = train.optimizer().lr();
        double minLr = train.schedule().minLr();
        LoopListener snapshots = new LoopListener() {
            @Override
            public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) throws IOException {
                int ended = SnapshotDistillation.cycleEndingAt(epoch + 1, epochs, cycles);
                if (ended > 0 && ended < cycles) {
                    state.phase().participant(NAME).network().save(snapshotFile(ctx, ended));
                }
            }
        };
        try {
            ctx.train(RunContext.Solo.of(NAME, "student", name(), cyclesLoss, student.model(), train)
                    .taughtBy(cyclesLoss)
                    .withRates((epoch, step, steps) -> SnapshotDistillation.rate(base, minLr, epoch, step, steps, epochs,
                            cycles))
                    .withHook(snapshots)).close(); // the end of the last cycle; recorded by the phase
        } finally {
            if (teacher[0] != null) {
                teacher[0].close();
            }
        }
        ModelResult whole = ctx.done(NAME);
        for (int k = 1; k < cycles; k++) {
            if (ctx.done(cycle(k)) == null) {
                int end = SnapshotDistillation.cycleStart(k + 1, epochs, cycles);
                List<EpochSummary> history = whole.history().subList(0, end);
                double seconds = history.stream().mapToDouble(EpochSummary::seconds).sum();
                try (Network snapshot = Network.load(snapshotFile(ctx, k), student.model(), ctx.root())) {
                    ctx.evaluated(cycle(k), "student", name(), snapshot, false,
                            new TrainingProgress(end, 0, 0, java.util.Map.of(), 0, 0, 0, history, seconds), false);
                }
            }
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ArrayNode rows = out.putArray("cycles");
        for (int k = 1; k <= cycles; k++) {
            ModelResult r = ctx.done(k < cycles ? cycle(k) : NAME);
            int start = SnapshotDistillation.cycleStart(k, epochs, cycles);
            int end = SnapshotDistillation.cycleStart(k + 1, epochs, cycles);
            ObjectNode row = rows.addObject();
            row.put("cycle", k);
            row.put("model", r.name());
            row.put("firstEpoch", start + 1);
            row.put("lastEpoch", end);
            row.put("taughtBy", k == 1 ? null : cycle(k - 1));
            row.put("testAccuracy", r.metrics().testAccuracy());
            row.put("validationAccuracy", r.history().get(end - 1).validationAccuracy());
        }
        out.put("finalTestAccuracy", ctx.done(NAME).metrics().testAccuracy());
        ModelResult baseline = ctx.done("student-none");
        if (baseline != null) {
            out.put("baselineTestAccuracy", baseline.metrics().testAccuracy());
        }
        return out;
    }

    private static Path snapshotFile(RunContext ctx, int k) {
        return ctx.runDir().resolve(cycle(k) + ".model");
    }
}

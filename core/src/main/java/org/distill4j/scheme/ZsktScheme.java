package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.NoiseSource;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.datafree.BeliefMatching;
import org.distill4j.loss.feature.AttentionLoss;
import org.distill4j.method.AttentionTransfer;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.Objective;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.StepContext;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.Update;

/**
 * {@code zskt}: zero-shot knowledge transfer by adversarial belief matching (Micaelli &amp;
 * Storkey 2019, "Zero-shot Knowledge Transfer via Adversarial Belief Matching", NeurIPS). The
 * teacher is trained (or loaded) first; then a generator G and the student play a game on
 * generated data, and no real image is read (the phase is sealed, see {@link Algorithms#seal}).
 * Each step draws n latent codes z (kept for the whole step) and runs
 *
 * <ol>
 *   <li>{@code generatorSteps} (default 1) updates of G <em>ascending</em> on
 *       {@code D = KL(softmax(T(x)/τ) ‖ softmax(S(x)/τ))}, {@code x = G(z)} (sign −1: G looks for
 *       the inputs on which the student disagrees most with the teacher; the gradient flows through
 *       the frozen teacher and the student);
 *   <li>{@code studentSteps} (default 10, the paper; the authors' code defaults to 7) updates of the
 *       student descending on {@code D + β·Σ_pairs mean((Q_s − Q_t)²)} on the same x, the teacher and
 *       x detached (attention transfer between the networks' feature maps, β = 250, paired from the
 *       deepest as {@link AttentionLoss} does; β = 0 for none).
 * </ol>
 *
 * G does not change during the student's updates, so x and the teacher's outputs are computed at
 * the first of them and reused (the authors' code recomputes x each time, with the same values,
 * and the teacher's outputs once). The teacher is in inference mode, G and the student in
 * training mode throughout, as in the authors' code (so the generator's update also moves the
 * student's batch-norm running statistics). With {@code student.baseline} the same student also
 * learns from scratch and with {@code student.method} on the real data, from the same initial
 * weights.
 *
 * <p><em>Choices (options):</em> the reduction of D ({@code reduction}: {@code elementwise}, the
 * code's, or {@code batchmean}, see {@link BeliefMatching}); τ ({@code temperature}, default 1);
 * steps per epoch ({@code stepsPerEpoch}, default: as many as the real training set has batches; the
 * paper counts "pseudo batches", 80,000 for CIFAR-10). Both networks clip at 5 in the paper: set
 * {@code student.train.clipGradNorm: 5}; the generator's default is 5.
 *
 * @param generator the generator (defaults: z 100, channels [128, 64], no tanh, Adam lr 1e-3, clip 5)
 * @param generatorSteps G's updates per step (default 1)
 * @param studentSteps the student's updates per step (default 10)
 * @param temperature τ (default 1)
 * @param attention β of the attention term (default 250; 0: none)
 * @param reduction how D is averaged (default {@code elementwise})
 * @param stepsPerEpoch generated batches per epoch (default: the real training set's batches)
 */
public record ZsktScheme(GeneratorSpec generator, Integer generatorSteps, Integer studentSteps, Double temperature,
        Double attention, BeliefMatching.Reduction reduction, Integer stepsPerEpoch) implements SchemeSpec {
    /** The authors' generator: z 100, [128, 64], no tanh, Adam with lr 1e-3, gradients clipped at 5. */
    static final GeneratorSpec PAPER = new GeneratorSpec(100, List.of(128, 64), false,
            new OptimizerSpec.Adam(1e-3, null, null, null, null), null, 5.0);

    public ZsktScheme {
        generator = (generator == null ? PAPER : generator).or(PAPER);
        generatorSteps = generatorSteps == null ? 1 : generatorSteps;
        studentSteps = studentSteps == null ? 10 : studentSteps;
        if (generatorSteps < 1 || generatorSteps > 100) {
            throw new IllegalArgumentException("generatorSteps: must be in [1, 100] (got " + generatorSteps + ")");
        }
        if (studentSteps < 1 || studentSteps > 100) {
            throw new IllegalArgumentException("studentSteps: must be in [1, 100] (got " + studentSteps + ")");
        }
        temperature = Algorithms.temperature(temperature, 1);
        attention = Algorithms.weight(attention, 250, "attention");
        reduction = reduction == null ? BeliefMatching.Reduction.ELEMENTWISE : reduction;
        stepsPerEpoch = Algorithms.checkSteps(stepsPerEpoch);
    }

    @Override
    public String name() {
        return "zskt";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    @Override
    public String zooTeacherReason() {
        return "backpropagates through the teacher to its generator (the gradient of KL(T||S) with respect to the images)";
    }

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        Algorithms.Baselines baselines = Algorithms.baselines(ctx);
        if (attention > 0) { // attention needs feature maps on both networks: fail before anything trains
            ctx.checkTaps("scheme zskt (attention)", new AttentionTransfer(null, null, true, 2 * attention, 0.0),
                    ss.model(), ctx.config().teacher().model());
        }
        int batch = ss.train().batchSize();
        int steps = Algorithms.stepsPerEpoch(ctx, stepsPerEpoch, batch);
        try (Network teacher = Algorithms.zoo(ctx.teacher())) {
            baselines.train(ctx, teacher);
            Algorithms.student(ctx, "student-zskt", "zskt", ss.model(), true, student -> {
                StepCache cache = new StepCache(ctx.root());
                Phase phase = phase(student, Algorithms.generator(ctx, "student-zskt", generator, batch), teacher,
                        ss.train(), Algorithms.noise(ctx, "student-zskt", generator.z(), batch, steps), cache);
                return new Algorithms.Built(phase, List.of(cache), List.of(cache));
            }).close();
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ObjectNode settings = out.putObject("settings");
        settings.put("stepsPerEpoch", steps);
        settings.put("pseudoBatches", (long) steps * ss.train().epochs());
        settings.put("realDataSealed", true);
        return out;
    }

    /** The phase "student-zskt": the student, the generator and the frozen teacher (see the class comment). */
    Phase phase(Network student, Adapters generatorBlock, Network teacher, TrainSpec train, Feed codes,
            StepCache cache) {
        String s = "student-zskt";
        AttentionLoss at = null;
        if (attention > 0) {
            at = new AttentionLoss(null, null, true, 2 * attention); // its β/2·Σ is the paper's β·Σ
            try (Adapters none = new Adapters(student.manager())) {
                at.bind(new Binding(student.tapShapes("student"), teacher.tapShapes("teacher"), 0, 0, none));
            }
        }
        AttentionLoss attentionLoss = at;
        double t = temperature;
        Objective generatorLoss = step -> {
            NDArray x = step.adapters("generator").forward("generator", step.batch().input(NoiseSource.NOISE));
            NDArray zt = step.forward("teacher", x, false).logits();
            NDArray zs = step.forward(s, x, true).logits();
            return LossValue.of("kl", BeliefMatching.divergence(zt, zs, t, reduction));
        };
        Objective studentLoss = step -> {
            Outputs teacherOut = cache.teacher(step);
            Outputs out = step.forward(s, cache.inputs(step), true);
            Map<String, NDArray> terms = new LinkedHashMap<>();
            terms.put("kl", BeliefMatching.divergence(teacherOut.logits(), out.logits(), t, reduction));
            if (attentionLoss != null) {
                terms.putAll(attentionLoss.compute(out, new Knowledge(teacherOut), step.batch()).terms());
            }
            return LossValue.sum(terms);
        };
        List<Update> updates = new ArrayList<>();
        for (int i = 0; i < generatorSteps; i++) {
            updates.add(new Update("generator", codes.name(), null, generatorLoss, -1));
        }
        for (int i = 0; i < studentSteps; i++) {
            updates.add(new Update(s, codes.name(), null, studentLoss, 1));
        }
        List<Update> all = List.copyOf(updates);
        List<Participant> participants = List.of(Participant.learner(s, student, null, train),
                Participant.adapters("generator", generatorBlock, generator.train(train)),
                Participant.frozen("teacher", teacher));
        StepPolicy policy = (step, epoch, b) -> all;
        return new Phase(s, participants, List.of(codes), policy, train.epochs(), null);
    }

    /**
     * The generated inputs and the teacher's outputs of the step in progress, made at the
     * student's first update of the step (G no longer changes within it) and dropped after the step.
     * Each update gets its own copies in its scope, so what it computes dies with it.
     */
    static final class StepCache implements LoopListener, AutoCloseable {
        private final NDManager root;
        private NDManager scope;
        private NDArray inputs;
        private Map<String, NDArray> teacher;

        StepCache(NDManager root) {
            this.root = root;
        }

        private void fill(StepContext step) {
            if (inputs != null) {
                return;
            }
            scope = root.newSubManager();
            NDArray x = step.adapters("generator").forward("generator", step.batch().input(NoiseSource.NOISE))
                    .stopGradient();
            Outputs out = step.forward("teacher", x, false);
            inputs = keep(x);
            teacher = new LinkedHashMap<>();
            for (String tap : out.names()) {
                teacher.put(tap, keep(out.get(tap).stopGradient()));
            }
        }

        private NDArray keep(NDArray a) {
            NDArray copy = a.duplicate();
            copy.attach(scope);
            return copy;
        }

        /** This step's generated inputs, copied into the update's scope. */
        NDArray inputs(StepContext step) {
            fill(step);
            return copy(inputs, step);
        }

        /** The teacher's outputs on them, copied into the update's scope. */
        Outputs teacher(StepContext step) {
            fill(step);
            Map<String, NDArray> taps = new LinkedHashMap<>();
            teacher.forEach((tap, a) -> taps.put(tap, copy(a, step)));
            return new Outputs(taps);
        }

        private static NDArray copy(NDArray a, StepContext step) {
            NDManager updateScope = step.batch().input(NoiseSource.NOISE).getManager();
            return updateScope.zeros(a.getShape(), a.getDataType()).add(a);
        }

        @Override
        public void afterStep(LoopState state, long step, double meanLoss) {
            close();
        }

        @Override
        public void close() {
            if (scope != null) {
                scope.close();
            }
            scope = null;
            inputs = null;
            teacher = null;
        }
    }
}

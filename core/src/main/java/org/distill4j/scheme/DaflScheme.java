package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import org.distill4j.data.NoiseSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.datafree.DaflLoss;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Objective;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.Update;
import org.distill4j.model.Scalars;

/**
 * {@code dafl}: data-free learning of student networks (Chen et al. 2019, "Data-Free Learning of
 * Student Networks", ICCV). The teacher is trained (or loaded) first; then a generator G and the
 * student learn together and no real image is read (the phase is sealed, see
 * {@link Algorithms#seal}). Each step draws n latent codes z, makes {@code x = G(z)} and runs
 * two updates on the same G:
 *
 * <ol>
 *   <li>the student descends on {@code τ²·KL(softmax(T(x)/τ) ‖ softmax(S(x)/τ))} (x and the
 *       teacher detached; τ = 1 in the paper);
 *   <li>the generator descends on the DAFL loss of the teacher's outputs on x
 *       ({@link DaflLoss}: {@code L_oh + 0.1·L_a + 5·L_ie}).
 * </ol>
 *
 * Both updates see G as it was at the step's start, so the pair is exactly the authors' code's
 * one joint backward pass over the generator's and the student's losses (the student's loss does
 * not reach G, the generator's does not reach S). The teacher stays in inference mode; G in
 * training mode (batch statistics). With {@code student.baseline} the same student also learns
 * from scratch and with {@code student.method} on the real data, from the same initial weights.
 *
 * <p><em>Choices the paper leaves open (options):</em> the teacher tap whose activations L_a
 * reads ({@code tap}, default {@code embedding}: the features before the classifier, as in the
 * paper); the base of L_ie's logarithm ({@code entropyLog}: {@code log10} as in the authors'
 * code, or {@code ln}); steps per epoch ({@code stepsPerEpoch}, default: as many as the real
 * training set has batches — the code's 120 batches of 512 is MNIST's size). The authors' code
 * also gives two batch norms an ε of 0.8 (a positional-argument slip); here every ε is DJL's 1e-5.
 *
 * @param generator the generator (defaults: z 100, channels [128, 64], tanh, Adam lr 0.2)
 * @param oneHot α_oh (default 1)
 * @param activation α_a (default 0.1)
 * @param entropy α_ie (default 5)
 * @param entropyLog the logarithm of L_ie: {@code log10} (default) or {@code ln}
 * @param tap the teacher tap L_a reads (default {@code embedding})
 * @param temperature τ of the student's KL (default 1)
 * @param stepsPerEpoch generated batches per epoch (default: the real training set's batches)
 */
public record DaflScheme(GeneratorSpec generator, Double oneHot, Double activation, Double entropy, Log entropyLog,
        String tap, Double temperature, Integer stepsPerEpoch) implements SchemeSpec {
    /** The base of L_ie's logarithm. */
    public enum Log {
        @JsonProperty("log10") LOG10,
        @JsonProperty("ln") LN
    }

    /** The authors' generator: z 100, [128, 64], tanh, Adam with lr 0.2. */
    static final GeneratorSpec PAPER = new GeneratorSpec(100, List.of(128, 64), true,
            new OptimizerSpec.Adam(0.2, null, null, null, null), null, 0.0);

    public DaflScheme {
        generator = (generator == null ? PAPER : generator).or(PAPER);
        oneHot = Algorithms.weight(oneHot, 1, "oneHot");
        activation = Algorithms.weight(activation, 0.1, "activation");
        entropy = Algorithms.weight(entropy, 5, "entropy");
        entropyLog = entropyLog == null ? Log.LOG10 : entropyLog;
        tap = tap == null ? Outputs.EMBEDDING : tap;
        temperature = Algorithms.temperature(temperature, 1);
        stepsPerEpoch = Algorithms.checkSteps(stepsPerEpoch);
    }

    @Override
    public String name() {
        return "dafl";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    @Override
    public String zooTeacherReason() {
        return "backpropagates through the teacher to its generator (its one-hot, activation and entropy terms are computed on the teacher outputs)";
    }

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        Algorithms.Baselines baselines = Algorithms.baselines(ctx);
        checkTap(ctx);
        int batch = ss.train().batchSize();
        int steps = Algorithms.stepsPerEpoch(ctx, stepsPerEpoch, batch);
        try (Network teacher = Algorithms.zoo(ctx.teacher())) {
            baselines.train(ctx, teacher);
            Algorithms.student(ctx, "student-dafl", "dafl", ss.model(), true, student -> new Algorithms.Built(
                    phase(student, Algorithms.generator(ctx, "student-dafl", generator, batch), teacher, ss.train(),
                            Algorithms.noise(ctx, "student-dafl", generator.z(), batch, steps)), List.of(), List.of()))
                    .close();
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ObjectNode settings = out.putObject("settings");
        settings.put("stepsPerEpoch", steps);
        settings.put("realDataSealed", true);
        return out;
    }

    /**
     * The phase "student-dafl": the student, the generator and the frozen teacher; each step the
     * student's update, then the generator's (see the class comment).
     */
    Phase phase(Network student, Adapters generatorBlock, Network teacher, TrainSpec train, Feed codes) {
        String s = "student-dafl";
        DaflLoss daflLoss = new DaflLoss(oneHot, activation, entropy, entropyLog == Log.LOG10 ? 10 : Math.E);
        double t = temperature;
        Objective studentLoss = step -> {
            NDArray x = step.adapters("generator").forward("generator", step.batch().input(NoiseSource.NOISE))
                    .stopGradient();
            NDArray zt = step.forward("teacher", x, false).logits().stopGradient();
            NDArray zs = step.forward(s, x, true).logits();
            return LossValue.of("kd", Scalars.mul(KdLoss.klDivergence(zt, zs, t), t * t));
        };
        Objective generatorLoss = step -> {
            NDArray x = step.adapters("generator").forward("generator", step.batch().input(NoiseSource.NOISE));
            Outputs out = step.forward("teacher", x, false);
            return daflLoss.compute(out.logits(), out.get(tap));
        };
        List<Update> updates = List.of(new Update(s, codes.name(), null, studentLoss, 1),
                new Update("generator", codes.name(), null, generatorLoss, 1));
        List<Participant> participants = List.of(Participant.learner(s, student, null, train),
                Participant.adapters("generator", generatorBlock, generator.train(train)),
                Participant.frozen("teacher", teacher));
        StepPolicy policy = (step, epoch, b) -> updates;
        return new Phase(s, participants, List.of(codes), policy, train.epochs(), null);
    }

    /** The teacher must have the tap L_a reads: checked on a fresh network before anything trains. */
    private void checkTap(RunContext ctx) {
        try (Network probe = ctx.create(ctx.config().teacher().model())) {
            if (!probe.tapNames().contains(tap)) {
                throw new TapException("scheme dafl: tap '" + tap + "' is not a tap of the teacher "
                        + probe.spec().describe() + " (it has " + probe.tapNames() + ")");
            }
        }
    }
}

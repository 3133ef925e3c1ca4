package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.data.Dataset;
import org.distill4j.data.NoiseSource;
import org.distill4j.data.Normalisation;
import org.distill4j.io.DamagedFileException;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.datafree.DeepInversionLoss;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.Feed;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.Objective;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.Update;

/**
 * {@code deep-inversion}: data-free knowledge transfer by DeepInversion (Yin et al. 2020,
 * "Dreaming to Distill: Data-free Knowledge Transfer via DeepInversion", CVPR). The teacher —
 * which must have batch norm: its running statistics are what the inputs are made to match — is
 * trained (or loaded) first. Then two sealed phases (no real image is read, see
 * {@link Algorithms#seal}):
 *
 * <ol>
 *   <li>{@code deep-inversion}: {@code batches} batches of {@code batchSize} inputs are made one
 *       after another. Each starts as standard normal noise with chosen target classes y and is
 *       optimised for {@code iterations} Adam steps (lr 0.05, the optimizer's state reset for each
 *       batch) on {@link DeepInversionLoss}: {@code CE(T(x̃), y) + 10·R_feature + 2.5e-5·R_tv +
 *       0·‖x̃‖}, x̃ the batch rolled by a random offset in [−2, 2] along both image axes at every
 *       step (the authors' jitter). The inputs are a participant (adapters: a free tensor),
 *       checkpointed with its optimizer and the images made so far, so an interrupted synthesis
 *       resumes exactly; the finished set is kept in {@code deep-inversion.safetensors}
 *       (SHA-256 checked when a resumed run reads it back).
 *   <li>{@code student-deep-inversion}: the student learns by KD alone on the synthesized set,
 *       {@code τ²·KL(softmax(T(x)/τ) ‖ softmax(S(x)/τ))} with the live teacher (τ = 3), for
 *       {@code student.train}'s epochs.
 * </ol>
 *
 * With {@code student.baseline} the same student also learns from scratch and with
 * {@code student.method} on the real data, from the same initial weights.
 *
 * <p>Defaults are the authors' CIFAR-10 settings ({@code --bs 256 --r_feature_weight 10 --di_lr
 * 0.05}, 2000 iterations, TV 2.5e-5, no L2, no flips, targets cycling through the classes).
 * <em>Choices (options):</em> the targets ({@code targets: balanced}, the code's cycle of classes,
 * or {@code random}); horizontal flips as in the ImageNet code ({@code flip}); the student's
 * temperature τ (the paper does not give it for CIFAR-10; 3 is the temperature of the authors'
 * competition term); the number of batches (default: as many images as the real training set
 * has, rounded down to whole batches); clipping the inputs into the range of real pixels after
 * every step ({@code clip}, as the ImageNet code's {@code do_clip}; off by default, as in the
 * CIFAR-10 code). The code keeps "the best" inputs by loss, but its
 * {@code best_inputs = inputs.data} aliases the live tensor, so it returns the last iterate — as
 * here. Adaptive DeepInversion's competition term (a student in the loop) is not implemented.
 *
 * @param batches synthesized batches (default: the real training set's size ÷ batchSize, at least 1)
 * @param batchSize inputs per batch (default 256)
 * @param iterations Adam steps per batch (default 2000)
 * @param lr Adam's learning rate (default 0.05)
 * @param feature α_f, the batch-norm statistics term (default 10)
 * @param tv α_tv, total variation (default 2.5e-5)
 * @param l2 α_l2, the inputs' norm (default 0)
 * @param jitter the largest roll offset in pixels (default 2; 0: none)
 * @param flip random horizontal flips (default false)
 * @param clip keep every input inside the range a real image can take, per channel {@code [(0 − m)/s, (1 − m)/s]}
 *     for the run's normalisation (m, s) of pixels in [0, 1], as the authors' ImageNet code does (default false:
 *     their CIFAR-10 code does not)
 * @param targets {@code balanced} (default) or {@code random}
 * @param temperature the student's τ (default 3)
 * @param epochs the student's epochs over the synthesized set (default: {@code student.train.epochs}, which
 *     the real-data baselines use)
 */
public record DeepInversionScheme(Integer batches, Integer batchSize, Integer iterations, Double lr, Double feature,
        Double tv, Double l2, Integer jitter, Boolean flip, Boolean clip, Targets targets, Double temperature,
        Integer epochs) implements SchemeSpec {
    /** How the target classes of a batch are chosen. */
    public enum Targets {
        /** Class i mod C for the i-th input of every batch (the authors' CIFAR-10 code). */
        @JsonProperty("balanced") BALANCED,
        /** Uniformly random classes, drawn from the run's seed. */
        @JsonProperty("random") RANDOM
    }

    static final String INVERSION = "deep-inversion";
    static final String STUDENT = "student-deep-inversion";
    static final String FILE = "deep-inversion.safetensors";

    public DeepInversionScheme {
        if (batches != null && !(batches >= 1 && batches <= 10000)) {
            throw new IllegalArgumentException("batches: must be in [1, 10000] (got " + batches + ")");
        }
        batchSize = batchSize == null ? 256 : batchSize;
        if (!(batchSize >= 2 && batchSize <= 65536)) {
            throw new IllegalArgumentException("batchSize: must be in [2, 65536] (batch statistics need 2) (got "
                    + batchSize + ")");
        }
        iterations = iterations == null ? 2000 : iterations;
        if (!(iterations >= 1 && iterations <= 1_000_000)) {
            throw new IllegalArgumentException("iterations: must be in [1, 1000000] (got " + iterations + ")");
        }
        lr = lr == null ? 0.05 : lr;
        if (!(lr > 0 && lr <= 10)) {
            throw new IllegalArgumentException("lr: must be in (0, 10] (got " + lr + ")");
        }
        feature = Algorithms.weight(feature, 10, "feature");
        tv = Algorithms.weight(tv, 2.5e-5, "tv");
        l2 = Algorithms.weight(l2, 0, "l2");
        jitter = jitter == null ? 2 : jitter;
        if (!(jitter >= 0 && jitter <= 64)) {
            throw new IllegalArgumentException("jitter: must be in [0, 64] pixels (got " + jitter + ")");
        }
        flip = flip == null ? Boolean.FALSE : flip;
        clip = clip == null ? Boolean.FALSE : clip;
        targets = targets == null ? Targets.BALANCED : targets;
        temperature = Algorithms.temperature(temperature, 3);
        if (epochs != null && !(epochs >= 1 && epochs <= 10000)) {
            throw new IllegalArgumentException("epochs: must be in [1, 10000] (got " + epochs + ")");
        }
    }

    @Override
    public String name() {
        return "deep-inversion";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    @Override
    public String zooTeacherReason() {
        return "optimises inputs through the teacher and matches its batch-norm running statistics";
    }

    /** The teacher must have batch norm: its running statistics are what the inputs match. */
    @Override
    public void validateTeacher(ModelSpec teacherModel) {
        if (teacherModel != null && Network.batchNormLayers(teacherModel) == 0) {
            throw new IllegalArgumentException("teacher.model: scheme 'deep-inversion' matches the teacher's batch-norm "
                    + "statistics, but " + teacherModel.describe() + " has no batch norm; use a teacher with batch "
                    + "norm (cnn with batchNorm: true, or resnet)");
        }
    }

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        Algorithms.Baselines baselines = Algorithms.baselines(ctx);
        int n = batches != null ? batches : Math.max(1, ctx.train().size() / batchSize);
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ObjectNode settings = out.putObject("settings");
        settings.put("batches", n);
        settings.put("images", n * batchSize);
        settings.put("clip", clip);
        settings.put("realDataSealed", true);
        try (Network teacher = Algorithms.zoo(ctx.teacher())) {
            validateTeacher(teacher.spec());
            baselines.train(ctx, teacher);
            Dataset synthetic = synthesize(ctx, teacher, n);
            Predictions p = Predictions.of(teacher, synthetic, ctx.root());
            out.put("teacherMatchesTargets", Metrics.accuracy(p, synthetic.labels()));
            WeightedSum kd = new WeightedSum(0, new KdLoss(temperature, 1));
            TrainSpec train = epochs == null ? ss.train() : ss.train().withEpochs(epochs);
            Algorithms.student(ctx, STUDENT, name(), ss.model(), true, student -> new Algorithms.Built(
                    SoloPhase.of(STUDENT, student, train, kd, new LiveTeacher(teacher), synthetic, null,
                            Seeds.derive(ctx.seed(), "student-shuffle"), null), List.of(), List.of())).close();
        }
        return out;
    }

    /** The synthesized set: read back when a resumed run made it before, else made (or resumed) now. */
    Dataset synthesize(RunContext ctx, Network teacher, int n) throws IOException {
        Path file = ctx.runDir().resolve(FILE);
        long[] sample = ctx.train().sampleShape();
        if (!ctx.resuming(INVERSION) && Files.exists(file)) {
            ctx.message(INVERSION + ": finished before the interruption, read " + FILE);
            return read(file, sample, ctx.train().numClasses());
        }
        int size = 1;
        for (long d : sample) {
            size *= (int) d;
        }
        int classes = ctx.train().numClasses();
        int[] labels = new int[n * batchSize];
        for (int b = 0; b < n; b++) {
            System.arraycopy(targets(ctx.seed(), b, classes), 0, labels, b * batchSize, batchSize);
        }
        float[] images;
        Seeds.apply(Seeds.derive(ctx.seed(), INVERSION));
        try (Adapters inputs = new Adapters(ctx.root())) {
            long[] batchShape = new long[sample.length + 1];
            batchShape[0] = batchSize;
            System.arraycopy(sample, 0, batchShape, 1, sample.length);
            long[] bankShape = batchShape.clone();
            bankShape[0] = (long) n * batchSize;
            inputs.tensor("x", new Shape(batchShape), 0f);
            NDArray bank;
            try (NDArray zeros = ctx.root().zeros(new Shape(bankShape))) {
                bank = inputs.state("images", zeros);
            }
            Range range = clip ? Range.of(ctx.normalisation(), sample, ctx.root()) : null;
            Phase phase = phase(ctx.seed(), ctx.root(), teacher, inputs, n, classes, range);
            try (AutoCloseable seal = Algorithms.seal(ctx, INVERSION)) {
                ctx.run(phase, List.of(saveBatch(inputs, bank, range)));
                images = bank.toFloatArray();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                phase.participants().forEach(Participant::close);
                if (range != null) {
                    range.close();
                }
            }
        }
        write(file, images, labels, sample);
        return Dataset.of("deep-inversion-" + labels.length, images, labels, sample, classes);
    }

    /**
     * The phase "deep-inversion": epoch b optimises batch b, one step per iteration; at each
     * epoch's first step the inputs start again from noise and the optimizer from scratch.
     */
    Phase phase(long seed, NDManager root, Network teacher, Adapters inputs, int n, int classes, Range range) {
        TrainSpec spec = new TrainSpec(n, batchSize, new OptimizerSpec.Adam(lr, null, null, null, null),
                new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null));
        double rate = lr;
        Participant images = Participant.adapters("inputs", inputs, spec).withRates((e, s, k) -> rate);
        Feed steps = Feed.generated("iterations", new NoiseSource(new long[] {1}, 1, iterations, 0),
                Seeds.derive(seed, INVERSION));
        DeepInversionLoss loss = new DeepInversionLoss(feature, tv, l2);
        Objective objective = step -> {
            NDManager scope = step.batch().input(NoiseSource.NOISE).getManager();
            NDArray x = step.adapters("inputs").tensor("x", scope);
            SplittableRandom r = new SplittableRandom(Seeds.derive(seed, "jitter " + step.epoch() + " "
                    + step.batchIndex()));
            NDArray jittered = roll(x, r.nextInt(-jitter, jitter + 1), r.nextInt(-jitter, jitter + 1));
            if (flip && r.nextBoolean()) {
                jittered = jittered.flip(3);
            }
            List<Network.BatchNormStatistics> statistics = new ArrayList<>();
            NDArray logits = teacher.forward(jittered, false, statistics).logits();
            NDArray y = scope.create(targets(seed, step.epoch(), classes));
            return loss.compute(logits, y, statistics, jittered);
        };
        Update update = new Update("inputs", steps.name(), null, objective, 1);
        NDArray x = inputs.trainableParameters().get(0).getArray();
        StepPolicy policy = (step, epoch, b) -> {
            if (b == 0) { // a new batch: fresh noise, a fresh optimizer
                try (NDArray start = noise(seed, epoch, x.getShape(), root)) {
                    Network.assign(x, start);
                }
                images.optimizer().reset();
            } else if (range != null) { // the last step's inputs, clipped before this step reads them
                range.clamp(x);
            }
            return List.of(update);
        };
        return new Phase(INVERSION, List.of(images, Participant.frozen("teacher", teacher)), List.of(steps), policy,
                n, null);
    }

    /** At each epoch's end (before its checkpoint) the finished batch joins the images made so far. */
    LoopListener saveBatch(Adapters inputs, NDArray bank, Range range) {
        return new LoopListener() {
            @Override
            public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) {
                NDArray x = inputs.trainableParameters().get(0).getArray();
                if (range != null) {
                    range.clamp(x);
                }
                bank.set(new NDIndex(epoch * batchSize + ":" + (epoch + 1) * batchSize), x);
            }
        };
    }

    /**
     * The values a real image can take after the run's normalisation, per channel: pixels in [0, 1]
     * become {@code [(0 − m)/s, (1 − m)/s]}. The inputs are clipped into it after every Adam step
     * (at the next step's start, and at the batch's end before it is kept), so a checkpoint holds
     * the step's raw result and a resumed run clips it exactly as an uninterrupted one.
     */
    record Range(NDArray low, NDArray high) implements AutoCloseable {
        static Range of(Normalisation stats, long[] sample, NDManager manager) {
            int channels = (int) sample[0];
            if (stats.mean().size() != channels || stats.std().size() != channels) {
                throw new IllegalArgumentException("scheme deep-inversion: clip needs one mean and std per channel ("
                        + channels + "), but the run's normalisation has " + stats.mean().size());
            }
            float[] lo = new float[channels];
            float[] hi = new float[channels];
            for (int c = 0; c < channels; c++) {
                lo[c] = (float) ((0 - stats.mean().get(c)) / stats.std().get(c));
                hi[c] = (float) ((1 - stats.mean().get(c)) / stats.std().get(c));
            }
            Shape shape = new Shape(1, channels, 1, 1);
            return new Range(manager.create(lo, shape), manager.create(hi, shape));
        }

        /** x clipped into the range, in place. */
        void clamp(NDArray x) {
            try (NDArray floor = x.maximum(low); NDArray clipped = floor.minimum(high)) {
                Network.assign(x, clipped);
            }
        }

        @Override
        public void close() {
            low.close();
            high.close();
        }
    }

    /** Batch b's starting noise, standard normal, a function of the run seed and b. */
    static NDArray noise(long seed, int b, Shape shape, NDManager manager) {
        SplittableRandom r = new SplittableRandom(Seeds.derive(seed, INVERSION + " batch " + b));
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return manager.create(v, shape);
    }

    /** Batch b's target classes. */
    int[] targets(long seed, int b, int classes) {
        int[] y = new int[batchSize];
        SplittableRandom r = new SplittableRandom(Seeds.derive(seed, INVERSION + " targets " + b));
        for (int i = 0; i < batchSize; i++) {
            y[i] = targets == Targets.BALANCED ? i % classes : r.nextInt(classes);
        }
        return y;
    }

    /** {@code torch.roll(x, (dy, dx), dims=(2, 3))}: pixels pushed off one side come back on the other. */
    static NDArray roll(NDArray x, int dy, int dx) {
        NDArray out = rollAxis(x, dy, 2);
        return rollAxis(out, dx, 3);
    }

    private static NDArray rollAxis(NDArray x, int shift, int axis) {
        long size = x.getShape().get(axis);
        int s = (int) Math.floorMod(shift, size);
        if (s == 0) {
            return x;
        }
        String head = ":, ".repeat(axis);
        NDArray tail = x.get(new NDIndex(head + (size - s) + ":"));
        NDArray front = x.get(new NDIndex(head + ":" + (size - s)));
        return NDArrays.concat(new NDList(tail, front), axis);
    }

    /** Writes the synthesized set with the SHA-256 of its values, atomically. */
    static void write(Path file, float[] images, int[] labels, long[] sample) throws IOException {
        long[] shape = new long[sample.length + 1];
        shape[0] = labels.length;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        Map<String, SafeTensors.Tensor> tensors = new java.util.LinkedHashMap<>();
        tensors.put("images", SafeTensors.Tensor.f32(images, shape));
        tensors.put("targets", SafeTensors.Tensor.i32(labels, labels.length));
        SafeTensors.write(file, tensors, Map.of("sha256", digest(images, labels)));
    }

    /** Reads the set back, its SHA-256 checked: a damaged file is refused naming it. */
    static Dataset read(Path file, long[] sample, int classes) throws IOException {
        SafeTensors.Opened opened = SafeTensors.open(file);
        SafeTensors.View images = opened.tensors().get("images");
        SafeTensors.View targets = opened.tensors().get("targets");
        if (images == null || targets == null) {
            throw new DamagedFileException(file, file + " does not hold a synthesized set (images, targets): "
                    + "delete it and resume to make it again");
        }
        float[] x = new float[Math.toIntExact(images.data().remaining() / Float.BYTES)];
        images.data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        int[] y = new int[Math.toIntExact(targets.data().remaining() / Integer.BYTES)];
        targets.data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(y);
        if (!digest(x, y).equals(opened.metadata().get("sha256"))) {
            throw new DamagedFileException(file, file + " is damaged: its SHA-256 does not match the one it was "
                    + "written with; delete it and resume to make it again");
        }
        return Dataset.of("deep-inversion-" + y.length, x, y, sample, classes);
    }

    private static String digest(float[] images, int[] labels) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate((images.length + labels.length) * 4);
            buf.asFloatBuffer().put(images);
            buf.position(images.length * 4);
            buf.asIntBuffer().put(labels);
            md.update(buf.array());
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

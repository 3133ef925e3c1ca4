package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Augmentation;
import org.distill4j.data.Dataset;
import org.distill4j.data.Modality;
import org.distill4j.data.PairedData;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.feature.CrossModalLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;

/**
 * {@code cross-modal}: supervision transfer between modalities (Gupta, Hoffman &amp; Malik 2016,
 * "Cross Modal Distillation for Supervision Transfer", CVPR). The run's images are modality A;
 * modality B ({@code modality}: {@code edges}, {@code downsampled} or {@code fft}, see
 * {@link Modality}) is derived from each of them, so every sample id has two inputs
 * ({@link PairedData}). The teacher ({@code teacher}) is trained with labels on A. The student
 * ({@code student.model} on B) learns only through the pairing: each batch holds B as its main
 * input and A as the input {@code paired}, carries no labels (a loss that asked for one would
 * fail), and the student minimises {@link CrossModalLoss}: the teacher's mid-level features
 * ({@code teacherTap}) regressed from its own ({@code studentTap}) through a regressor, plus
 * optionally {@code soft}·T²·KL to the teacher's soft outputs. Its transfer phase has no
 * validation (that would read labels of B).
 *
 * <p>Models: {@code teacher} (on A); {@code student-transfer} (on B, no label of B); with
 * {@code baseline}: {@code student-labels} (the same student on B with all of B's labels, the
 * upper bound), {@code student-fraction} (on B with only {@code labelledFraction} of the
 * training samples labelled, from scratch) and {@code student-transfer-fraction} (the transferred
 * student fine-tuned on that same labelled fraction: the paper's use of the transferred
 * representation; trained with or without {@code baseline}). Students on B share the role "student": the same initial weights and batch
 * order. Every student is evaluated on B's test images (its fidelity is to the teacher on the
 * paired A images). {@code student.method} and {@code student.baseline} are not used.
 *
 * @param modality the student's modality (default {@code edges})
 * @param studentTap the student's tap that regresses the teacher's (default {@code embedding})
 * @param teacherTap the teacher's mid-level tap (default {@code embedding})
 * @param kernel regressor kernel between feature maps, 1 or 3 (default 1)
 * @param beta weight of the feature term, mean reduction (default 1: at 100, FitNets' default, and at 10
 *     the feature term's gradients swamped a small student on Fashion-MNIST: 10% and 72% on test)
 * @param soft weight of the soft-output term γ·T²·KL (default 1; 0 = mid-level features only)
 * @param temperature its temperature (default 4)
 * @param labelledFraction the share of B's training samples labelled for the few-labels
 *     students, in (0, 1) (default 0.05)
 * @param fractionEpochs epochs of the few-labels students (default 20: they see few batches)
 * @param baseline also train the comparison students (default true)
 */
public record CrossModalScheme(Modality modality, String studentTap, String teacherTap, Integer kernel, Double beta,
        Double soft, Double temperature, Double labelledFraction, Integer fractionEpochs, Boolean baseline)
        implements SchemeSpec {
    public CrossModalScheme {
        modality = modality == null ? Modality.EDGES : modality;
        studentTap = studentTap == null ? "embedding" : studentTap;
        teacherTap = teacherTap == null ? "embedding" : teacherTap;
        kernel = kernel == null ? 1 : kernel;
        beta = beta == null ? 1.0 : beta;
        soft = soft == null ? 1.0 : soft;
        temperature = temperature == null ? 4.0 : temperature;
        labelledFraction = labelledFraction == null ? 0.05 : labelledFraction;
        fractionEpochs = fractionEpochs == null ? 20 : fractionEpochs;
        baseline = baseline == null ? Boolean.TRUE : baseline;
        if (studentTap.isBlank() || teacherTap.isBlank()) {
            throw new IllegalArgumentException((studentTap.isBlank() ? "studentTap" : "teacherTap")
                    + ": must name a tap, e.g. embedding (got '')");
        }
        if (kernel != 1 && kernel != 3) {
            throw new IllegalArgumentException("kernel: must be 1 or 3 (got " + kernel + ")");
        }
        if (!(beta >= 0 && beta <= 1e9)) {
            throw new IllegalArgumentException("beta: must be in [0, 1e9] (got " + beta + ")");
        }
        if (!(soft >= 0 && soft <= 1e9)) {
            throw new IllegalArgumentException("soft: must be in [0, 1e9] (got " + soft + ")");
        }
        if (beta == 0 && soft == 0) {
            throw new IllegalArgumentException("beta, soft: both 0 leaves the student nothing to learn from");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
        if (!(labelledFraction > 0 && labelledFraction < 1)) {
            throw new IllegalArgumentException("labelledFraction: must be in (0, 1) (got " + labelledFraction + ")");
        }
        if (fractionEpochs < 1 || fractionEpochs > 10000) {
            throw new IllegalArgumentException("fractionEpochs: must be in [1, 10000] (got " + fractionEpochs + ")");
        }
    }

    /** The transfer objective as a method, so its taps are checked like any method's before anything trains. */
    record Transfer(CrossModalScheme s) implements MethodSpec {
        @Override
        public DistillationLoss loss() {
            return new CrossModalLoss(s.studentTap, s.teacherTap, s.kernel, s.beta, s.soft, s.temperature);
        }

        /** No label of the student's modality: the objective is the transfer terms alone. */
        @Override
        public double crossEntropyWeight() {
            return 0;
        }

        @Override
        public String name() {
            return "cross-modal";
        }
    }

    static final String TRANSFER = "student-transfer";

    @Override
    public String name() {
        return "cross-modal";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (studentTrain.augment().active()) {
            throw new IllegalArgumentException("scheme: cross-modal pairs each image with its derived view; "
                    + "augmentation would break the pairing: remove student.train.augment");
        }
    }

    /** The transfer's objective (cross-entropy weight 0: it reads no label). */
    public DistillationLoss objective() {
        return new Transfer(this).objective();
    }

    /**
     * The teacher on A; B derived from every split (standardised with the training split's
     * statistics); the transfer on unlabelled paired batches; with {@code baseline}, the students
     * on B's labels (all, a fraction, the transferred one fine-tuned on that fraction).
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var config = ctx.config();
        var ss = config.student();
        Modality.Scale scale = modality.scaleOf(ctx.train());
        PairedData train = PairedData.derived(ctx.train(), modality, scale);
        Dataset validationB = modality.derive(ctx.validation(), scale);
        Dataset testB = modality.derive(ctx.test(), scale);
        MethodSpec transfer = new Transfer(this);
        // The student's taps are checked on B (its own shape), the teacher's on A.
        RunContext onB = ctx.on(train.b(), validationB, testB);
        DistillationLoss probe = onB.checkTaps(TRANSFER, transfer, ss.model(), config.teacher());
        try (InferenceModel teacher = ctx.teacher()) {
            KnowledgeSource knowledge = pairedKnowledge(ctx, teacher, ss.train(), probe);
            onB = ctx.on(train.b(), validationB, testB); // after ctx.teacher(): fidelity to it on the paired images
            try (Network transferred = transferred(onB, train, knowledge, ss.model(), ss.train())) {
                MethodSpec none = new NoDistillation();
                Dataset few = fraction(train.b(), labelledFraction, ctx.seed());
                RunContext onFew = ctx.on(few, validationB, testB);
                TrainSpec fewTrain = ss.train().withEpochs(fractionEpochs);
                if (baseline) {
                    onB.train(RunContext.Solo.of("student-labels", "student", none.name(), none.objective(),
                            ss.model(), ss.train()).withFidelity(true)).close();
                    onFew.train(RunContext.Solo.of("student-fraction", "student", none.name(), none.objective(),
                            ss.model(), fewTrain)).close();
                }
                // Fidelity is left out for the few-labels students: their training set is not the teacher's.
                onFew.train(RunContext.Solo.of("student-transfer-fraction", "student", "cross-modal+none",
                        none.objective(), ss.model(), fewTrain).startingFrom(transferred)).close();
            }
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        out.put("modalityA", "image " + Arrays.toString(ctx.train().sampleShape()));
        out.put("modalityB", modality.yamlName() + " " + Arrays.toString(train.b().sampleShape()));
        out.put("labelsOfBInTransfer", 0);
        out.put("labelledFraction", labelledFraction);
        out.put("labelledSamples", fraction(train.b(), labelledFraction, ctx.seed()).size());
        ObjectNode acc = out.putObject("testAccuracy");
        for (String m : List.of("teacher", TRANSFER, "student-labels", "student-fraction", "student-transfer-fraction")) {
            ModelResult r = ctx.done(m);
            if (r != null) {
                acc.put(m, r.metrics().testAccuracy());
            }
        }
        return out;
    }

    /**
     * The teacher's knowledge of each sample's A view: stored once by sample id (the paired B
     * sample has the same id) or, with {@code student.knowledge: live}, the teacher run on each
     * batch's {@link PairedData#PAIRED} input.
     */
    private static KnowledgeSource pairedKnowledge(RunContext ctx, InferenceModel teacher, TrainSpec train,
            DistillationLoss probe) throws IOException {
        if (ctx.config().student().knowledge() == org.distill4j.config.StudentSpec.KnowledgeMode.LIVE) {
            teacher.freeze();
            return new KnowledgeSource() {
                @Override
                public Knowledge lookup(org.distill4j.data.Batch batch) {
                    return new Knowledge(teacher.infer(batch.input(PairedData.PAIRED)));
                }

                @Override
                public org.distill4j.model.TapShapes tapShapes() {
                    return teacher.tapShapes("teacher");
                }
            };
        }
        return ctx.knowledge(teacher, "teacher", train, probe.teacherTaps());
    }

    /**
     * Trains (or resumes, or loads) the transferred student: one phase whose feed is the paired,
     * unlabelled batches of {@code train} and which has no validation set.
     */
    Network transferred(RunContext onB, PairedData train, KnowledgeSource knowledge, ModelSpec model,
            TrainSpec spec) throws IOException {
        if (onB.done(TRANSFER) != null) {
            return onB.loadFinished(TRANSFER, model);
        }
        Seeds.apply(Seeds.derive(onB.seed(), "student"));
        Network net = onB.create(model);
        try {
            long shuffle = Seeds.derive(onB.seed(), "student-shuffle");
            DistillationLoss objective = objective();
            Phase solo = SoloPhase.of(TRANSFER, net, spec, objective, knowledge, train.b(), null, shuffle, null);
            Feed paired = new Feed(TRANSFER, train.loader(spec.batchSize(), shuffle, false), Augmentation.NONE,
                    (epoch, batch) -> Seeds.derive(shuffle, "step " + epoch + " " + batch), true);
            Phase phase = new Phase(TRANSFER, solo.participants(), List.of(paired), solo.policy(), solo.epochs(), null);
            Map<String, TrainingProgress> end;
            try (Participant learner = phase.participants().get(0)) {
                end = onB.run(phase, List.of());
            }
            net.save(onB.runDir().resolve(TRANSFER + ".model"), onB.provenanceOf(TRANSFER, net));
            onB.evaluated(TRANSFER, "student", name(), net, false, end.get(TRANSFER), true);
            return net;
        } catch (RuntimeException | IOException e) {
            net.close();
            throw e;
        }
    }

    /** A seeded {@code f} share of {@code data} (at least one sample), in source order: the labelled few. */
    static Dataset fraction(Dataset data, double f, long seed) {
        int n = Math.max(1, (int) Math.round(data.size() * f));
        int[] pick = Arrays.copyOf(Dataset.shuffled(data.size(), Seeds.derive(seed, "labelled-fraction")), n);
        Arrays.sort(pick);
        return data.subset(data.name() + "-labelled" + n, pick);
    }
}

package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.io.Provenance;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.RetrievalCheck;
import org.distill4j.knowledge.RetrievalModel;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.relation.ReAugKdLoss;
import org.distill4j.loss.relation.SupConLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.method.NoDistillation;
import org.distill4j.method.ReAugKd;
import org.distill4j.metric.Predictions;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.distill4j.train.Update;

/**
 * {@code reaugkd}: retrieval-augmented KD (Zhang et al., ACL 2023) with method {@code reaugkd}.
 * Phases: the teacher (trained or loaded, frozen); with {@code student.baseline} the same student
 * from the same initial weights without distillation ({@code student-none}) and with plain KD at
 * the method's T and α ({@code student-kd}); then the knowledge base, built once into
 * {@code knowledge/reaugkd/} — a phase {@value #PROJECTION_PHASE} trains the linear projection of
 * the teacher's embeddings to the student's embedding size with the supervised contrastive loss
 * ({@link SupConLoss}), then every training sample's projected embedding and the teacher's soft
 * labels go into the Lucene index ({@link KnowledgeBase}); it is reused while its teacher, data,
 * preprocessing and projection settings are unchanged, rebuilt otherwise. Then the student
 * ({@value #NETWORK}) learns with {@code (1−α)·CE + kd + relation} ({@link ReAugKdLoss}), and is
 * evaluated alone and, as {@code student-reaugkd}, with retrieval ({@link RetrievalModel}): its
 * shipped form, the network plus the knowledge base, which {@code evaluate}, {@code predict},
 * {@code export} and {@code Student.load} use. Its {@code schemeResults.reaugkd} names both and
 * gives the index's size on disk.
 */
public record ReAugKdScheme() implements SchemeSpec {
    /** The result of the student with retrieval (the run's main student). */
    public static final String STUDENT = "student-reaugkd";
    /** The result and file of the student's network alone. */
    public static final String NETWORK = "student-reaugkd-network";
    /** The phase that trains the projection of the knowledge base. */
    public static final String PROJECTION_PHASE = "reaugkd-projection";
    /** Where the knowledge base lives in the run directory. */
    public static final String KNOWLEDGE_BASE = "knowledge/reaugkd";
    private static final String PROJECTION = "projection";
    private static final int BUILD_BATCH = 500;

    @Override
    public String name() {
        return "reaugkd";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        if (!(ss.method() instanceof ReAugKd m)) {
            throw new IllegalArgumentException("student.method: scheme reaugkd trains with method reaugkd (got '"
                    + ss.method().name() + "'); e.g. method: {name: reaugkd, k: 8}");
        }
        if ((m.beta() == null || m.k() == null) && (ctx.validation() == null || ctx.validation().size() == 0)) {
            String key = m.beta() == null ? "beta" : "k";
            throw new IllegalArgumentException("student.method." + key + ": reaugkd chooses " + key + " on the "
                    + "validation split, and this run has none (data.validation: 0); give k and beta, e.g. k: 8, "
                    + "beta: 0.3, or a validation split");
        }
        // before the teacher trains: the taps, and the projection's sizes from them
        ReAugKdLoss probe = (ReAugKdLoss) ((WeightedSum) ctx.checkTaps(STUDENT, m, ss.model(), ctx.config().teacher()))
                .distillation();
        HintonKd plain = new HintonKd(m.temperature(), m.alpha());
        ctx.checkTaps("student-kd", plain, ss.model(), ctx.config().teacher());
        Path kbDir = ctx.runDir().resolve(KNOWLEDGE_BASE);
        InferenceModel teacher = ctx.teacher();
        try {
            KnowledgeSource source = ctx.knowledge(teacher, Knowledge.TEACHER, ss.train(), Set.of(m.teacherTap()));
            if (ss.baseline()) {
                ctx.train(RunContext.Solo.of("student-none", "student", "none", new NoDistillation().objective(),
                        ss.model(), ss.train()).withFidelity(true)).close();
                ctx.train(RunContext.Solo.of("student-kd", "student", "kd", plain.objective(), ss.model(), ss.train())
                        .taughtBy(source).withFidelity(true)).close();
            }
            try (KnowledgeBase kb = knowledgeBase(ctx, m, probe, teacher, source, kbDir)) {
                ReAugKdLoss loss = m.loss().attach(kb);
                try (Network net = ctx.train(RunContext.Solo.of(NETWORK, "student", m.name(),
                        new WeightedSum(m.crossEntropyWeight(), loss), ss.model(), ss.train()).taughtBy(source)
                        .withFidelity(true))) {
                    ObjectNode out = RunRecord.JSON.createObjectNode();
                    ObjectNode r = out.putObject("reaugkd");
                    // deterministic: a resumed run chooses (and records) the same β again
                    KnowledgeBase.Settings settings = chooseRetrieval(ctx, m, net, kb, teacher, r);
                    KnowledgeBase.writeSettings(kbDir, settings);
                    long indexBytes = KnowledgeBase.bytes(kbDir);
                    if (ctx.done(STUDENT) == null) {
                        try (KnowledgeBase chosen = KnowledgeBase.open(kbDir, null)) {
                            ctx.evaluated(STUDENT, "student", m.name(), new RetrievalModel(net, chosen), false,
                                    TrainingProgress.start(), true, net.sizeBytes() + indexBytes, NETWORK + ".model");
                        }
                    }
                    r.put("model", STUDENT).put("network", NETWORK)
                            .put("knowledgeBase", KNOWLEDGE_BASE).put("entries", kb.size()).put("dim", kb.dim())
                            .put("indexBytes", indexBytes).put("k", settings.k()).put("tau", settings.tau())
                            .put("beta", settings.beta());
                    return out;
                }
            }
        } finally {
            teacher.close();
        }
    }

    /**
     * The retrieval settings the student ships with: k and β as configured, or, for each the method
     * leaves out, the best on the validation split (never the test split) — k of
     * {@link RetrievalCheck#KS}, β of {@link RetrievalCheck#BETAS}. The check on the validation split
     * is recorded in {@code into} either way: the accuracy of the network alone, and for each k tried
     * of the retrieved soft labels alone and of the mixture at each β, and how often the student's
     * neighbours carry the query's class and the teacher's.
     */
    static KnowledgeBase.Settings chooseRetrieval(RunContext ctx, ReAugKd m, InferenceModel net, KnowledgeBase kb,
            InferenceModel teacher, ObjectNode into) throws IOException {
        Dataset validation = ctx.validation();
        into.put("kFrom", m.k() == null ? "validation" : "config");
        into.put("betaFrom", m.beta() == null ? "validation" : "config");
        if (validation == null || validation.size() == 0) { // k and β configured: run() checked
            return m.retrieval(m.k(), m.beta());
        }
        Predictions onTeacher = Predictions.of(teacher, validation, ctx.root());
        int[] teacherClasses = new int[validation.size()];
        for (int i = 0; i < teacherClasses.length; i++) {
            teacherClasses[i] = onTeacher.argMax(i);
        }
        RetrievalCheck check = RetrievalCheck.of(net, kb, validation, ctx.root(),
                m.k() == null ? RetrievalCheck.KS : new int[] {m.k()}, m.tau(), m.beta(), teacherClasses);
        RetrievalCheck.Choice best = check.best(m.beta());
        RetrievalCheck.AtK at = check.at(best.k());
        ctx.message(String.format(java.util.Locale.ROOT, "reaugkd on the validation split (%d samples): network alone "
                + "%.2f%%; with k = %d (%s) the retrieved soft labels alone %.2f%%, %.1f%% of the neighbours of the "
                + "query's class; beta %s (%s): %.2f%%", check.samples(), 100 * check.network(), best.k(),
                m.k() == null ? "best on validation" : "configured", 100 * at.retrieved(),
                100 * at.neighboursOfItsClass(), best.beta(), m.beta() == null ? "best on validation" : "configured",
                100 * best.accuracy()));
        into.set("validation", RunRecord.JSON.valueToTree(check));
        into.put("knowledgeBaseSelfAgreement", RetrievalCheck.selfAgreement(kb, best.k()));
        return m.retrieval(best.k(), best.beta());
    }

    /**
     * The knowledge base in {@code dir} if it was built from this teacher, data, preprocessing and
     * projection; otherwise (missing, stale, damaged) built now, saying why.
     */
    static KnowledgeBase knowledgeBase(RunContext ctx, ReAugKd m, ReAugKdLoss probe, InferenceModel teacher,
            KnowledgeSource source, Path dir) throws IOException {
        TrainSpec student = ctx.config().student().train();
        TrainSpec spec = new TrainSpec(m.projectionEpochs(), student.batchSize(), student.optimizer(),
                student.schedule(), student.clipGradNorm(), student.onNonFinite(), student.augment());
        String build = Provenance.sha256("projection " + probe.teacherDim() + "→" + probe.studentDim() + " from tap "
                + m.teacherTap() + "; supcon tau " + m.projectionTau() + "; " + RunRecord.JSON.valueToTree(spec)
                + "; seed " + ctx.seed());
        KnowledgeBase.Key key = new KnowledgeBase.Key(teacher.answersDigest(), ctx.train().digest(),
                ctx.provenance().preprocessing(), build);
        if (Files.exists(dir)) {
            try {
                KnowledgeBase kb = KnowledgeBase.open(dir, key);
                ctx.message("knowledge base read from " + dir);
                return kb;
            } catch (IOException e) {
                ctx.message(e.getMessage() + ": rebuilding");
            }
        }
        Seeds.apply(Seeds.derive(ctx.seed(), PROJECTION_PHASE));
        Dataset train = ctx.train();
        Adapters adapters = new Adapters(ctx.root());
        // the participant closes the adapters (the projection is dropped once its entries are written)
        try (Participant learner = Participant.adapters(PROJECTION, adapters, spec)) {
            SupConLoss.registerProjection(adapters, PROJECTION, probe.teacherDim(), probe.studentDim());
            long shuffle = Seeds.derive(ctx.seed(), PROJECTION_PHASE + "-shuffle");
            Feed feed = Feed.shuffled(PROJECTION_PHASE, train, spec.batchSize(), shuffle, spec.augment(), shuffle, "",
                    true);
            Update update = new Update(PROJECTION, PROJECTION_PHASE, Map.of(Knowledge.TEACHER, source),
                    step -> LossValue.of("supcon", SupConLoss.of(SupConLoss.project(step.adapters(PROJECTION),
                            PROJECTION, step.knowledge().outputs().get(m.teacherTap()).stopGradient()),
                            step.batch().labelValues(), m.projectionTau())), 1);
            Phase phase = new Phase(PROJECTION_PHASE, List.of(learner),
                    List.of(feed), StepPolicy.every(update), spec.epochs(), ctx.validation());
            ctx.run(phase, List.of());
            // every training sample's projected teacher embedding and soft labels, in data order
            int n = train.size();
            int dim = probe.studentDim();
            int classes = train.numClasses();
            int[] ids = new int[n];
            float[] vectors = new float[n * dim];
            float[] soft = new float[n * classes];
            BatchLoader loader = new BatchLoader(train, BUILD_BATCH, false, 0, false);
            int row = 0;
            for (int[] positions : loader.plan(0)) {
                try (NDManager scope = ctx.root().newSubManager()) {
                    Batch batch = loader.load(scope, positions);
                    Knowledge k = source.lookup(batch);
                    NDArray z = SupConLoss.project(adapters, PROJECTION, k.outputs().get(m.teacherTap()));
                    System.arraycopy(z.toFloatArray(), 0, vectors, row * dim, positions.length * dim);
                    System.arraycopy(k.outputs().logits().softmax(1).toFloatArray(), 0, soft, row * classes,
                            positions.length * classes);
                    System.arraycopy(batch.ids(), 0, ids, row, positions.length);
                    row += positions.length;
                }
            }
            // k and β are provisional until the student is trained and they are chosen on the validation split
            KnowledgeBase.write(dir, key, m.retrieval(m.k() == null ? 1 : m.k(), m.beta() == null ? 0 : m.beta()),
                    ids, vectors, dim, soft, classes);
        }
        ctx.message("knowledge base of " + train.size() + " teacher embeddings built into " + dir + " ("
                + KnowledgeBase.bytes(dir) + " bytes)");
        return KnowledgeBase.open(dir, key);
    }
}

package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.io.AtomicFile;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.feature.BlockLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.KendallTau;
import org.distill4j.model.BlocksSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.Update;

/**
 * {@code nas}: block-wise distillation-guided architecture search, DNA-style (Li et al. 2020,
 * "Block-wisely Supervised Neural Architecture Search with Knowledge Distillation", CVPR). The
 * teacher's feature-map taps cut it into stages; for every stage a search space of student
 * blocks ({@link BlocksSpec.Stage}: {@code widths × kernels × depths}, each ending in the
 * teacher's stage width) is trained, every candidate on its own, to reproduce the teacher's
 * stage output from the teacher's previous stage output ({@link BlockLoss#mse}). All candidates
 * of all stages are participants of one phase ({@code nas-search}), checkpointed like any
 * phase. Each candidate is then scored by its relative error on the validation set; an
 * architecture (one block per stage) scores the sum of its blocks' scores, and the searched
 * student is the best-scoring one whose parameter count is within {@code budget}.
 *
 * <p>Models reported: {@code teacher}; {@code candidate-r<k>}: {@code standalone} architectures
 * spread evenly over the ranking (rank 1, the searched one, to the last within budget), each
 * trained alone on labels, whose test accuracies against their scores give Kendall's τ
 * ({@link KendallTau}; positive when a lower distillation loss goes with a higher accuracy);
 * {@code student-searched} and {@code student-hand} (the config's {@code student.model}, the
 * hand-designed student) trained with {@code method}; with {@code baseline},
 * {@code student-hand-alone} on labels ({@code candidate-r1} is the searched one alone).
 * {@code student.method} and {@code student.baseline} are not used.
 *
 * @param widths the blocks' convolution widths (default [8, 16, 32])
 * @param kernels their kernel sizes, odd (default [3, 5])
 * @param depths their depths (default [1, 2])
 * @param taps the teacher's stage outputs, in order, each halving the previous one's height and
 *     width (default: every feature-map tap of the teacher)
 * @param hidden the searched student's fully connected width (default: {@code student.model}'s
 *     hidden width for a cnn, else 64)
 * @param budget the searched student's maximum number of parameters (default: the hand-designed
 *     student's)
 * @param standalone how many architectures are trained alone for τ (default 8, at least 3)
 * @param searchTrain the blocks' schedule (default: {@code student.train})
 * @param method the searched and hand-designed students' distillation (default {@code kd})
 * @param baseline also train {@code student-hand-alone} (default true)
 */
public record NasScheme(List<Integer> widths, List<Integer> kernels, List<Integer> depths, List<String> taps,
        Integer hidden, Long budget, Integer standalone, TrainSpec searchTrain, MethodSpec method, Boolean baseline)
        implements SchemeSpec {
    /** The phase of the block-wise search, and the file of its result in the run directory. */
    public static final String PHASE = "nas-search";
    public static final String RESULT_FILE = "nas-search.json";

    public NasScheme {
        widths = positive("widths", widths, List.of(8, 16, 32), 4096);
        kernels = positive("kernels", kernels, List.of(3, 5), 9);
        if (kernels.stream().anyMatch(k -> k % 2 == 0)) {
            throw new IllegalArgumentException("kernels: each must be odd, for same padding (got " + kernels + ")");
        }
        depths = positive("depths", depths, List.of(1, 2), 4);
        taps = taps == null ? null : List.copyOf(taps);
        if (taps != null && (taps.isEmpty() || taps.size() > 4)) {
            throw new IllegalArgumentException("taps: 1 to 4 teacher stage outputs (got " + taps + ")");
        }
        if (hidden != null && (hidden < 1 || hidden > 65536)) {
            throw new IllegalArgumentException("hidden: must be in [1, 65536] (got " + hidden + ")");
        }
        if (budget != null && budget < 1) {
            throw new IllegalArgumentException("budget: must be ≥ 1 parameter (got " + budget + ")");
        }
        standalone = standalone == null ? 8 : standalone;
        if (standalone < 3) {
            throw new IllegalArgumentException("standalone: Kendall's tau needs at least 3 candidates (got "
                    + standalone + ")");
        }
        method = method == null ? new HintonKd(null, null) : method;
        baseline = baseline == null ? Boolean.TRUE : baseline;
        if (!method.objective().needsTeacher()) {
            throw new IllegalArgumentException("method: the searched student is distilled; '" + method.name()
                    + "' uses no teacher (the stand-alone candidates are the labels-only controls)");
        }
    }

    private static List<Integer> positive(String key, List<Integer> values, List<Integer> fallback, int max) {
        if (values == null) {
            return fallback;
        }
        if (values.isEmpty() || values.stream().anyMatch(v -> v == null || v < 1 || v > max)) {
            throw new IllegalArgumentException(key + ": each must be in [1, " + max + "] (got " + values + ")");
        }
        if (values.stream().distinct().count() != values.size()) {
            throw new IllegalArgumentException(key + ": a value repeats (got " + values + ")");
        }
        return List.copyOf(values);
    }

    @Override
    public String name() {
        return "nas";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    /** One candidate block of one stage, and its score once ranked. */
    public record Candidate(int stage, BlocksSpec.Stage block, long parameters, double score) {
        /** Its participant's name, e.g. {@code s1-w16k3d2}. */
        public String name() {
            return "s" + (stage + 1) + "-w" + block.width() + "k" + block.kernel() + "d" + block.depth();
        }
    }

    /** An architecture of the space: one candidate per stage; its score is their sum. */
    public record Architecture(List<Candidate> blocks, BlocksSpec spec, long parameters, double score) {}

    /** The candidate blocks of every stage, for a teacher whose stage outputs have {@code channels}. */
    public List<List<Candidate>> space(long inputChannels, List<Long> channels) {
        List<List<Candidate>> out = new ArrayList<>();
        long in = inputChannels;
        for (int s = 0; s < channels.size(); s++) {
            List<Candidate> stage = new ArrayList<>();
            for (int w : widths) {
                for (int k : kernels) {
                    for (int d : depths) {
                        BlocksSpec.Stage b = new BlocksSpec.Stage(w, k, d, Math.toIntExact(channels.get(s)));
                        stage.add(new Candidate(s, b, b.parameters(in), Double.NaN));
                    }
                }
            }
            out.add(stage);
            in = channels.get(s);
        }
        return out;
    }

    /**
     * Every architecture of scored candidates within {@code budget} parameters, best first (lowest
     * score; ties by fewer parameters, then by name), for samples of {@code sampleShape}.
     */
    public static List<Architecture> rank(List<List<Candidate>> scored, int hidden, long budget, long[] sampleShape,
            int numClasses) {
        List<Architecture> all = new ArrayList<>();
        int[] pick = new int[scored.size()];
        while (true) {
            List<Candidate> blocks = new ArrayList<>();
            double score = 0;
            for (int s = 0; s < pick.length; s++) {
                Candidate c = scored.get(s).get(pick[s]);
                blocks.add(c);
                score += c.score();
            }
            BlocksSpec spec = new BlocksSpec(blocks.stream().map(Candidate::block).toList(), hidden);
            long n = spec.parameters(sampleShape, numClasses);
            if (n <= budget) {
                all.add(new Architecture(blocks, spec, n, score));
            }
            int s = pick.length - 1;
            while (s >= 0 && ++pick[s] == scored.get(s).size()) {
                pick[s--] = 0;
            }
            if (s < 0) {
                break;
            }
        }
        all.sort(Comparator.comparingDouble(Architecture::score).thenComparingLong(Architecture::parameters)
                .thenComparing(a -> a.spec().describe()));
        return all;
    }

    /** {@code n} positions spread evenly over {@code 0 … size−1}, both ends included (all when fewer). */
    public static List<Integer> spread(int size, int n) {
        List<Integer> out = new ArrayList<>();
        if (size <= n) {
            for (int i = 0; i < size; i++) {
                out.add(i);
            }
            return out;
        }
        for (int i = 0; i < n; i++) {
            out.add((int) Math.round((double) i * (size - 1) / (n - 1)));
        }
        return out;
    }

    /** The name of the architecture of rank {@code rank} (1-based) trained alone. */
    public static String candidate(int rank) {
        return "candidate-r" + rank;
    }

    /**
     * The teacher; the search phase (or its saved result); the stand-alone candidates; the
     * searched and hand-designed students. Returns the space, every block's score, the ranking's
     * head, the stand-alone candidates with their scores and accuracies, and Kendall's τ.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var config = ctx.config();
        var ss = config.student();
        TrainSpec blocksTrain = searchTrain == null ? ss.train() : searchTrain;
        if (ctx.validation().size() == 0) {
            throw new IllegalArgumentException("data.validation: the nas scheme scores candidate blocks on the "
                    + "validation set; it must be > 0");
        }
        long[] sample = ctx.train().sampleShape();
        int classes = ctx.train().numClasses();
        long handParameters;
        try (Network hand = ctx.create(ss.model())) {
            handParameters = hand.parameterCount();
        }
        long limit = budget == null ? handParameters : budget;
        int fc = hidden != null ? hidden : ss.model() instanceof CnnSpec c ? c.hidden() : 64;
        MethodSpec none = new NoDistillation();
        // one store of the teacher's outputs serves the search and the students: it holds all their taps
        List<String> stored = new ArrayList<>(ctx.checkTaps("student-hand", method, ss.model(), config.teacher())
                .teacherTaps());
        // The space and the budget are checked on the teacher's tap shapes before anything trains.
        TapShapes shapes = teacherShapes(ctx);
        List<String> stages = stages(shapes, sample);
        List<Long> channels = stages.stream().map(t -> shapes.shape(t).get(0)).toList();
        List<List<Candidate>> space = space(sample[0], channels);
        stages.stream().filter(t -> !stored.contains(t)).forEach(stored::add);
        List<List<Candidate>> unscored = space.stream().map(st -> st.stream().map(c -> new Candidate(c.stage(),
                c.block(), c.parameters(), 0)).toList()).toList();
        int fitting = rank(unscored, fc, limit, sample, classes).size();
        if (fitting < 3) {
            long smallest = rank(unscored, fc, Long.MAX_VALUE, sample, classes).stream()
                    .mapToLong(Architecture::parameters).min().orElseThrow();
            throw new IllegalArgumentException("scheme.budget: " + fitting + " architecture(s) of the space fit " + limit
                    + " parameters (the smallest has " + smallest + "); Kendall's tau needs 3: raise the budget or "
                    + "change the space");
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        try (InferenceModel teacher = ctx.teacher()) {
            List<List<Candidate>> scored = search(ctx, teacher, stages, stored, space, blocksTrain);
            List<Architecture> ranking = rank(scored, fc, limit, sample, classes);
            List<Integer> picks = spread(ranking.size(), standalone);
            double[] goodness = new double[picks.size()];
            double[] accuracy = new double[picks.size()];
            ArrayNode alone = RunRecord.JSON.createArrayNode();
            for (int i = 0; i < picks.size(); i++) {
                Architecture a = ranking.get(picks.get(i));
                String name = candidate(picks.get(i) + 1);
                ctx.train(RunContext.Solo.of(name, "student", none.name(), none.objective(), a.spec(), ss.train())
                        .withFidelity(true)).close();
                goodness[i] = -a.score();
                accuracy[i] = ctx.done(name).metrics().testAccuracy();
                ObjectNode row = alone.addObject();
                row.put("model", name);
                row.put("rank", picks.get(i) + 1);
                row.put("architecture", a.spec().describe());
                row.put("parameters", a.parameters());
                row.put("score", a.score());
                row.put("testAccuracy", accuracy[i]);
            }
            double tau = KendallTau.of(goodness, accuracy);
            ctx.checkTaps("student-searched", method, ranking.get(0).spec(), config.teacher()).teacherTaps().stream()
                    .filter(t -> !stored.contains(t)).forEach(stored::add);
            KnowledgeSource knowledge = ctx.knowledge(teacher, "teacher", ss.train(), stored);
            ctx.train(RunContext.Solo.of("student-searched", "student", method.name(), method.objective(),
                    ranking.get(0).spec(), ss.train()).taughtBy(knowledge).withFidelity(true)).close();
            ctx.train(RunContext.Solo.of("student-hand", "student", method.name(), method.objective(), ss.model(),
                    ss.train()).taughtBy(knowledge).withFidelity(true)).close();
            if (baseline) {
                ctx.train(RunContext.Solo.of("student-hand-alone", "student", none.name(), none.objective(),
                        ss.model(), ss.train()).withFidelity(true)).close();
            }
            out.put("scheme", name());
            ObjectNode about = out.putObject("space");
            about.set("widths", RunRecord.JSON.valueToTree(widths));
            about.set("kernels", RunRecord.JSON.valueToTree(kernels));
            about.set("depths", RunRecord.JSON.valueToTree(depths));
            about.set("teacherStages", RunRecord.JSON.valueToTree(stages));
            about.put("hidden", fc);
            about.put("budget", limit);
            about.put("handParameters", handParameters);
            about.put("architectures", (long) Math.pow(widths.size() * kernels.size() * depths.size(), stages.size()));
            about.put("withinBudget", ranking.size());
            ArrayNode blocks = out.putArray("blocks");
            for (List<Candidate> stage : scored) {
                for (Candidate c : stage) {
                    ObjectNode b = blocks.addObject();
                    b.put("name", c.name());
                    b.put("parameters", c.parameters());
                    b.put("score", c.score());
                }
            }
            ObjectNode searched = out.putObject("searched");
            searched.put("architecture", ranking.get(0).spec().describe());
            searched.put("parameters", ranking.get(0).parameters());
            searched.put("score", ranking.get(0).score());
            searched.set("spec", RunRecord.JSON.valueToTree(ranking.get(0).spec()));
            out.set("standalone", alone);
            out.put("kendallTau", tau);
            out.put("kendallTauDefinition", "tau-b between minus the summed block score (relative validation error "
                    + "of the blocks) and the stand-alone test accuracy of the candidates above: +1 when the "
                    + "distillation loss orders them exactly as their accuracy does");
        }
        return out;
    }

    /** The teacher's tap shapes: a zoo teacher's from a fresh network, an imported one's from its graph. */
    private static TapShapes teacherShapes(RunContext ctx) throws IOException {
        var ts = ctx.config().teacher();
        if (ts.imported() == null) {
            try (Network t = ctx.create(ts.model())) {
                return t.tapShapes("teacher");
            }
        }
        try (InferenceModel t = ctx.teacher()) {
            return t.tapShapes("teacher");
        }
    }

    /** The teacher's stage taps: {@code taps}, or every feature-map tap; each must halve the previous map. */
    private List<String> stages(TapShapes shapes, long[] sample) {
        List<String> chosen = taps != null ? taps : shapes.mapTaps();
        if (chosen.isEmpty() || chosen.size() > 4) {
            throw new IllegalArgumentException("scheme.taps: the nas scheme needs 1 to 4 teacher stages of feature maps; "
                    + "the teacher's feature-map taps are " + shapes.mapTaps());
        }
        long h = sample[1];
        long w = sample[2];
        for (String t : chosen) {
            if (!shapes.shapes().containsKey(t)) {
                throw new IllegalArgumentException("scheme.taps: the teacher has no tap '" + t + "'; its taps are "
                        + shapes.shapes().keySet());
            }
            Shape s = shapes.shape(t);
            h /= 2;
            w /= 2;
            if (s.dimension() != 3 || s.get(1) != h || s.get(2) != w) {
                throw new IllegalArgumentException("scheme.taps: each teacher stage must halve the previous map (a "
                        + "block ends in a 2x2 pooling): '" + t + "' has shape " + s + ", expected [C, " + h + ", " + w
                        + "]");
            }
        }
        return chosen;
    }

    /**
     * Scores every candidate block: trains them all in the phase {@value #PHASE} (resumed from
     * its checkpoint if the run stopped in it), then measures each on the validation set; the
     * scores are saved in {@value #RESULT_FILE}, read back by a resumed run.
     */
    private List<List<Candidate>> search(RunContext ctx, InferenceModel teacher, List<String> stages,
            List<String> stored, List<List<Candidate>> space, TrainSpec train) throws IOException {
        Path saved = ctx.runDir().resolve(RESULT_FILE);
        if (Files.exists(saved) && !ctx.resuming(PHASE)) {
            JsonNode scores = RunRecord.JSON.readTree(saved.toFile()).path("scores");
            List<List<Candidate>> out = new ArrayList<>();
            for (List<Candidate> stage : space) {
                List<Candidate> s = new ArrayList<>();
                for (Candidate c : stage) {
                    JsonNode v = scores.get(c.name());
                    if (v == null) {
                        throw new IOException(saved + " has no score for block " + c.name() + "; it belongs to "
                                + "another search: start the run again");
                    }
                    s.add(new Candidate(c.stage(), c.block(), c.parameters(), v.asDouble()));
                }
                out.add(s);
            }
            ctx.message(PHASE + ": finished before the interruption, scores read from " + RESULT_FILE);
            return out;
        }
        KnowledgeSource knowledge = ctx.knowledge(teacher, "teacher", train, stored);
        long phaseSeed = Seeds.derive(ctx.seed(), PHASE);
        Feed feed = Feed.shuffled("train", ctx.train(), train.batchSize(), Seeds.derive(ctx.seed(), PHASE + "-shuffle"),
                train.augment(), phaseSeed, "", true);
        List<Participant> participants = new ArrayList<>();
        Map<String, Block> blocks = new LinkedHashMap<>();
        List<Update> updates = new ArrayList<>();
        TapShapes shapes = teacher.tapShapes("teacher");
        try {
            for (List<Candidate> stage : space) {
                for (Candidate c : stage) {
                    // each block's initial weights are a function of the run seed and its name alone
                    Seeds.apply(Seeds.derive(ctx.seed(), PHASE + " " + c.name()));
                    Adapters a = new Adapters(ctx.root());
                    long[] in = c.stage() == 0 ? ctx.train().sampleShape()
                            : shapes.shape(stages.get(c.stage() - 1)).getShape();
                    long[] batched = new long[in.length + 1];
                    batched[0] = 1;
                    System.arraycopy(in, 0, batched, 1, in.length);
                    blocks.put(c.name(), a.block("block", c.block().block(), new Shape(batched)));
                    participants.add(Participant.adapters(c.name(), a, train));
                    String input = c.stage() == 0 ? null : stages.get(c.stage() - 1);
                    String target = stages.get(c.stage());
                    updates.add(new Update(c.name(), "train", Map.of(org.distill4j.knowledge.Knowledge.TEACHER,
                            knowledge), step -> {
                                Outputs t = step.knowledge().outputs();
                                NDArray x = input == null ? step.batch().input() : t.get(input).stopGradient();
                                return LossValue.of("block", BlockLoss.mse(step.adapters(c.name()).forward("block", x),
                                        t.get(target)));
                            }, 1));
                }
            }
            Phase phase = new Phase(PHASE, participants, List.of(feed), (StepPolicy) (step, epoch, batch) -> updates, train.epochs(), ctx.validation());
            ctx.run(phase, List.of());
            List<List<Candidate>> scored = score(ctx, teacher, stages, space, blocks);
            ObjectNode file = RunRecord.JSON.createObjectNode();
            ObjectNode scores = file.putObject("scores");
            scored.forEach(stage -> stage.forEach(c -> scores.put(c.name(), c.score())));
            AtomicFile.writeString(saved, RunRecord.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(file));
            return scored;
        } finally {
            participants.forEach(Participant::close);
        }
    }

    /** Each block's relative error on the validation set, in inference mode, fed the teacher's maps. */
    private static List<List<Candidate>> score(RunContext ctx, InferenceModel teacher, List<String> stages,
            List<List<Candidate>> space, Map<String, Block> blocks) {
        Dataset validation = ctx.validation();
        BatchLoader loader = new BatchLoader(validation, 256, false, 0, false);
        Map<String, double[]> sums = new LinkedHashMap<>();
        blocks.keySet().forEach(n -> sums.put(n, new double[2]));
        for (int[] positions : loader.plan(0)) {
            try (NDManager scope = ctx.root().newSubManager()) {
                Batch batch = loader.load(scope, positions);
                Outputs t = teacher.infer(batch.input());
                ParameterStore ps = new ParameterStore(scope, false);
                for (List<Candidate> stage : space) {
                    for (Candidate c : stage) {
                        NDArray x = c.stage() == 0 ? batch.input() : t.get(stages.get(c.stage() - 1));
                        NDArray y = t.get(stages.get(c.stage()));
                        NDArray s = blocks.get(c.name()).forward(ps, new NDList(x), false).singletonOrThrow();
                        NDArray d = s.sub(y);
                        double[] acc = sums.get(c.name());
                        acc[0] += d.mul(d).sum().getFloat();
                        acc[1] += y.mul(y).sum().getFloat();
                    }
                }
            }
        }
        List<List<Candidate>> out = new ArrayList<>();
        for (List<Candidate> stage : space) {
            out.add(stage.stream().map(c -> new Candidate(c.stage(), c.block(), c.parameters(),
                    BlockLoss.relative(sums.get(c.name())[0], sums.get(c.name())[1]))).toList());
        }
        return out;
    }
}

package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.LwfLoss;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.RunContext;
import org.distill4j.train.TrainSpec;

/**
 * {@code lwf}: Learning without Forgetting (Li &amp; Hoiem 2016, ECCV; 2018, TPAMI) over a
 * sequence of tasks cut from the run's classes ({@code tasks}, by default the ten Fashion-MNIST
 * classes as five tasks of two). One network ({@code student.model}) learns the tasks one after
 * the other, each a phase of its own on that task's training samples only ({@code student.train}
 * per task), each task's head being its classes' columns of the output layer ({@link LwfLoss}).
 * Before training on task {@code t ≥ 2}, the network as it was after task {@code t − 1} is run
 * once on task {@code t}'s training samples and its outputs are recorded
 * ({@code knowledge/lwf-record-task<t>.safetensors}, by sample id); training then minimises
 * {@code CE_new + λ_o·Σ_old KL_T(recorded ‖ current)} on the old heads.
 *
 * <p>With {@code baselines}, two more sequences from the same first-task network and with the
 * same batch order: plain fine-tuning ({@code λ_o = 0}: {@code finetune-task<t>}) and joint
 * training ({@code joint-task<t>}: every task seen so far, each sample's cross-entropy over its
 * own head, starting from {@code joint-task<t−1>}) — the upper bound. Task 1 is one network,
 * {@code task1}, shared by all three.
 *
 * <p>After each task, each sequence's accuracy on the test samples of every task seen so far,
 * task-aware (argmax over that task's head, as in the paper's multi-head setting), is in the
 * record's {@code schemeResults.accuracy} with the average and the average forgetting (Chaudhry
 * et al. 2018: the mean over old tasks of the best earlier accuracy minus the current one). The
 * record also gets summary results per sequence, {@code <sequence>-average} (test accuracy =
 * the final average task accuracy) and {@code <sequence>-forgetting} (test accuracy field = the
 * final average forgetting, lower is better), so bench rows can compare them. Each phase's own
 * result is evaluated with all ten outputs on the test samples of the tasks seen so far.
 * {@code student.method} and {@code student.baseline} are not used.
 *
 * @param tasks the classes of each task, in learning order: at least 2 tasks, disjoint, each
 *     non-empty (default [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]])
 * @param lambda λ_o, the weight of the old heads' term (default 1, the paper's)
 * @param temperature T of the old heads' term (default 2, the paper's)
 * @param baselines also run fine-tuning and joint training (default true)
 */
public record LwfScheme(List<List<Integer>> tasks, Double lambda, Double temperature, Boolean baselines)
        implements SchemeSpec {
    public LwfScheme {
        tasks = tasks == null ? List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7), List.of(8, 9))
                : tasks;
        lambda = lambda == null ? 1.0 : lambda;
        temperature = temperature == null ? 2.0 : temperature;
        baselines = baselines == null ? Boolean.TRUE : baselines;
        if (tasks.size() < 2 || tasks.size() > 100) {
            throw new IllegalArgumentException("tasks: must list 2 to 100 tasks (got " + tasks.size() + ")");
        }
        Set<Integer> seen = new HashSet<>();
        for (List<Integer> t : tasks) {
            if (t == null || t.isEmpty() || t.stream().anyMatch(c -> c == null || c < 0)) {
                throw new IllegalArgumentException("tasks: every task is a non-empty list of class numbers ≥ 0 (got "
                        + tasks + ")");
            }
            for (int c : t) {
                if (!seen.add(c)) {
                    throw new IllegalArgumentException("tasks: class " + c + " is in two tasks (got " + tasks + ")");
                }
            }
        }
        tasks = List.copyOf(tasks.stream().map(List::copyOf).toList());
        if (!(lambda >= 0 && lambda <= 1e6)) {
            throw new IllegalArgumentException("lambda: must be in [0, 1e6] (got " + lambda + ")");
        }
        if (!(temperature > 0 && temperature <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + temperature + ")");
        }
    }

    static final String LWF = "lwf";
    static final String FINETUNE = "finetune";
    static final String JOINT = "joint";

    @Override
    public String name() {
        return "lwf";
    }

    @Override
    public boolean needsTeacher() {
        return false;
    }

    @Override
    public void validate(ModelSpec studentModel, TrainSpec studentTrain) {
        if (studentTrain.augment().active()) {
            throw new IllegalArgumentException("scheme: lwf records the old heads' outputs once per task; "
                    + "augmentation would change the inputs they were recorded on: remove student.train.augment");
        }
    }

    /** The name of task {@code t}'s (0-based) network of {@code sequence}; task 1 is shared. */
    static String model(String sequence, int t) {
        return t == 0 ? "task1" : sequence + "-task" + (t + 1);
    }

    /** The file the old heads' outputs on task {@code t}'s (0-based) data are recorded in, under knowledge/. */
    public static String record(int t) {
        return "lwf-record-task" + (t + 1);
    }

    /** The objective of task {@code t} of {@code sequence} (cross-entropy weight 0: the loss has its own). */
    public WeightedSum objective(String sequence, int t) {
        return new WeightedSum(0, new LwfLoss(tasks, t, sequence.equals(LWF) ? lambda : 0, temperature,
                sequence.equals(JOINT)));
    }

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        int classes = ctx.train().numClasses();
        for (List<Integer> t : tasks) {
            for (int c : t) {
                if (c >= classes) {
                    throw new IllegalArgumentException("tasks: class " + c + " is not a class of the data (0 … "
                            + (classes - 1) + ")");
                }
            }
        }
        List<String> sequences = baselines ? List.of(LWF, FINETUNE, JOINT) : List.of(LWF);
        Map<String, double[][]> accuracy = new LinkedHashMap<>();
        // the same table on the validation samples, when the run has a validation split
        Map<String, double[][]> onValidation = new LinkedHashMap<>();
        boolean validating = ctx.validation().size() > 0;
        sequences.forEach(s -> accuracy.put(s, new double[tasks.size()][]));
        if (validating) {
            sequences.forEach(s -> onValidation.put(s, new double[tasks.size()][]));
        }
        List<Dataset> testOf = new ArrayList<>();
        List<Dataset> validationOf = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            testOf.add(of(ctx.test(), List.copyOf(tasks.get(t)), "task" + (t + 1)));
            validationOf.add(of(ctx.validation(), List.copyOf(tasks.get(t)), "task" + (t + 1)));
        }
        List<Network> open = new ArrayList<>();
        try {
            Map<String, Network> previous = new LinkedHashMap<>();
            for (int t = 0; t < tasks.size(); t++) {
                List<Integer> seenClasses = LwfLoss.classesUpTo(tasks, t);
                Dataset testSeen = of(ctx.test(), seenClasses, "tasks1-" + (t + 1));
                for (String s : sequences) {
                    if (t == 0 && !s.equals(LWF)) {
                        previous.put(s, previous.get(LWF)); // task 1 is the same network for every sequence
                        accuracy.get(s)[0] = accuracy.get(LWF)[0];
                        if (validating) {
                            onValidation.get(s)[0] = onValidation.get(LWF)[0];
                        }
                        continue;
                    }
                    List<Integer> own = s.equals(JOINT) ? seenClasses : tasks.get(t);
                    String part = s.equals(JOINT) ? "tasks1-" + (t + 1) : "task" + (t + 1);
                    RunContext view = ctx.on(of(ctx.train(), own, part), of(ctx.validation(), own, part), testSeen);
                    WeightedSum objective = objective(s, t);
                    KnowledgeSource recorded = null;
                    if (objective.needsTeacher()) {
                        // Recorded BEFORE this task's training: the network after task t-1 on task t's data.
                        Network old = previous.get(s);
                        old.freeze();
                        recorded = view.knowledge(old, record(t), ss.train(), Set.of());
                    }
                    // Same role per task: every sequence sees task t's batches in the same order.
                    RunContext.Solo solo = RunContext.Solo.of(model(s, t), "task" + (t + 1), s, objective, ss.model(),
                            ss.train()).taughtBy(recorded);
                    if (t > 0) {
                        solo = solo.startingFrom(previous.get(s));
                    }
                    Network net = view.train(solo);
                    open.add(net);
                    previous.put(s, net);
                    accuracy.get(s)[t] = taskAccuracies(net, testOf, t, ctx);
                    if (validating) {
                        onValidation.get(s)[t] = taskAccuracies(net, validationOf, t, ctx);
                    }
                }
            }
        } finally {
            open.forEach(Network::close);
        }
        return results(ctx, accuracy, onValidation);
    }

    /** The task-aware accuracies of {@code net} on the first {@code t + 1} tasks' samples of {@code perTask}. */
    private double[] taskAccuracies(Network net, List<Dataset> perTask, int t, RunContext ctx) {
        double[] row = new double[t + 1];
        for (int j = 0; j <= t; j++) {
            row[j] = taskAccuracy(net, perTask.get(j), tasks.get(j), ctx);
        }
        return row;
    }

    /**
     * The per-task table, its averages and forgetting, and the summary results for the bench; the
     * same table on the validation samples ({@code validationAccuracy}, left out when the run has
     * no validation split), for choosing λ without the test set.
     */
    private JsonNode results(RunContext ctx, Map<String, double[][]> accuracy, Map<String, double[][]> onValidation) {
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ArrayNode ts = out.putArray("tasks");
        tasks.forEach(t -> ts.addPOJO(t));
        out.put("lambda", lambda);
        out.put("temperature", temperature);
        ObjectNode acc = out.putObject("accuracy");
        for (var e : accuracy.entrySet()) {
            double[][] a = e.getValue();
            table(acc.putArray(e.getKey()), a);
            int last = a.length - 1;
            summary(ctx, e.getKey() + "-average", e.getKey(), average(a[last]));
            summary(ctx, e.getKey() + "-forgetting", e.getKey(), forgetting(a, last));
        }
        if (!onValidation.isEmpty()) { // none without a validation split: no NaN table
            ObjectNode val = out.putObject("validationAccuracy");
            for (var e : onValidation.entrySet()) {
                table(val.putArray(e.getKey()), e.getValue());
            }
        }
        return out;
    }

    /** One row per task of {@code a}: the accuracy on every task so far, their average, the forgetting. */
    private static void table(ArrayNode rows, double[][] a) {
        for (int t = 0; t < a.length; t++) {
            ObjectNode row = rows.addObject();
            row.put("afterTask", t + 1);
            ArrayNode per = row.putArray("perTask");
            for (double v : a[t]) {
                per.add(v);
            }
            row.put("average", average(a[t]));
            if (t > 0) {
                row.put("forgetting", forgetting(a, t));
            }
        }
    }

    /** Records a summary of sequence {@code s} (once: a resumed run finds it) with {@code value} as its accuracy. */
    private void summary(RunContext ctx, String name, String s, double value) {
        if (ctx.done(name) != null) {
            return;
        }
        ModelResult last = ctx.done(model(s, tasks.size() - 1));
        double seconds = 0;
        for (int t = 0; t < tasks.size(); t++) {
            seconds += ctx.done(model(s, t)).trainSeconds();
        }
        ModelMetrics m = last.metrics();
        ctx.record(new ModelResult(name, last.role(), s, last.architecture(), last.parameters(), last.sizeBytes(),
                last.weightsDigest(), null, false, seconds, 0, List.of(), new ModelMetrics(value, Double.NaN,
                        Double.NaN, null, null, null, null, m.latencyMsBatch1(), m.latencyMsPerSampleBatch256())));
    }

    static double average(double[] row) {
        double sum = 0;
        for (double v : row) {
            sum += v;
        }
        return sum / row.length;
    }

    /**
     * Average forgetting after task {@code t} (0-based, ≥ 1): over the tasks {@code j < t}, the
     * best accuracy on {@code j} after any task {@code l < t} minus the accuracy after {@code t}.
     */
    public static double forgetting(double[][] a, int t) {
        double sum = 0;
        for (int j = 0; j < t; j++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int l = j; l < t; l++) {
                best = Math.max(best, a[l][j]);
            }
            sum += best - a[t][j];
        }
        return sum / t;
    }

    /** Task-aware accuracy: on {@code test}'s samples, the argmax over the task's columns only. */
    static double taskAccuracy(Network net, Dataset test, List<Integer> task, RunContext ctx) {
        Predictions p = Predictions.of(net, test, ctx.root());
        int[] y = test.labels();
        int correct = 0;
        for (int i = 0; i < y.length; i++) {
            int best = task.get(0);
            for (int c : task) {
                if (p.logits()[i * p.classes() + c] > p.logits()[i * p.classes() + best]) {
                    best = c;
                }
            }
            correct += best == y[i] ? 1 : 0;
        }
        return y.length == 0 ? Double.NaN : (double) correct / y.length;
    }

    /** The samples of {@code data} whose class is in {@code classes}, in source order (ids kept). */
    static Dataset of(Dataset data, List<Integer> classes, String part) {
        int[] y = data.labels();
        int[] pick = java.util.stream.IntStream.range(0, y.length).filter(i -> classes.contains(y[i])).toArray();
        return data.subset(data.name() + "-" + part, pick);
    }
}

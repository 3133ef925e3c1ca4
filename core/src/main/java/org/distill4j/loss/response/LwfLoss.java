package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;

/**
 * Learning without Forgetting (Li &amp; Hoiem 2016/2018, "Learning without Forgetting", ECCV /
 * TPAMI) on a sequence of classification tasks, each a set of classes. A task's <i>head</i> is
 * the columns of its classes in the network's one output layer (<i>choice</i>: one shared
 * output layer sliced per task instead of a layer per task; a column gets no gradient from this
 * loss before its task). Training on task {@code t}:
 *
 * <pre>
 *   ce-new = CE over task t's head, label = the class's position in the task     (batch mean)
 *   old    = λ_o · Σ_{j &lt; t} KL(p(y_j, T) ‖ p(z_j, T))                       (batch mean)
 * </pre>
 *
 * where {@code z_j} is the network's head {@code j} and {@code y_j} the same head's outputs
 * recorded, before training on task {@code t}, from the network as it was after task
 * {@code t − 1} on task {@code t}'s data (the teacher knowledge). KL at {@code T} (default 2, the
 * paper's) without a {@code T²} factor (the paper's loss is the soft cross-entropy, equal to this
 * KL plus a constant). With {@code λ_o = 0} it is plain fine-tuning. With {@code joint} each
 * sample's cross-entropy is over its own task's head, for samples of any task up to {@code t}:
 * joint training, the upper bound. The terms are this loss's own: its objective has
 * cross-entropy weight 0 (the 10-way cross-entropy would train every head on every task).
 */
public final class LwfLoss implements DistillationLoss {
    /** What a column outside a sample's head gets added, so its probability is exactly 0 in float32. */
    static final float MASK = -1e4f;

    private final List<List<Integer>> tasks;
    private final int current;
    private final double lambda;
    private final double temperature;
    private final boolean joint;

    /**
     * @param tasks the classes of every task, in order
     * @param current the 0-based index of the task being learnt
     * @param lambda λ_o, the weight of the old heads' term, ≥ 0
     * @param temperature T of the old heads' term, > 0
     * @param joint cross-entropy over each sample's own head for every task up to {@code current}
     */
    public LwfLoss(List<List<Integer>> tasks, int current, double lambda, double temperature, boolean joint) {
        if (current < 0 || current >= tasks.size()) {
            throw new IllegalArgumentException("lwf: task " + current + " is not among " + tasks.size() + " tasks");
        }
        if (!(lambda >= 0 && Double.isFinite(lambda)) || !(temperature > 0 && Double.isFinite(temperature))) {
            throw new IllegalArgumentException("lwf: lambda must be ≥ 0 and temperature > 0 (got " + lambda + ", "
                    + temperature + ")");
        }
        this.tasks = List.copyOf(tasks.stream().map(List::copyOf).toList());
        this.current = current;
        this.lambda = lambda;
        this.temperature = temperature;
        this.joint = joint;
    }

    /** The name of the new task's (or, joint, every task's) cross-entropy term. */
    public static final String NEW = "ce-new";
    /** The name of the old heads' term. */
    public static final String OLD = "old";

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray z = student.logits();
        int classes = (int) z.getShape().get(1);
        int[] y = batch.labelValues();
        float[] mask = new float[y.length * classes];
        Arrays.fill(mask, MASK);
        for (int i = 0; i < y.length; i++) {
            int task = taskOf(y[i]);
            if (task < 0 || task > current || (!joint && task != current)) {
                throw new IllegalArgumentException("lwf: sample " + batch.ids()[i] + " of class " + y[i]
                        + " is not in task " + (current + 1) + " " + tasks.get(current));
            }
            for (int c : tasks.get(task)) {
                mask[i * classes + c] = 0;
            }
        }
        NDArray masked = z.add(z.getManager().create(mask, new Shape(y.length, classes)).toType(z.getDataType(), false));
        Map<String, NDArray> terms = new LinkedHashMap<>();
        terms.put(NEW, CrossEntropy.of(masked, batch.labels()));
        if (needsTeacher()) {
            NDArray recorded = teacher.outputs().logits().stopGradient();
            NDArray old = null;
            for (int j = 0; j < current; j++) {
                NDArray select = selection(z, classes, tasks.get(j));
                NDArray kl = KdLoss.klDivergence(recorded.matMul(select), z.matMul(select), temperature);
                old = old == null ? kl : old.add(kl);
            }
            terms.put(OLD, Scalars.mul(old, (float) lambda));
        }
        return LossValue.sum(terms);
    }

    /** The (classes × |task|) 0/1 matrix that picks a head's columns: {@code z · S} is the head. */
    static NDArray selection(NDArray like, int classes, List<Integer> task) {
        float[] s = new float[classes * task.size()];
        for (int k = 0; k < task.size(); k++) {
            s[task.get(k) * task.size() + k] = 1;
        }
        return like.getManager().create(s, new Shape(classes, task.size())).toType(like.getDataType(), false);
    }

    private int taskOf(int label) {
        for (int t = 0; t < tasks.size(); t++) {
            if (tasks.get(t).contains(label)) {
                return t;
            }
        }
        return -1;
    }

    /** Old heads to keep: from the second task on, unless fine-tuning (λ_o = 0) or joint training. */
    @Override
    public boolean needsTeacher() {
        return !joint && current > 0 && lambda > 0;
    }

    /** The classes of tasks {@code 0 … last}, in order. */
    public static List<Integer> classesUpTo(List<List<Integer>> tasks, int last) {
        List<Integer> all = new ArrayList<>();
        for (int t = 0; t <= last; t++) {
            all.addAll(tasks.get(t));
        }
        return all;
    }
}

package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Network;

/**
 * The one training step every scheme uses: load a batch into its own {@link NDManager} scope,
 * ask the teacher (outside the gradient recorder, so it builds no graph), forward the student,
 * compute the loss, backpropagate, check the loss is finite, update; then close the scope so
 * a long run does not grow in memory.
 */
public final class StepRunner {
    private final NDManager root;

    public StepRunner(NDManager root) {
        this.root = root;
    }

    /** Trains one epoch (0-based {@code epoch} of {@code epochs}) and returns its statistics. */
    public EpochStats trainEpoch(String phase, Network student, Optimizer optimizer, DistillationLoss loss,
            KnowledgeSource teacher, BatchLoader loader, TrainSpec spec, int epoch, TrainListener listener) {
        long start = System.nanoTime();
        int[][] plan = loader.plan(epoch);
        double lossSum = 0;
        Map<String, Double> termSums = new LinkedHashMap<>();
        long correct = 0;
        long seen = 0;
        double lr = 0;
        for (int b = 0; b < plan.length; b++) {
            lr = spec.schedule().rate(spec.optimizer().lr(), epoch, b, plan.length, spec.epochs());
            try (NDManager scope = root.newSubManager()) {
                Batch batch = loader.load(scope, plan[b]);
                Knowledge knowledge = teacher == null ? Knowledge.NONE : teacher.lookup(batch);
                LossValue value;
                NDArray logits;
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    var outputs = student.forward(batch.inputs(), true);
                    value = loss.compute(outputs, knowledge, batch);
                    logits = outputs.logits();
                    collector.backward(value.total());
                }
                float total = value.total().getFloat();
                Map<String, Double> terms = new LinkedHashMap<>();
                value.terms().forEach((k, v) -> terms.put(k, (double) v.getFloat()));
                if (!Float.isFinite(total)) {
                    throw new NonFiniteLossException(phase, epoch, b, terms);
                }
                optimizer.step(lr);
                long[] predicted = logits.argMax(1).toLongArray();
                int[] labels = batch.labelValues();
                for (int i = 0; i < labels.length; i++) {
                    if (predicted[i] == labels[i]) {
                        correct++;
                    }
                }
                seen += labels.length;
                lossSum += total * labels.length;
                terms.forEach((k, v) -> termSums.merge(k, v * labels.length, Double::sum));
                listener.onStep(epoch, b, total, lr);
            }
        }
        final long n = Math.max(seen, 1);
        Map<String, Double> termMeans = new LinkedHashMap<>();
        termSums.forEach((k, v) -> termMeans.put(k, v / n));
        return new EpochStats(lossSum / n, termMeans, (double) correct / n, lr, (System.nanoTime() - start) / 1e9);
    }
}

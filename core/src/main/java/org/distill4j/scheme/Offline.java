package org.distill4j.scheme;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.train.EpochStats;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.Optimizer;
import org.distill4j.train.StepRunner;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;

/**
 * Offline distillation: the teacher is already trained and frozen; only the student learns.
 * With no teacher (method {@code none}) it is plain supervised training, which is also how
 * teachers themselves are trained.
 */
public final class Offline {
    private final NDManager root;
    private final TrainListener listener;

    public Offline(NDManager root, TrainListener listener) {
        this.root = root;
        this.listener = listener;
    }

    /**
     * Trains {@code student} on {@code train} with {@code loss}, evaluating on {@code validation}
     * after each epoch; batches are shuffled from {@code shuffleSeed}.
     */
    public List<EpochSummary> train(String phase, Network student, TrainSpec spec, DistillationLoss loss,
            KnowledgeSource teacher, Dataset train, Dataset validation, long shuffleSeed) {
        if (loss.needsTeacher() && teacher == null) {
            throw new IllegalArgumentException(phase + ": this method needs a teacher");
        }
        // Drop a last partial batch: a batch of one breaks batch norm in training mode.
        BatchLoader loader = new BatchLoader(train, spec.batchSize(), true, shuffleSeed, train.size() > spec.batchSize());
        StepRunner runner = new StepRunner(root);
        List<EpochSummary> history = new ArrayList<>();
        listener.onStart(phase, spec.epochs(), loader.batchesPerEpoch());
        try (Optimizer optimizer = spec.optimizer().create(student.trainableParameters(), student.manager())) {
            for (int epoch = 0; epoch < spec.epochs(); epoch++) {
                EpochStats stats = runner.trainEpoch(phase, student, optimizer, loss, teacher, loader, spec, epoch, listener);
                double valLoss = Double.NaN;
                double valAcc = Double.NaN;
                if (validation.size() > 0) {
                    Predictions p = Predictions.of(student, validation, root);
                    valLoss = Metrics.crossEntropy(p, validation.labels());
                    valAcc = Metrics.accuracy(p, validation.labels());
                }
                EpochSummary summary = new EpochSummary(phase, epoch + 1, stats.lr(), stats.loss(), stats.terms(),
                        stats.accuracy(), valLoss, valAcc, stats.seconds());
                history.add(summary);
                listener.onEpochEnd(summary);
            }
        }
        listener.onFinish(phase);
        return history;
    }
}

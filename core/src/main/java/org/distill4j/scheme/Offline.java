package org.distill4j.scheme;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import ai.djl.nn.Parameter;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.train.Checkpointer;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.FaultInjection;
import org.distill4j.train.Optimizer;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepRunner;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;

/**
 * Offline distillation: the teacher is already trained and frozen; only the student learns.
 * With no teacher (method {@code none}) it is plain supervised training, which is also how
 * teachers themselves are trained. The loop can start from saved progress (resume) and hands
 * its state to a {@link Checkpointer} at fixed positions.
 */
public final class Offline {
    /** Restores saved state into what the loop creates: the loss's adapters, then the optimizer. */
    public interface Restore {
        Restore NONE = new Restore() {
            @Override
            public void adapters(Adapters adapters) {}

            @Override
            public void optimizer(Optimizer optimizer) {}
        };

        void adapters(Adapters adapters) throws IOException;

        void optimizer(Optimizer optimizer) throws IOException;
    }

    /** The learning rate at a step, in place of the {@link TrainSpec}'s schedule (e.g. a cyclic one). */
    @FunctionalInterface
    public interface Rates {
        double rate(int epoch, int step, int stepsPerEpoch);
    }

    /** Called at every epoch end with the student, before that epoch's checkpoint is written. */
    @FunctionalInterface
    public interface EpochEnd {
        /** @param finishedEpochs epochs done so far (1 after the first) */
        void after(int finishedEpochs, Network student) throws IOException;
    }

    private final NDManager root;
    private final TrainListener listener;
    private final Rates rates;
    private final EpochEnd epochEnd;

    public Offline(NDManager root, TrainListener listener) {
        this(root, listener, null, null);
    }

    private Offline(NDManager root, TrainListener listener, Rates rates, EpochEnd epochEnd) {
        this.root = root;
        this.listener = listener;
        this.rates = rates;
        this.epochEnd = epochEnd;
    }

    /** The same loop with another learning-rate schedule (snapshot distillation's cycles). */
    public Offline withRates(Rates r) {
        return new Offline(root, listener, r, epochEnd);
    }

    /** The same loop, calling {@code hook} at every epoch end (e.g. to save a snapshot). */
    public Offline withEpochEnd(EpochEnd hook) {
        return new Offline(root, listener, rates, hook);
    }

    /** Trains from scratch without checkpoints. */
    public List<EpochSummary> train(String phase, Network student, TrainSpec spec, DistillationLoss loss,
            KnowledgeSource teacher, Dataset train, Dataset validation, long shuffleSeed) throws IOException {
        return train(phase, student, spec, loss, teacher, train, validation, shuffleSeed, TrainingProgress.start(),
                Restore.NONE, Checkpointer.NONE).history();
    }

    /**
     * Trains {@code student} on {@code train} with {@code loss} from {@code start}, evaluating on
     * {@code validation} after each epoch; returns the final progress (history, skipped batches,
     * time).
     */
    public TrainingProgress train(String phase, Network student, TrainSpec spec, DistillationLoss loss,
            KnowledgeSource teacher, Dataset train, Dataset validation, long shuffleSeed, TrainingProgress start,
            Restore restore, Checkpointer checkpointer) throws IOException {
        if (loss.needsTeacher() && teacher == null) {
            throw new IllegalArgumentException(phase + ": this method needs a teacher");
        }
        // Drop a last partial batch: a batch of one breaks batch norm in training mode.
        BatchLoader loader = new BatchLoader(train, spec.batchSize(), true, shuffleSeed, train.size() > spec.batchSize());
        StepRunner runner = new StepRunner(root);
        int perEpoch = loader.batchesPerEpoch();
        double lossSum = start.lossSum();
        Map<String, Double> termSums = new LinkedHashMap<>(start.termSums());
        long correct = start.correct();
        long seen = start.seen();
        int skipped = start.skippedBatches();
        List<EpochSummary> history = new ArrayList<>(start.history());
        double seconds = start.seconds();
        listener.onStart(phase, spec.epochs(), perEpoch, (long) start.epoch() * perEpoch + start.batch());
        try (Adapters adapters = new Adapters(student.manager())) {
            loss.bind(new Binding(student.tapShapes("student"), teacher == null ? null : teacher.tapShapes(),
                    train.size(), train.idBound(), adapters));
            restore.adapters(adapters);
            List<Parameter> parameters = new ArrayList<>(student.trainableParameters());
            parameters.addAll(adapters.trainableParameters());
            try (Optimizer optimizer = spec.optimizer().create(parameters, student.manager())) {
            restore.optimizer(optimizer);
            for (int epoch = start.epoch(); epoch < spec.epochs(); epoch++) {
                loss.startEpoch(epoch, spec.epochs());
                int[][] plan = loader.plan(epoch);
                double lr = 0;
                for (int b = epoch == start.epoch() ? start.batch() : 0; b < plan.length; b++) {
                    long t0 = System.nanoTime();
                    lr = rates != null ? rates.rate(epoch, b, plan.length)
                            : spec.schedule().rate(spec.optimizer().lr(), epoch, b, plan.length, spec.epochs());
                    long stepSeed = Seeds.derive(shuffleSeed, "step " + epoch + " " + b);
                    if (b + 1 < plan.length) { // gather the next batch while this step computes
                        loader.prefetch(plan[b + 1], spec.augment(), Seeds.derive(shuffleSeed, "step " + epoch + " " + (b + 1)));
                    }
                    StepRunner.StepResult r = runner.step(phase, student, optimizer, loss, teacher, loader, spec,
                            plan[b], epoch, b, lr, stepSeed);
                    if (r.skipped()) {
                        skipped++;
                    } else {
                        lossSum += r.loss() * r.samples();
                        r.terms().forEach((k, v) -> termSums.merge(k, v * r.samples(), Double::sum));
                        correct += r.correct();
                        seen += r.samples();
                    }
                    seconds += (System.nanoTime() - t0) / 1e9;
                    long globalStep = (long) epoch * plan.length + b + 1;
                    FaultInjection.maybeHalt(FaultInjection.AFTER_STEP, globalStep);
                    listener.onStep(epoch, b, r.loss(), lr);
                    if (checkpointer.everySteps() > 0 && globalStep % checkpointer.everySteps() == 0
                            && b + 1 < plan.length) {
                        checkpointer.save(phase, student, adapters, optimizer, new TrainingProgress(epoch, b + 1, lossSum,
                                termSums, correct, seen, skipped, history, seconds), Double.NaN);
                    }
                }
                long t0 = System.nanoTime();
                double valLoss = Double.NaN;
                double valAcc = Double.NaN;
                if (validation.size() > 0) {
                    Predictions p = Predictions.of(student, validation, root);
                    valLoss = Metrics.crossEntropy(p, validation.labels());
                    valAcc = Metrics.accuracy(p, validation.labels());
                }
                long n = Math.max(seen, 1);
                Map<String, Double> termMeans = new LinkedHashMap<>();
                termSums.forEach((k, v) -> termMeans.put(k, v / n));
                seconds += (System.nanoTime() - t0) / 1e9;
                EpochSummary summary = new EpochSummary(phase, epoch + 1, lr, lossSum / n, termMeans,
                        (double) correct / n, valLoss, valAcc, seconds - epochStartSeconds(history));
                history.add(summary);
                lossSum = 0;
                termSums.clear();
                correct = 0;
                seen = 0;
                if (epochEnd != null) {
                    epochEnd.after(epoch + 1, student);
                }
                checkpointer.save(phase, student, adapters, optimizer,
                        new TrainingProgress(epoch + 1, 0, 0, Map.of(), 0, 0, skipped, history, seconds), valAcc);
                listener.onEpochEnd(summary);
            }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        listener.onFinish(phase);
        return new TrainingProgress(spec.epochs(), 0, 0, Map.of(), 0, 0, skipped, history, seconds);
    }

    /** Time at the start of the epoch being summarised: the sum of the finished epochs' times. */
    private static double epochStartSeconds(List<EpochSummary> history) {
        return history.stream().mapToDouble(EpochSummary::seconds).sum();
    }
}

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
 * The one training step every scheme uses. It seeds the engine from the step's position, so
 * dropout and other engine randomness are a pure function of (run seed, phase, epoch, batch):
 * a resumed run replays exactly without saving generator state. Then it loads the batch into
 * its own {@link NDManager} scope, asks the teacher (outside the gradient recorder, so it builds
 * no graph), forwards the student, backpropagates, checks loss and gradient norm are finite
 * (stop or skip, as configured), clips, updates, and closes the scope so memory stays flat.
 */
public final class StepRunner {
    /** What one step did. */
    public record StepResult(double loss, Map<String, Double> terms, int correct, int samples, boolean skipped,
            double gradNorm) {}

    private final NDManager root;

    public StepRunner(NDManager root) {
        this.root = root;
    }

    public StepResult step(String phase, Network student, Optimizer optimizer, DistillationLoss loss,
            KnowledgeSource teacher, BatchLoader loader, TrainSpec spec, int[] positions, int epoch, int batchIndex,
            double lr, long stepSeed) {
        Seeds.apply(stepSeed);
        try (NDManager scope = root.newSubManager()) {
            Batch batch = loader.load(scope, positions, spec.augment(), stepSeed);
            Knowledge knowledge = teacher == null ? Knowledge.NONE : teacher.lookup(batch);
            LossValue value;
            NDArray logits;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                var outputs = student.forward(batch.inputs(), true);
                value = loss.compute(outputs, knowledge, batch);
                if (FaultInjection.poisonThisStep()) {
                    value = new LossValue(value.total().mul(Float.NaN), value.terms());
                }
                logits = outputs.logits();
                collector.backward(value.total());
            }
            double total = value.total().getFloat();
            Map<String, Double> terms = new LinkedHashMap<>();
            value.terms().forEach((k, v) -> terms.put(k, (double) v.getFloat()));
            double gradNorm = optimizer.gradientNorm();
            if (!Double.isFinite(total) || !Double.isFinite(gradNorm)) {
                optimizer.zeroGradients();
                if (spec.onNonFinite() == TrainSpec.NonFinitePolicy.STOP) {
                    throw new NonFiniteLossException(phase, epoch, batchIndex, total, gradNorm, terms);
                }
                return new StepResult(total, terms, 0, 0, true, gradNorm);
            }
            if (spec.clipGradNorm() > 0 && gradNorm > spec.clipGradNorm()) {
                optimizer.scaleGradients(spec.clipGradNorm() / (gradNorm + 1e-6));
            }
            optimizer.step(lr);
            long[] predicted = logits.argMax(1).toLongArray();
            int[] labels = batch.labelValues();
            int correct = 0;
            for (int i = 0; i < labels.length; i++) {
                correct += predicted[i] == labels[i] ? 1 : 0;
            }
            return new StepResult(total, terms, correct, labels.length, false, gradNorm);
        }
    }
}

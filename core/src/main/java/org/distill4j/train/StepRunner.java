package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
                var outputs = student.forward(batch.input(), true);
                value = loss.compute(outputs, knowledge, batch);
                if (FaultInjection.poisonThisStep()) {
                    value = new LossValue(value.total().mul(Float.NaN), value.terms());
                }
                logits = outputs.logits();
                collector.backward(value.total());
            }
            // Everything the step reports, read back in ONE transfer: the loss, each term, the
            // squared gradient norm and the number of correct predictions. (Reading each with its
            // own getFloat costs a JNI round trip apiece; see bench/README.md, perf.)
            NDList report = new NDList();
            report.add(value.total().reshape(1));
            value.terms().values().forEach(v -> report.add(v.reshape(1)));
            report.add(optimizer.gradientNormSquared(scope).reshape(1));
            report.add(logits.argMax(1).eq(batch.labels().toType(DataType.INT64, false)).sum()
                    .toType(DataType.FLOAT32, false).reshape(1));
            float[] read = NDArrays.concat(report).toType(DataType.FLOAT32, false).toFloatArray();
            double total = read[0];
            Map<String, Double> terms = new LinkedHashMap<>();
            int t = 1;
            for (String name : value.terms().keySet()) {
                terms.put(name, (double) read[t++]);
            }
            double gradNorm = Math.sqrt(read[t++]);
            int correct = Math.round(read[t]);
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
            return new StepResult(total, terms, correct, batch.size(), false, gradNorm);
        }
    }
}

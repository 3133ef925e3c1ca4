package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.RunConfig;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.metric.Latency;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.scheme.Offline;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.Checkpointer;
import org.distill4j.train.NonFiniteLossException;
import org.distill4j.train.Optimizer;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;

/**
 * The phases of one run, in order: trains each network (or skips it when a resumed run finished
 * it before, checking the saved file's digest), resumes the one in progress from its exact
 * position, checkpoints, and evaluates each finished network (accuracy, fidelity to the teacher
 * on train and test, calibration, size, latency) into a {@link ModelResult}. Every scheme's run
 * goes through here, so all of them resume, checkpoint and report the same way.
 */
final class Phases {
    static final int ECE_BINS = 15;

    final RunConfig config;
    final Path runDir;
    final TrainListener listener;
    final Dataset train;
    final Dataset validation;
    final Dataset test;
    final CheckpointStore store;
    final CheckpointStore.Loaded resume;
    final List<ModelResult> completed;
    Predictions[] teacherPredictions;
    Path lastCheckpoint;

    Phases(RunConfig config, Path runDir, TrainListener listener, Dataset train, Dataset validation, Dataset test,
            CheckpointStore store, CheckpointStore.Loaded resume, List<ModelResult> completed) {
        this.config = config;
        this.runDir = runDir;
        this.listener = listener;
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.store = store;
        this.resume = resume;
        this.completed = completed;
        this.lastCheckpoint = store.latestFile();
    }

    ModelResult done(String name) {
        return completed.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
    }

    Network trainOrResume(Offline offline, NDManager root, String name, String role, MethodSpec method,
            ModelSpec spec, TrainSpec trainSpec, KnowledgeSource teacherSource, Network teacherNet)
            throws IOException {
        return trainOrResume(offline, root, name, role, method.name(), method.loss(), spec, trainSpec, teacherSource,
                teacherNet);
    }

    /** The same for a loss that is no registered method: a scheme's own (e.g. byot's exits, sad). */
    Network trainOrResume(Offline offline, NDManager root, String name, String role, String methodName,
            DistillationLoss loss, ModelSpec spec, TrainSpec trainSpec, KnowledgeSource teacherSource,
            Network teacherNet) throws IOException {
        Path file = runDir.resolve(name + ".model");
        ModelResult finished = done(name);
        if (finished != null) {
            Network net = Network.load(file, spec, root);
            if (!net.weightsDigest().equals(finished.weightsDigest())) {
                net.close();
                throw new IOException(file + " does not match the network this run trained (digest differs); "
                        + "it was modified or replaced: start the run again");
            }
            listener.onMessage(name + ": finished before the interruption, loaded " + file.getFileName());
            return net;
        }
        // Same initial weights for every student: only the method differs.
        Seeds.apply(Seeds.derive(config.seed(), role));
        Network net = Network.create(spec, train.sampleShape(), train.numClasses(), root);
        TrainingProgress progress = TrainingProgress.start();
        Offline.Restore restore = Offline.Restore.NONE;
        if (resume != null && name.equals(resume.meta().path("phase").asText())) {
            resume.restoreWeights(net);
            progress = CheckpointStore.JSON.treeToValue(resume.meta().path("progress"), TrainingProgress.class);
            CheckpointStore.Loaded from = resume;
            restore = new Offline.Restore() {
                @Override
                public void adapters(Adapters adapters) throws IOException {
                    from.restoreAdapters(adapters);
                }

                @Override
                public void optimizer(Optimizer optimizer) throws IOException {
                    from.restoreOptimizer(optimizer);
                }
            };
        }
        TrainingProgress end;
        try {
            end = offline.train(name, net, trainSpec, loss, loss.needsTeacher() ? teacherSource : null, train,
                    validation, Seeds.derive(config.seed(), role + "-shuffle"), progress, restore,
                    checkpointer());
        } catch (NonFiniteLossException e) {
            net.close();
            throw e.withLastCheckpoint(lastCheckpoint == null ? null : lastCheckpoint.toString());
        }
        net.save(file);
        evaluated(name, role, methodName, net, false, end, teacherNet, root);
        return net;
    }

    void evaluated(String name, String role, String method, Network net, boolean loaded, TrainingProgress end,
            Network teacherNet, NDManager root) {
        listener.onMessage("evaluating " + name);
        Predictions onTest = Predictions.of(net, test, root);
        Double agreeTrain = null;
        Double agreeTest = null;
        Double klTrain = null;
        Double klTest = null;
        if (teacherNet != null) {
            Predictions onTrain = Predictions.of(net, train, root);
            agreeTrain = Metrics.agreement(teacherPredictions[0], onTrain);
            klTrain = Metrics.klDivergence(teacherPredictions[0], onTrain);
            agreeTest = Metrics.agreement(teacherPredictions[1], onTest);
            klTest = Metrics.klDivergence(teacherPredictions[1], onTest);
        }
        ModelMetrics metrics = new ModelMetrics(Metrics.accuracy(onTest, test.labels()),
                Metrics.crossEntropy(onTest, test.labels()),
                Metrics.expectedCalibrationError(onTest, test.labels(), ECE_BINS), agreeTrain, agreeTest, klTrain,
                klTest, Latency.millisPerSample(net, root, 1, 200), Latency.millisPerSample(net, root, 256, 10));
        completed.add(new ModelResult(name, role, method, net.spec().describe(), net.parameterCount(),
                net.parameterCount() * Float.BYTES, net.weightsDigest(), name + ".model", loaded, end.seconds(),
                end.skippedBatches(), end.history(), metrics));
    }

    Checkpointer checkpointer() {
        return new Checkpointer() {
            @Override
            public int everySteps() {
                return config.checkpoint().everySteps();
            }

            @Override
            public void save(String phase, Network student, Adapters adapters,
                    Optimizer optimizer, TrainingProgress progress, double validationAccuracy) throws IOException {
                ObjectNode meta = CheckpointStore.JSON.createObjectNode();
                meta.put("phase", phase);
                meta.put("validationAccuracy", validationAccuracy);
                meta.set("progress", CheckpointStore.JSON.valueToTree(progress));
                meta.set("completed", CheckpointStore.JSON.valueToTree(completed));
                lastCheckpoint = store.save(meta, student, adapters, optimizer, phase, validationAccuracy);
            }
        };
    }
}

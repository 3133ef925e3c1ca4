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
        return trainOrResume(offline, root, name, role, method, spec, trainSpec, teacherSource, teacherNet, null);
    }

    /**
     * As above; {@code startFrom}, when non-null, is the network whose weights (every parameter,
     * running statistics included) this phase starts from instead of a fresh initialisation: the
     * hand-over between stages. Only the weights cross: the loss, its adapters and the optimizer
     * are the new phase's own. A phase resumed mid-way starts from its checkpoint instead.
     */
    Network trainOrResume(Offline offline, NDManager root, String name, String role, MethodSpec method,
            ModelSpec spec, TrainSpec trainSpec, KnowledgeSource teacherSource, Network teacherNet,
            Network startFrom) throws IOException {
        return trainOrResume(offline, root, name, role, method.name(), method.objective(), spec, trainSpec, teacherSource,
                teacherNet, startFrom);
    }

    /** The same for a loss that is no registered method: a scheme's own (e.g. byot's exits, sad). */
    Network trainOrResume(Offline offline, NDManager root, String name, String role, String methodName,
            DistillationLoss loss, ModelSpec spec, TrainSpec trainSpec, KnowledgeSource teacherSource,
            Network teacherNet) throws IOException {
        return trainOrResume(offline, root, name, role, methodName, loss, spec, trainSpec, teacherSource, teacherNet,
                null);
    }

    private Network trainOrResume(Offline offline, NDManager root, String name, String role, String methodName,
            DistillationLoss loss, ModelSpec spec, TrainSpec trainSpec, KnowledgeSource teacherSource,
            Network teacherNet, Network startFrom) throws IOException {
        Path file = runDir.resolve(name + ".model");
        if (done(name) != null) {
            return loadFinished(name, spec, root);
        }
        // Same initial weights for every student: only the method differs.
        Seeds.apply(Seeds.derive(config.seed(), role));
        Network net = Network.create(spec, train.sampleShape(), train.numClasses(), root);
        boolean resuming = resume != null && name.equals(resume.meta().path("phase").asText());
        if (startFrom != null && !resuming) {
            handOver(startFrom, net);
            listener.onMessage(name + ": starts from the previous phase's weights (digest "
                    + net.weightsDigest().substring(0, 12) + "…)");
        }
        TrainingProgress progress = TrainingProgress.start();
        Offline.Restore restore = Offline.Restore.NONE;
        if (resuming) {
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

    /** Copies every parameter of {@code from} (running statistics included) into {@code to}. */
    private static void handOver(Network from, Network to) throws IOException {
        if (!from.spec().equals(to.spec())) {
            throw new IllegalArgumentException("cannot hand " + from.spec().describe() + " weights to a "
                    + to.spec().describe());
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        from.writeWeights(new java.io.DataOutputStream(bytes));
        to.readWeights(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
    }

    /**
     * The config's teacher, trained here or loaded (and evaluated once), then frozen; sets
     * {@link #teacherPredictions}, against which every later model's fidelity is measured.
     */
    Network teacher(Offline offline, NDManager root) throws IOException {
        var ts = config.teacher();
        Network teacher;
        if (ts.load() != null) {
            listener.onMessage("loading teacher from " + ts.load());
            teacher = Network.load(Path.of(ts.load()), ts.model(), root);
            teacher.save(runDir.resolve("teacher.model"));
            if (done("teacher") == null) {
                evaluated("teacher", "teacher", "none", teacher, true, TrainingProgress.start(), null, root);
            }
        } else {
            teacher = trainOrResume(offline, root, "teacher", "teacher", new org.distill4j.method.NoDistillation(),
                    ts.model(), ts.train(), null, null);
        }
        teacher.freeze(); // it only answers from here on, whether live or through the store
        teacherPredictions = new Predictions[] {Predictions.of(teacher, train, root), Predictions.of(teacher, test, root)};
        return teacher;
    }

    /**
     * Binds a throwaway instance of {@code method}'s loss to freshly built networks of both
     * architectures (tap shapes do not depend on weights), so an incompatible or missing tap fails
     * before anything trains; {@code link} (e.g. "stage 2", "assistant1 → student") prefixes the
     * error. Returns the bound instance: a loss may choose its taps in bind() (e.g. default
     * pairs), so only a bound loss can say which teacher taps to store. Building networks draws
     * from the engine's generator; every phase reseeds.
     */
    DistillationLoss checkTaps(String link, MethodSpec method, ModelSpec studentSpec, ModelSpec teacherSpec,
            NDManager root) {
        DistillationLoss probe = method.objective();
        if (!probe.needsTeacher()) {
            return probe;
        }
        try (Network student = Network.create(studentSpec, train.sampleShape(), train.numClasses(), root);
                Network teacher = Network.create(teacherSpec, train.sampleShape(), train.numClasses(), root);
                Adapters scratch = new Adapters(root)) {
            probe.bind(new org.distill4j.loss.Binding(student.tapShapes("student"), teacher.tapShapes("teacher"),
                    train.size(), train.idBound(), scratch));
        } catch (org.distill4j.model.TapException e) {
            throw new org.distill4j.model.TapException(link + ": " + e.getMessage());
        }
        return probe;
    }

    /**
     * The knowledge of {@code teacher} for a network trained with {@code trainSpec}: stored once in
     * {@code knowledge/<teacherName>.safetensors} (logits and {@code taps}, the teacher taps of
     * losses bound by {@link #checkTaps}) and read by sample id, unless the config asks for a live
     * teacher ({@code student.knowledge: live}) or the inputs are augmented (stored outputs would
     * not match what the learner sees). Stored taps keep the teacher's network order: the store
     * hands its shapes back in that order, and losses that pair taps by depth bind against them.
     */
    KnowledgeSource knowledge(Network teacher, String teacherName, TrainSpec trainSpec,
            java.util.Collection<String> taps, NDManager root) throws IOException {
        if (trainSpec.augment().active()) {
            listener.onMessage("data augmentation is on: " + teacherName + " runs live on every augmented batch "
                    + "(stored outputs would not match the inputs)");
            return new org.distill4j.knowledge.LiveTeacher(teacher);
        }
        if (config.student().knowledge() == org.distill4j.config.StudentSpec.KnowledgeMode.LIVE) {
            return new org.distill4j.knowledge.LiveTeacher(teacher);
        }
        List<String> stored = org.distill4j.knowledge.KnowledgeStore.tapsToStore(teacher, taps);
        String preprocessing = "normalise(mean=" + Dataset.MEAN + ",std=" + Dataset.STD + ");shape="
                + java.util.Arrays.toString(train.sampleShape()) + ";augment=none";
        return org.distill4j.knowledge.KnowledgeStore.openOrBuild(
                runDir.resolve("knowledge").resolve(teacherName + ".safetensors"), teacher, train, stored,
                preprocessing, root, listener::onMessage);
    }

    /** The saved network of a phase finished before an interruption, its digest checked against the record. */
    Network loadFinished(String name, ModelSpec spec, NDManager root) throws IOException {
        Path file = runDir.resolve(name + ".model");
        Network net = Network.load(file, spec, root);
        if (!net.weightsDigest().equals(done(name).weightsDigest())) {
            net.close();
            throw new IOException(file + " does not match the network this run trained (digest differs); "
                    + "it was modified or replaced: start the run again");
        }
        listener.onMessage(name + ": finished before the interruption, loaded " + file.getFileName());
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

package org.distill4j.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Latency;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.HtmlReport;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
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
 * One run of a {@link RunConfig}, start to finish: carve the validation split, train (or load)
 * the teacher, train the student with the configured method and, when asked, the same student
 * from the same initial weights without distillation; evaluate every model (accuracy,
 * fidelity on train and test, calibration, size, latency) and write {@code record.json},
 * {@code report.html} and the networks into the run directory.
 *
 * <p>A run checkpoints into {@code <run>/checkpoints}. Running again on a directory that has
 * checkpoints resumes from the newest: finished phases are loaded from their saved networks
 * (digests checked), the phase in progress continues from its exact position, and the record
 * ends identical to an uninterrupted run's except for wall-clock timings.
 */
public final class Experiment {
    /** distill4j's version, recorded in every run. */
    public static final String VERSION = "0.1.0";
    private static final int ECE_BINS = 15;

    private final RunConfig config;
    private final FashionMnist.Splits data;
    private final Path runDir;
    private final TrainListener listener;
    private boolean acceptConfigChange;

    public Experiment(RunConfig config, FashionMnist.Splits data, Path runDir, TrainListener listener) {
        this.config = config;
        this.data = data;
        this.runDir = runDir;
        this.listener = listener;
    }

    /** Resume even if the checkpoints were written under another config. */
    public Experiment acceptingConfigChange(boolean accept) {
        this.acceptConfigChange = accept;
        return this;
    }

    public RunRecord run() throws IOException {
        long start = System.nanoTime();
        DataSpec ds = config.data();
        Dataset all = ds.trainLimit() > 0 ? data.train().head(Math.min(ds.trainLimit(), data.train().size())) : data.train();
        Dataset test = ds.testLimit() > 0 ? data.test().head(Math.min(ds.testLimit(), data.test().size())) : data.test();
        Dataset.Split split = all.split(ds.validation(), Seeds.derive(config.seed(), "split"));
        Dataset train = split.train();
        Dataset validation = split.validation();

        String digest = config.digest();
        CheckpointStore store = new CheckpointStore(runDir.resolve("checkpoints"), digest, config.checkpoint().keepLast());
        store.warnings().forEach(listener::onMessage);
        CheckpointStore.Loaded resume = store.latest();
        List<ModelResult> completed = new ArrayList<>();
        if (resume != null) {
            if (!resume.configDigest().equals(digest) && !acceptConfigChange) {
                throw new ConfigDriftException("the checkpoints in " + runDir + " were written with another config "
                        + "(digest " + resume.configDigest().substring(0, 12) + "…, now " + digest.substring(0, 12)
                        + "…); resume with the original config, or accept the change explicitly");
            }
            store.protect(resume.file());
            for (JsonNode m : resume.meta().path("completed")) {
                completed.add(CheckpointStore.JSON.treeToValue(m, ModelResult.class));
            }
            listener.onMessage("resuming from " + resume.file().getFileName() + " (phase "
                    + resume.meta().path("phase").asText() + ")");
        }
        Phases phases = new Phases(train, validation, test, store, resume, completed);

        try (NDManager root = NDManager.newBaseManager()) {
            Offline offline = new Offline(root, listener);
            var ts = config.teacher();
            var ss = config.student();
            List<MethodSpec> methods = new ArrayList<>();
            if (ss.baseline() && !(ss.method() instanceof NoDistillation)) {
                methods.add(new NoDistillation());
            }
            methods.add(ss.method());
            // Tap shapes do not depend on weights: an untrained teacher of the configured architecture
            // lets a wrong tap fail now, before the teacher trains.
            try (Network probe = Network.create(ts.model(), train.sampleShape(), train.numClasses(), root)) {
                for (MethodSpec method : methods) {
                    checkTaps(method, probe, train, root);
                }
            }
            Network teacher;
            if (ts.load() != null) {
                listener.onMessage("loading teacher from " + ts.load());
                teacher = Network.load(Path.of(ts.load()), ts.model(), root);
                teacher.save(runDir.resolve("teacher.model"));
                if (phases.done("teacher") == null) {
                    phases.evaluated("teacher", "teacher", "none", teacher, true, TrainingProgress.start(), null, root);
                }
            } else {
                teacher = phases.trainOrResume(offline, root, "teacher", "teacher", new NoDistillation(), ts.model(),
                        ts.train(), null, null);
            }
            teacher.freeze(); // it only answers from here on, whether live or through the store
            Predictions teacherTrain = Predictions.of(teacher, train, root);
            Predictions teacherTest = Predictions.of(teacher, test, root);
            phases.teacherPredictions = new Predictions[] {teacherTrain, teacherTest};

            for (MethodSpec method : methods) {
                DistillationLoss loss = method.loss();
                KnowledgeSource source = loss.needsTeacher() ? knowledge(teacher, train, loss, root) : null;
                try (Network student = phases.trainOrResume(offline, root, "student-" + method.name(), "student", method,
                        ss.model(), ss.train(), source, teacher)) {
                    // closed here; its results are recorded
                }
            }
            Map<String, String> versions = new LinkedHashMap<>();
            versions.put("distill4j", VERSION);
            versions.put("djl", Engine.getDjlVersion());
            versions.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
            versions.put("java", System.getProperty("java.version"));
            Map<String, String> digests = new LinkedHashMap<>();
            digests.put("train", train.digest());
            digests.put("validation", validation.digest());
            digests.put("test", test.digest());
            Map<String, Integer> sizes = new LinkedHashMap<>();
            sizes.put("train", train.size());
            sizes.put("validation", validation.size());
            sizes.put("test", test.size());
            RunRecord record = new RunRecord(RunRecord.FORMAT_VERSION, runDir.getFileName().toString(),
                    Instant.now().toString(), versions, config.seed(), config, digests, sizes, teacher.weightsDigest(),
                    List.copyOf(completed), (System.nanoTime() - start) / 1e9);
            teacher.close();
            record.write(runDir.resolve("record.json"));
            HtmlReport.write(record, runDir.resolve("report.html"));
            return record;
        }
    }

    /**
     * Binds a throwaway instance of the method's loss to the student's and teacher's taps, so an
     * incompatible or missing tap fails now, before the knowledge store is built or anything
     * trains. (Building a network here draws from the engine's generator; every phase reseeds.)
     */
    private void checkTaps(MethodSpec method, Network teacher, Dataset train, NDManager root) {
        DistillationLoss probe = method.loss();
        if (!probe.needsTeacher()) {
            return;
        }
        try (Network student = Network.create(config.student().model(), train.sampleShape(), train.numClasses(), root);
                org.distill4j.loss.Adapters scratch = new org.distill4j.loss.Adapters(root)) {
            probe.bind(new org.distill4j.loss.Binding(student.tapShapes("student"), teacher.tapShapes("teacher"),
                    train.size(), train.idBound(), scratch));
        }
    }

    /**
     * The teacher's knowledge for a distilling student: stored once and read by sample id, unless
     * the config asks for a live teacher or the inputs are augmented (then stored outputs would
     * not match what the student sees, so the teacher runs on every batch).
     */
    private KnowledgeSource knowledge(Network teacher, Dataset train, DistillationLoss loss, NDManager root)
            throws IOException {
        var ss = config.student();
        if (ss.train().augment().active()) {
            listener.onMessage("data augmentation is on: the teacher runs live on every augmented batch "
                    + "(stored outputs would not match the inputs)");
            return new LiveTeacher(teacher);
        }
        if (ss.knowledge() == org.distill4j.config.StudentSpec.KnowledgeMode.LIVE) {
            return new LiveTeacher(teacher);
        }
        List<String> taps = new ArrayList<>(List.of(org.distill4j.model.Outputs.LOGITS));
        loss.teacherTaps().stream().filter(t -> !taps.contains(t)).sorted().forEach(taps::add);
        String preprocessing = "normalise(mean=" + Dataset.MEAN + ",std=" + Dataset.STD + ");shape="
                + java.util.Arrays.toString(train.sampleShape()) + ";augment=none";
        return KnowledgeStore.openOrBuild(runDir.resolve("knowledge").resolve("teacher.safetensors"), teacher, train,
                taps, preprocessing, root, listener::onMessage);
    }

    /** Runs the phases in order, skipping finished ones and resuming the one in progress. */
    private final class Phases {
        final Dataset train;
        final Dataset validation;
        final Dataset test;
        final CheckpointStore store;
        final CheckpointStore.Loaded resume;
        final List<ModelResult> completed;
        Predictions[] teacherPredictions;
        Path lastCheckpoint;

        Phases(Dataset train, Dataset validation, Dataset test, CheckpointStore store, CheckpointStore.Loaded resume,
                List<ModelResult> completed) {
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
                    public void adapters(org.distill4j.loss.Adapters adapters) throws IOException {
                        from.restoreAdapters(adapters);
                    }

                    @Override
                    public void optimizer(Optimizer optimizer) throws IOException {
                        from.restoreOptimizer(optimizer);
                    }
                };
            }
            DistillationLoss loss = method.loss();
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
            evaluated(name, role, method.name(), net, false, end, teacherNet, root);
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
                public void save(String phase, Network student, org.distill4j.loss.Adapters adapters,
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
}

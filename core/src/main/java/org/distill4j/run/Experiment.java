package org.distill4j.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
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
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Latency;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.report.HtmlReport;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.Offline;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;

/**
 * One run of a {@link RunConfig}, start to finish: carve the validation split, train (or load)
 * the teacher, train the student with the configured method and, when asked, the same student
 * from the same initial weights without distillation; evaluate every model (accuracy,
 * fidelity on train and test, calibration, size, latency) and write {@code record.json},
 * {@code report.html} and the networks into the run directory.
 */
public final class Experiment {
    /** distill4j's version, recorded in every run. */
    public static final String VERSION = "0.1.0";
    private static final int ECE_BINS = 15;

    private final RunConfig config;
    private final FashionMnist.Splits data;
    private final Path runDir;
    private final TrainListener listener;

    public Experiment(RunConfig config, FashionMnist.Splits data, Path runDir, TrainListener listener) {
        this.config = config;
        this.data = data;
        this.runDir = runDir;
        this.listener = listener;
    }

    public RunRecord run() throws IOException {
        long start = System.nanoTime();
        DataSpec ds = config.data();
        Dataset all = ds.trainLimit() > 0 ? data.train().head(Math.min(ds.trainLimit(), data.train().size())) : data.train();
        Dataset test = ds.testLimit() > 0 ? data.test().head(Math.min(ds.testLimit(), data.test().size())) : data.test();
        Dataset.Split split = all.split(ds.validation(), Seeds.derive(config.seed(), "split"));
        Dataset train = split.train();
        Dataset validation = split.validation();
        long[] shape = train.sampleShape();
        int classes = train.numClasses();

        List<ModelResult> results = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager()) {
            Offline offline = new Offline(root, listener);
            var ts = config.teacher();
            Network teacher;
            List<EpochSummary> teacherHistory = List.of();
            double teacherSeconds = 0;
            if (ts.load() != null) {
                listener.onMessage("loading teacher from " + ts.load());
                teacher = Network.load(Path.of(ts.load()), ts.model(), root);
            } else {
                Seeds.apply(Seeds.derive(config.seed(), "teacher"));
                teacher = Network.create(ts.model(), shape, classes, root);
                long t0 = System.nanoTime();
                teacherHistory = offline.train("teacher", teacher, ts.train(), new NoDistillation().loss(), null,
                        train, validation, Seeds.derive(config.seed(), "teacher-shuffle"));
                teacherSeconds = (System.nanoTime() - t0) / 1e9;
            }
            teacher.save(runDir.resolve("teacher.model"));
            listener.onMessage("evaluating teacher");
            Predictions teacherTrain = Predictions.of(teacher, train, root);
            Predictions teacherTest = Predictions.of(teacher, test, root);
            results.add(result("teacher", "teacher", "none", teacher, ts.load() != null, teacherSeconds,
                    teacherHistory, evaluate(teacher, train, test, null, null, root)));
            LiveTeacher live = new LiveTeacher(teacher);

            var ss = config.student();
            List<MethodSpec> methods = new ArrayList<>();
            if (ss.baseline() && !(ss.method() instanceof NoDistillation)) {
                methods.add(new NoDistillation());
            }
            methods.add(ss.method());
            for (MethodSpec method : methods) {
                String name = "student-" + method.name();
                // Same initial weights and same batch order for every student: only the method differs.
                Seeds.apply(Seeds.derive(config.seed(), "student"));
                try (Network student = Network.create(ss.model(), shape, classes, root)) {
                    var loss = method.loss();
                    long t0 = System.nanoTime();
                    List<EpochSummary> history = offline.train(name, student, ss.train(), loss,
                            loss.needsTeacher() ? live : null, train, validation,
                            Seeds.derive(config.seed(), "student-shuffle"));
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    student.save(runDir.resolve(name + ".model"));
                    listener.onMessage("evaluating " + name);
                    results.add(result(name, "student", method.name(), student, false, seconds, history,
                            evaluate(student, train, test, teacherTrain, teacherTest, root)));
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
                    results, (System.nanoTime() - start) / 1e9);
            teacher.close();
            record.write(runDir.resolve("record.json"));
            HtmlReport.write(record, runDir.resolve("report.html"));
            return record;
        }
    }

    private ModelResult result(String name, String role, String method, Network net, boolean loaded, double seconds,
            List<EpochSummary> history, ModelMetrics metrics) {
        return new ModelResult(name, role, method, net.spec().describe(), net.parameterCount(),
                net.parameterCount() * Float.BYTES, net.weightsDigest(), name + ".model", loaded, seconds, history,
                metrics);
    }

    private ModelMetrics evaluate(Network net, Dataset train, Dataset test, Predictions teacherTrain,
            Predictions teacherTest, NDManager root) {
        Predictions onTest = Predictions.of(net, test, root);
        Double agreeTrain = null;
        Double agreeTest = null;
        Double klTrain = null;
        Double klTest = null;
        if (teacherTest != null) {
            Predictions onTrain = Predictions.of(net, train, root);
            agreeTrain = Metrics.agreement(teacherTrain, onTrain);
            klTrain = Metrics.klDivergence(teacherTrain, onTrain);
            agreeTest = Metrics.agreement(teacherTest, onTest);
            klTest = Metrics.klDivergence(teacherTest, onTest);
        }
        listener.onMessage("timing " + net.spec().describe());
        return new ModelMetrics(Metrics.accuracy(onTest, test.labels()), Metrics.crossEntropy(onTest, test.labels()),
                Metrics.expectedCalibrationError(onTest, test.labels(), ECE_BINS), agreeTrain, agreeTest, klTrain,
                klTest, Latency.millisPerSample(net, root, 1, 200), Latency.millisPerSample(net, root, 256, 10));
    }
}

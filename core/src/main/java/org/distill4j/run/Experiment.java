package org.distill4j.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
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
import org.distill4j.io.Provenance;
import org.distill4j.io.ProvenanceException;
import org.distill4j.report.HtmlReport;
import org.distill4j.report.Sitting;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.FaultInjection;
import org.distill4j.train.RunContext;
import org.distill4j.train.EngineThreads;
import org.distill4j.train.Seeds;
import org.distill4j.train.StopRequest;
import org.distill4j.train.TrainListener;

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
    /** The record a finished run leaves in its directory. */
    public static final String RECORD = "record.json";

    private final RunConfig config;
    private final RunData data;
    private final Path runDir;
    private final TrainListener listener;
    private boolean acceptConfigChange;
    private boolean acceptDataChange;
    private boolean acceptTeacherChange;
    private final List<String> accepted = new ArrayList<>();
    private StopRequest stop = StopRequest.NONE;
    private Map<String, String> dataFiles = Map.of();
    private java.nio.file.Path dataDir;

    public Experiment(RunConfig config, FashionMnist.Splits data, Path runDir, TrainListener listener) {
        this(config, RunData.of(data), runDir, listener);
    }

    /** A run on any data: Fashion-MNIST or a source of the user's own ({@link RunData#load}). */
    public Experiment(RunConfig config, RunData data, Path runDir, TrainListener listener) {
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

    /** Resume even if the data or its preprocessing differ from what the checkpoints were made with. */
    public Experiment acceptingDataChange(boolean accept) {
        this.acceptDataChange = accept;
        return this;
    }

    /** Resume even if a loaded teacher's weights differ from those the checkpoints were made with. */
    public Experiment acceptingTeacherChange(boolean accept) {
        this.acceptTeacherChange = accept;
        return this;
    }

    /** Notes a change the caller accepted (e.g. the config keys that changed), recorded with this sitting. */
    public Experiment noting(String acceptedChange) {
        accepted.add(acceptedChange);
        return this;
    }

    /**
     * The directory the data was read from: the digests of its files join the run's provenance,
     * so a change is named by file.
     */
    public Experiment dataFrom(java.nio.file.Path dir) {
        this.dataFiles = FashionMnist.fileDigests(dir);
        this.dataDir = dir;
        return this;
    }

    /**
     * Adds the digests of the files the data was read from to the run's provenance when they are
     * Fashion-MNIST's four (see {@link #dataFrom}); other sources are known by their splits' digests.
     */
    public Experiment recordingDataFiles() {
        return DataSpec.FASHION_MNIST.equals(data.source()) && data.origin() != null
                ? dataFrom(Path.of(data.origin())) : this;
    }

    /** The stop request the run obeys at step boundaries (e.g. set by a signal handler). */
    public Experiment stoppedBy(StopRequest request) {
        this.stop = request;
        return this;
    }

    /**
     * The training and validation sets a run of {@code config} on {@code data} uses: the first
     * {@code data.trainLimit} training samples (all when 0), split by the run's seed. Whoever
     * computes a run's teacher knowledge elsewhere (the Spark job) computes it on this training set.
     */
    public static Dataset.Split trainingSplit(RunConfig config, RunData data) {
        DataSpec ds = config.data();
        Dataset all = ds.trainLimit() > 0 ? data.train().head(Math.min(ds.trainLimit(), data.train().size())) : data.train();
        return all.split(ds.validation(), Seeds.derive(config.seed(), "split"));
    }

    public RunRecord run() throws IOException {
        long start = System.nanoTime();
        String startedAt = Instant.now().toString();
        data.checkModels(config); // a CNN on feature vectors fails here, before anything is written
        DataSpec ds = config.data();
        Dataset test = ds.testLimit() > 0 ? data.test().head(Math.min(ds.testLimit(), data.test().size())) : data.test();
        Dataset.Split split = trainingSplit(config, data);
        Dataset train = split.train();
        Dataset validation = split.validation();

        String digest = config.digest();
        // Per-run state: fault-injection settings and counters are read now and belong to this run.
        FaultInjection faults = FaultInjection.fromSystemProperties();
        CheckpointStore store = new CheckpointStore(runDir.resolve("checkpoints"), digest, config.checkpoint().keepLast(),
                faults);
        store.warnings().forEach(listener::onMessage);
        CheckpointStore.Loaded resume = store.latest();
        if (resume != null) {
            if (!resume.configDigest().equals(digest) && !acceptConfigChange) {
                throw new ConfigDriftException("the checkpoints in " + runDir + " were written with another config "
                        + "(digest " + resume.configDigest().substring(0, 12) + "…, now " + digest.substring(0, 12)
                        + "…); resume with the original config, or accept the change explicitly");
            }
            if (!resume.configDigest().equals(digest)) {
                accepted.add("config (" + Provenance.abbrev(resume.configDigest()) + " → " + Provenance.abbrev(digest)
                        + ")");
            }
            Map<String, String> dataDigests = new LinkedHashMap<>(Map.of("train", train.digest(), "validation",
                    validation.digest(), "test", test.digest()));
            dataDigests.putAll(dataFiles);
            Provenance now = new Provenance(dataDigests, RunContext.preprocessing(data.preprocessing(), train), null, digest);
            List<Provenance.Difference> data = now.differences(resume.meta().provenance()).stream()
                    .filter(Provenance.Difference::isData).toList();
            if (!data.isEmpty()) {
                if (!acceptDataChange) {
                    throw new ProvenanceException("the checkpoints in " + runDir + " were made from other data"
                            + (dataDir == null ? "" : " than " + dataDir + " holds") + ": "
                            + data.stream().map(Object::toString).collect(java.util.stream.Collectors.joining(", "))
                            + "; resume with the original data (--data DIR), or pass --accept-data-change", data);
                }
                data.forEach(d -> accepted.add(d.toString()));
                listener.onMessage("resuming with changed data: "
                        + data.stream().map(Object::toString).collect(java.util.stream.Collectors.joining(", ")));
            }
            store.protect(resume.file());
            java.nio.file.Path done = runDir.resolve(RECORD);
            if (java.nio.file.Files.exists(done)) {
                RunRecord finished = RunRecord.read(done);
                listener.onMessage(runDir + " finished already (" + done + ", " + finished.models().size()
                        + " models, " + Math.max(1, finished.sittings().size())
                        + " sitting(s)): nothing to resume, nothing changed");
                return finished;
            }
            listener.onMessage("resuming from " + resume.file().getFileName() + " (phase " + resume.meta().phase() + ")");
            List<Sitting> earlier = resume.meta().sittings();
            EngineThreads was = earlier.isEmpty() ? null : earlier.get(earlier.size() - 1).threads();
            EngineThreads as = EngineThreads.resumeWith(was);
            if (as != null) {
                listener.onMessage("training with " + as.describe() + ", as the run started");
            } else if (was != null && was.intraOp() != EngineThreads.inEffect().intraOp()) {
                listener.onMessage("the run started with " + was.intraOp() + " intra-op threads and continues with "
                        + EngineThreads.inEffect().intraOp() + ": the resumed part may differ from an uninterrupted "
                        + "run in the last bits");
            }
        }
        EngineThreads threads = EngineThreads.inEffect();

        try (NDManager root = NDManager.newBaseManager()) {
            List<Sitting> before = resume == null ? List.of() : resume.meta().sittings();
            String from = resume == null ? null : resume.file().getFileName().toString();
            java.util.function.DoubleFunction<List<Sitting>> sittings = seconds -> {
                List<Sitting> list = new ArrayList<>(before);
                list.add(new Sitting(startedAt, seconds, from, accepted, threads));
                return list;
            };
            RunContext ctx = new RunContext(config, runDir, listener, train, validation, test, store, resume, root,
                    faults).withRunState(() -> sittings.apply((System.nanoTime() - start) / 1e9), stop,
                    acceptTeacherChange).withDataFiles(dataFiles);
            ctx.normalisedAs(data.preprocessing()).withNormalisation(data.normalisation());
            // The scheme runs its phases through the context; no scheme is named here.
            JsonNode schemeResults = config.scheme().run(ctx);
            String teacherDigest = ctx.teacherDigest();
            List<ModelResult> completed = ctx.completed();
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
            ctx.accepted().forEach(a -> {
                if (!accepted.contains(a)) {
                    accepted.add(a);
                }
            });
            List<Sitting> sat = sittings.apply((System.nanoTime() - start) / 1e9);
            double total = sat.stream().mapToDouble(Sitting::seconds).sum();
            RunRecord record = new RunRecord(RunRecord.FORMAT_VERSION, runDir.getFileName().toString(),
                    Instant.now().toString(), versions, config.seed(), config, digests, sizes, teacherDigest,
                    List.copyOf(completed), total, schemeResults, ctx.provenance(), sat,
                    new RunRecord.DataInfo(data.source(), data.origin(), data.normalisation()));
            writeModelSidecars(record);
            // the record last: it marks the run finished, so a failure before it (a full disk) is resumed
            HtmlReport.write(record, runDir.resolve("report.html"));
            record.write(runDir.resolve(RECORD));
            return record;
        }
    }

    /**
     * Writes {@code <model>.model.json} beside each saved network: its architecture, input shape,
     * the data source and normalisation (statistics and class names) — what applying it to new
     * inputs needs.
     */
    private void writeModelSidecars(RunRecord record) throws IOException {
        for (ModelResult m : record.models()) {
            if (m.file() == null || !java.nio.file.Files.exists(runDir.resolve(m.file()))) {
                continue;
            }
            Map<String, Object> side = new LinkedHashMap<>();
            side.put("model", m.name());
            side.put("architecture", m.architecture());
            side.put("weightsDigest", m.weightsDigest());
            side.put("source", data.source());
            side.put("normalisation", data.normalisation());
            org.distill4j.io.AtomicFile.write(runDir.resolve(m.file() + ".json"),
                    out -> RunRecord.JSON.writeValue(out, side));
        }
    }
}

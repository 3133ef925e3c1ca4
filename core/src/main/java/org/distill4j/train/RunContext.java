package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.distill4j.config.RunConfig;
import org.distill4j.io.Provenance;
import org.distill4j.report.Sitting;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.metric.Latency;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Normalisation;
import org.distill4j.model.ImportedModel;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Quantization;
import org.distill4j.model.QuantizedNetwork;
import org.distill4j.model.TapShapes;
import org.distill4j.model.TapException;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;

/**
 * What every scheme's phases share within one run: the data splits, the run directory and its
 * checkpoints, the models finished so far, the teacher against which fidelity is measured. It
 * runs a phase through the one {@link Loop} with the run's listeners (validation, fault
 * injection, the non-finite guard, checkpoints, progress), resuming it from the checkpoint when
 * the run was interrupted in it, skipping it (loading its saved network, digest checked) when it
 * finished before; and it evaluates each finished network into a {@link ModelResult} (accuracy,
 * fidelity to the teacher on train and test, calibration, size, latency).
 */
public final class RunContext {
    /** Bins of the expected calibration error. */
    public static final int ECE_BINS = 15;

    /**
     * One network trained alone in a phase of its own — the common case (a teacher, an offline
     * student, a stage, a generation).
     *
     * @param name the phase, the result and the file ({@code <name>.model})
     * @param role names the seeds of its initial weights and batch order: equal roles, equal
     *     starting weights and batches (every student of an offline run has the role "student")
     * @param method the method name recorded with the result
     * @param objective what it minimises
     * @param model its architecture
     * @param train its schedule
     * @param sources its teachers' knowledge by teacher name (empty: none); one teacher is
     *     {@link org.distill4j.knowledge.Knowledge#TEACHER}
     * @param fidelity measure its agreement with the run's teacher ({@link #fidelityReference})
     * @param startFrom the network whose weights it starts from instead of a fresh initialisation
     * @param rates a learning-rate schedule replacing {@code train}'s (null: the spec's)
     * @param hooks listeners of its phase, called before the checkpoint at each epoch end
     * @param quantized train it quantised ({@link QuantizedTraining}) and ship it as
     *     {@code <name>.qmodel} (null: full precision)
     */
    public record Solo(String name, String role, String method, DistillationLoss objective, ModelSpec model,
            TrainSpec train, Map<String, KnowledgeSource> sources, boolean fidelity, Network startFrom,
            Participant.Rates rates, List<LoopListener> hooks, Quantization quantized) {
        public Solo {
            hooks = hooks == null ? List.of() : List.copyOf(hooks);
            sources = sources == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        }

        public static Solo of(String name, String role, String method, DistillationLoss objective, ModelSpec model,
                TrainSpec train) {
            return new Solo(name, role, method, objective, model, train, null, false, null, null, List.of(), null);
        }

        /** Taught by one teacher ({@code s} null: none). */
        public Solo taughtBy(KnowledgeSource s) {
            return taughtBy(s == null ? Map.of() : Map.of(org.distill4j.knowledge.Knowledge.TEACHER, s));
        }

        /** Taught by several teachers, by name in the order the objective's knowledge lists them. */
        public Solo taughtBy(Map<String, KnowledgeSource> s) {
            return new Solo(name, role, method, objective, model, train, s, fidelity, startFrom, rates, hooks, quantized);
        }

        public Solo withFidelity(boolean f) {
            return new Solo(name, role, method, objective, model, train, sources, f, startFrom, rates, hooks, quantized);
        }

        public Solo startingFrom(Network n) {
            return new Solo(name, role, method, objective, model, train, sources, fidelity, n, rates, hooks, quantized);
        }

        public Solo withRates(Participant.Rates r) {
            return new Solo(name, role, method, objective, model, train, sources, fidelity, startFrom, r, hooks,
                    quantized);
        }

        public Solo withHook(LoopListener hook) {
            List<LoopListener> more = new ArrayList<>(hooks);
            more.add(hook);
            return new Solo(name, role, method, objective, model, train, sources, fidelity, startFrom, rates, more,
                    quantized);
        }

        /** Trained quantised ({@code q}) with shadow weights, shipped packed; null: full precision. */
        public Solo quantizedAs(Quantization q) {
            return new Solo(name, role, method, objective, model, train, sources, fidelity, startFrom, rates, hooks, q);
        }
    }

    private final RunConfig config;
    private final Path runDir;
    private final TrainListener listener;
    private final Dataset train;
    private final Dataset validation;
    private final Dataset test;
    private final CheckpointStore store;
    private final CheckpointStore.Loaded resume;
    private final List<ModelResult> completed;
    private final NDManager root;
    private final FaultInjection faults;
    /** PyTorch's profile of some steps, when {@code -Ddistill4j.profile} asks for one (null otherwise). */
    private final NativeProfile profile;
    private Predictions[] teacherPredictions;
    /** The network and training set {@link #teacherPredictions} were computed from (null: given, not computed here). */
    private InferenceModel predictedBy;
    private Dataset predictedOn;
    private Path lastCheckpoint;
    private String teacherDigest;
    private Provenance provenance;
    private Supplier<List<Sitting>> sittings = List::of;
    private StopRequest stop = StopRequest.NONE;
    private boolean acceptTeacherChange;
    private final List<String> accepted = new ArrayList<>();
    /** How the data was normalised, as named in knowledge stores (Fashion-MNIST's constants unless told). */
    private String normalisation = "normalise(mean=" + Dataset.MEAN + ",std=" + Dataset.STD + ")";
    /** The statistics behind it: what an imported teacher undoes to recover the raw inputs. */
    private Normalisation inputs;
    /** The tap shapes of imported teachers, found once per spec by {@link #checkTaps}. */
    private final Map<TeacherSpec, TapShapes> importedShapes = new java.util.HashMap<>();

    public RunContext(RunConfig config, Path runDir, TrainListener listener, Dataset train, Dataset validation,
            Dataset test, CheckpointStore store, CheckpointStore.Loaded resume, NDManager root, FaultInjection faults) {
        this.config = config;
        this.runDir = runDir;
        this.listener = listener;
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.store = store;
        this.resume = resume;
        this.completed = new ArrayList<>(resume == null ? List.of() : resume.meta().completed());
        this.root = root;
        this.faults = faults;
        this.profile = NativeProfile.fromSystemProperties();
        this.lastCheckpoint = store.latestFile();
        this.provenance = new Provenance(java.util.Map.of("train", train.digest(), "validation", validation.digest(),
                "test", test.digest()), preprocessing(train), null, config.digest());
    }

    /** A view of {@code base} on other data (see {@link #on}): everything else is shared. */
    private RunContext(RunContext base, Dataset train, Dataset validation, Dataset test) {
        this.config = base.config;
        this.runDir = base.runDir;
        this.listener = base.listener;
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.store = base.store;
        this.resume = base.resume;
        this.completed = base.completed; // one record: results of the view are the run's
        this.root = base.root;
        this.faults = base.faults;
        this.profile = base.profile;
        this.lastCheckpoint = base.lastCheckpoint;
        this.teacherPredictions = base.teacherPredictions;
        this.predictedBy = base.predictedBy;
        this.predictedOn = base.predictedOn;
        this.teacherDigest = base.teacherDigest;
        this.provenance = base.provenance;
        this.sittings = base.sittings;
        this.stop = base.stop;
        this.acceptTeacherChange = base.acceptTeacherChange;
        this.normalisation = base.normalisation;
        this.inputs = base.inputs;
    }

    /**
     * The same run on other data of the same samples' kind: a scheme that trains some networks on
     * another view or part of the data (a cross-modal student on its modality, a lifelong task on
     * its classes) trains, saves, resumes and evaluates them through this view, whose
     * {@link #train(Solo)}, {@link #create} and {@link #evaluated} use {@code train},
     * {@code validation} and {@code test}. The record, checkpoints, run directory and fidelity
     * reference (as set so far) are the run's.
     */
    public RunContext on(Dataset onTrain, Dataset onValidation, Dataset onTest) {
        return new RunContext(this, onTrain, onValidation, onTest);
    }

    /** The preprocessing of a run's inputs, as provenance and knowledge stores record it. */
    public static String preprocessing(Dataset train) {
        return preprocessing("normalise(mean=" + Dataset.MEAN + ",std=" + Dataset.STD + ")", train);
    }

    /** The preprocessing key for inputs normalised as {@code normalisation} (e.g. {@code RunData.preprocessing()}). */
    public static String preprocessing(String normalisation, Dataset train) {
        return normalisation + ";shape=" + java.util.Arrays.toString(train.sampleShape()) + ";augment=none";
    }

    /**
     * Sets what the run's checkpoints record besides the state: its sittings so far (the current
     * one last), the stop request the loop obeys, and whether a loaded teacher whose weights
     * differ from those the checkpoints were made with is accepted.
     */
    public RunContext withRunState(Supplier<List<Sitting>> runSittings, StopRequest stopRequest,
            boolean acceptTeacher) {
        this.sittings = runSittings;
        this.stop = stopRequest;
        this.acceptTeacherChange = acceptTeacher;
        return this;
    }

    /** Adds the digests of the data's source files (e.g. "file train-labels-idx1-ubyte.gz") to the provenance. */
    public RunContext withDataFiles(java.util.Map<String, String> files) {
        java.util.Map<String, String> data = new java.util.LinkedHashMap<>(provenance.data());
        data.putAll(files);
        provenance = new Provenance(data, provenance.preprocessing(), provenance.teacher(), provenance.config());
        return this;
    }

    /** What the run is made from so far (the teacher's digest once it is known). */
    public Provenance provenance() {
        return provenance;
    }

    /** The changes accepted while the run went on (e.g. a loaded teacher that changed). */
    public List<String> accepted() {
        return List.copyOf(accepted);
    }

    /**
     * Names the data's normalisation (e.g. {@code RunData.preprocessing()}) in the knowledge
     * stores' preprocessing key; the default names Fashion-MNIST's constants.
     */
    public RunContext normalisedAs(String preprocessing) {
        this.normalisation = java.util.Objects.requireNonNull(preprocessing, "preprocessing");
        provenance = new Provenance(provenance.data(), preprocessing(preprocessing, train), provenance.teacher(),
                provenance.config());
        return this;
    }

    /**
     * The statistics the run's inputs were normalised with (e.g. {@code RunData.normalisation()});
     * an imported teacher maps the inputs back to raw values with them. The default is
     * Fashion-MNIST's constants for every channel (or feature) of the training samples.
     */
    public RunContext withNormalisation(Normalisation stats) {
        this.inputs = java.util.Objects.requireNonNull(stats, "stats");
        return this;
    }

    /** The statistics the run's inputs were normalised with (see {@link #withNormalisation}). */
    public Normalisation normalisation() {
        if (inputs == null) {
            long[] shape = train.sampleShape();
            boolean image = shape.length == 3;
            int groups = (int) (image ? shape[0] : java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y));
            List<String> names = java.util.stream.IntStream.range(0, train.numClasses()).mapToObj(String::valueOf)
                    .toList();
            inputs = new Normalisation(image ? Normalisation.Layout.PER_CHANNEL : Normalisation.Layout.PER_FEATURE,
                    java.util.Arrays.stream(image ? shape : new long[] {groups}).boxed().toList(),
                    Collections.nCopies(groups, (double) Dataset.MEAN), Collections.nCopies(groups, (double) Dataset.STD),
                    names);
        }
        return inputs;
    }

    public RunConfig config() {
        return config;
    }

    public long seed() {
        return config.seed();
    }

    public Path runDir() {
        return runDir;
    }

    public Dataset train() {
        return train;
    }

    public Dataset validation() {
        return validation;
    }

    public Dataset test() {
        return test;
    }

    public NDManager root() {
        return root;
    }

    /** A one-line status for the user. */
    public void message(String text) {
        listener.onMessage(text);
    }

    /** The models finished so far, in order. */
    public List<ModelResult> completed() {
        return Collections.unmodifiableList(completed);
    }

    /** The finished model named {@code name}, or null. */
    public ModelResult done(String name) {
        return completed.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
    }

    /** Adds a result computed by a scheme (an ensemble, an exit). */
    public void record(ModelResult result) {
        completed.add(result);
    }

    /** The digest of the run's teacher (null for schemes without one). */
    public String teacherDigest() {
        return teacherDigest;
    }

    /** A network of {@code spec} for this run's data, freshly initialised from the engine's generator. */
    public Network create(ModelSpec spec) {
        return Network.create(spec, train.sampleShape(), train.numClasses(), root);
    }

    /**
     * The network fidelity is measured against from now on (null: none): its predictions on the
     * training and test sets are computed once here.
     */
    public void fidelityReference(InferenceModel teacher) {
        teacherPredictions = teacher == null ? null
                : new Predictions[] {Predictions.of(teacher, train, root), Predictions.of(teacher, test, root)};
        predictedBy = teacher;
        predictedOn = train;
    }

    /** The predictions on the training and test sets fidelity is measured against from now on (an ensemble's). */
    public void fidelityReference(Predictions onTrain, Predictions onTest) {
        teacherPredictions = new Predictions[] {onTrain, onTest};
        predictedBy = null;
        predictedOn = null;
    }

    /**
     * The config's teacher, trained here, loaded or imported (and then evaluated once), frozen;
     * it becomes the fidelity reference. A loaded or imported teacher whose digest differs from
     * the one the run's checkpoints were made with is refused unless the change is accepted.
     */
    public InferenceModel teacher() throws IOException {
        InferenceModel teacher = teacher(org.distill4j.knowledge.Knowledge.TEACHER, config.teacher());
        fidelityReference(teacher);
        teacherDigest = teacher.weightsDigest();
        provenance = provenance.withTeacher(teacherDigest);
        return teacher;
    }

    /**
     * Every teacher of the config by name ({@link RunConfig#teacherSpecs()}), each trained here,
     * loaded or imported, evaluated once and frozen. One teacher is {@link #teacher()}. Several are
     * each a phase (and result) of their own named {@code teacher1 … teacherK}; then the ensemble of
     * their mean probabilities is evaluated as {@code teachers-ensemble} and becomes the fidelity
     * reference, and the run's teacher digest is the SHA-256 of their names and weights digests.
     * The caller closes the models.
     */
    public Map<String, InferenceModel> teachers() throws IOException {
        Map<String, InferenceModel> out = new LinkedHashMap<>();
        if (config.teachers() == null) {
            out.put(org.distill4j.knowledge.Knowledge.TEACHER, teacher());
            return out;
        }
        try {
            for (Map.Entry<String, TeacherSpec> e : config.teacherSpecs().entrySet()) {
                out.put(e.getKey(), teacher(e.getKey(), e.getValue()));
            }
            List<Predictions> onTrain = new ArrayList<>();
            List<Predictions> onTest = new ArrayList<>();
            StringBuilder digests = new StringBuilder();
            for (Map.Entry<String, InferenceModel> e : out.entrySet()) {
                onTrain.add(Predictions.of(e.getValue(), train, root));
                onTest.add(Predictions.of(e.getValue(), test, root));
                digests.append(e.getKey()).append(' ').append(e.getValue().weightsDigest()).append('\n');
            }
            fidelityReference(org.distill4j.metric.Ensemble.meanProbabilities(onTrain),
                    org.distill4j.metric.Ensemble.meanProbabilities(onTest));
            if (done(TEACHERS_ENSEMBLE) == null) {
                completed.add(ensemble(TEACHERS_ENSEMBLE, "teacher", "ensemble", List.copyOf(out.keySet()), onTest));
            }
            teacherDigest = Provenance.sha256(digests.toString());
            provenance = provenance.withTeacher(teacherDigest);
            return out;
        } catch (IOException | RuntimeException e) {
            out.values().forEach(InferenceModel::close);
            throw e;
        }
    }

    /**
     * A text encoder's classification head, fitted on the training split's pooled embeddings (the
     * encoder frozen). The embeddings are kept in {@code text-cache/} beside the run directory, so
     * the runs of one runs folder compute each text's embedding once.
     */
    private void fitTextHead(String name, ImportedModel imported) throws IOException {
        Path cache = runDir.toAbsolutePath().getParent().resolve("text-cache")
                .resolve(imported.weightsDigest().substring(0, 16) + "-L" + imported.sampleShape()[0] + ".bin");
        imported.useCache(cache);
        int before = imported.cachedTexts();
        long t0 = System.nanoTime();
        double acc = imported.fitHead(train, root);
        imported.saveCache();
        message(String.format(java.util.Locale.ROOT, "%s: head fitted on the pooled embeddings of %d training texts"
                + " (encoder frozen; %d embeddings were kept in %s; %.0f s): train accuracy %.2f%%",
                name, train.size(), before, cache, (System.nanoTime() - t0) / 1e9, 100 * acc));
    }

    /** The result name of the ensemble of several teachers. */
    public static final String TEACHERS_ENSEMBLE = "teachers-ensemble";

    /**
     * The teacher {@code name} of spec {@code ts}: imported from its file, loaded (checked against
     * the data's preprocessing) or trained here (a phase named and seeded by {@code name}); an
     * imported or loaded one is checked, on resume, against the digest the run's checkpoints were
     * made with. Evaluated once and frozen.
     */
    private InferenceModel teacher(String name, TeacherSpec ts) throws IOException {
        InferenceModel teacher;
        if (ts.imported() != null) {
            ImportedModel imported = ImportedModel.open(name, ts.importSpec(), normalisation());
            message("imported " + name + " " + imported);
            if (imported.isTextEncoder()) {
                fitTextHead(name, imported);
            }
            teacher = unchanged(imported, name, ts.imported(), "file SHA-256");
            if (done(name) == null) {
                evaluated(name, "teacher", "imported", teacher, true, TrainingProgress.start(), false);
            }
        } else if (ts.load() != null) {
            message("loading " + name + " from " + ts.load());
            Network loaded = Network.load(Path.of(ts.load()), ts.model(), root);
            Provenance made = loaded.savedProvenance();
            if (made != null && made.preprocessing() != null && !made.preprocessing().equals(provenance.preprocessing())) {
                loaded.close();
                throw new org.distill4j.io.ProvenanceException(ts.load() + " was trained on inputs prepared as '"
                        + made.preprocessing() + "'; this run prepares them as '" + provenance.preprocessing()
                        + "': its outputs would not match", List.of(new Provenance.Difference("preprocessing",
                                made.preprocessing(), provenance.preprocessing())));
            }
            teacher = unchanged(loaded, name, ts.load(), "weights digest");
            loaded.save(runDir.resolve(name + ".model"), provenance.withTeacher(loaded.weightsDigest()));
            if (done(name) == null) {
                evaluated(name, "teacher", "none", teacher, true, TrainingProgress.start(), false);
            }
        } else if (ts.isRandom()) {
            teacher = randomTeacher(name, ts);
        } else {
            teacher = train(Solo.of(name, name, "none", new org.distill4j.method.NoDistillation().objective(),
                    ts.model(), ts.train()));
        }
        teacher.freeze(); // it only answers from here on, whether live or through the store
        return teacher;
    }

    /**
     * A nuisance teacher: {@code ts.model()} initialised from the seed derived for {@code name}, never
     * trained, saved and evaluated like a trained one (method {@code random}); resumed runs rebuild
     * the same weights from the seed and check them against the record.
     */
    private Network randomTeacher(String name, TeacherSpec ts) throws IOException {
        if (done(name) != null) {
            return loadFinished(name, ts.model());
        }
        Seeds.apply(Seeds.derive(seed(), name));
        Network net = create(ts.model());
        message(name + ": random weights, never trained (a nuisance teacher)");
        net.save(runDir.resolve(name + ".model"), provenanceOf(name, net));
        evaluated(name, "teacher", "random", net, false, TrainingProgress.start(), false);
        return net;
    }

    /**
     * {@code teacher} {@code name} (from {@code file}), unless its digest differs from the one the
     * checkpoints were made with and the change is not accepted: then it is closed and refused.
     */
    private <T extends InferenceModel> T unchanged(T teacher, String name, String file, String digestKind) {
        String saved = savedTeacherDigest(name);
        if (saved != null && !saved.equals(teacher.weightsDigest())) {
            Provenance.Difference d = new Provenance.Difference(name, saved, teacher.weightsDigest());
            if (!acceptTeacherChange) {
                teacher.close();
                throw new org.distill4j.io.ProvenanceException("the " + name + " " + file
                        + " is not the one the checkpoints in " + runDir + " were made with: " + digestKind + " "
                        + Provenance.abbrev(d.saved()) + " then, " + Provenance.abbrev(d.now())
                        + " now; restore it, or pass --accept-teacher-change", List.of(d));
            }
            accepted.add(d.toString());
            message("accepted a changed " + name + ": " + d);
        }
        return teacher;
    }

    /**
     * The digest the run's checkpoints were made with for teacher {@code name} (null on a fresh
     * run): the provenance's teacher for the one teacher, the recorded result for one of several.
     */
    private String savedTeacherDigest(String name) {
        if (resume == null) {
            return null;
        }
        if (org.distill4j.knowledge.Knowledge.TEACHER.equals(name)) {
            return resume.meta().provenance() == null ? null : resume.meta().provenance().teacher();
        }
        ModelResult before = done(name);
        return before == null ? null : before.weightsDigest();
    }

    /**
     * Several models' ensemble as a result of its own: the metrics of their mean probabilities on
     * the test set ({@code onTest}, in {@code members} order); parameters, size, training time and
     * latency are the sums over the members (they run one after another); its digest is the SHA-256
     * of the members' digests; it has no file and no fidelity of its own.
     */
    public ModelResult ensemble(String name, String role, String method, List<String> members, List<Predictions> onTest) {
        int[] labels = test.labels();
        Predictions p = org.distill4j.metric.Ensemble.meanProbabilities(onTest);
        long parameters = 0;
        long bytes = 0;
        double seconds = 0;
        int skipped = 0;
        double latency1 = 0;
        double latency256 = 0;
        Double latency64 = 0.0;
        StringBuilder digests = new StringBuilder();
        for (String member : members) {
            ModelResult g = done(member);
            parameters += Math.max(0, g.parameters());
            bytes += g.sizeBytes();
            seconds += g.trainSeconds();
            skipped += g.skippedBatches();
            latency1 += g.metrics().latencyMsBatch1();
            latency256 += g.metrics().latencyMsPerSampleBatch256();
            Double l64 = g.metrics().latencyMsPerSampleBatch64();
            latency64 = latency64 == null || l64 == null ? null : latency64 + l64;
            digests.append(g.weightsDigest()).append('\n');
        }
        ModelMetrics metrics = new ModelMetrics(Metrics.accuracy(p, labels), Metrics.crossEntropy(p, labels),
                Metrics.expectedCalibrationError(p, labels, ECE_BINS), null, null, null, null, latency1, latency256,
                latency64);
        java.util.Set<String> architectures = new java.util.LinkedHashSet<>();
        members.forEach(m -> architectures.add(done(m).architecture()));
        String architecture = architectures.size() == 1 ? members.size() + " × " + architectures.iterator().next()
                : String.join(" + ", members.stream().map(m -> done(m).architecture()).toList());
        return new ModelResult(name, role, method, architecture, parameters, bytes,
                Provenance.sha256(digests.toString()), null, false, seconds, skipped, List.of(), metrics);
    }

    /**
     * Binds a throwaway instance of {@code method}'s objective to freshly built networks of both
     * architectures (tap shapes do not depend on weights), so an incompatible or missing tap fails
     * before anything trains; {@code link} (e.g. "stage 2", "assistant1 → student") prefixes the
     * error. Returns the bound instance: a loss may choose its taps in bind() (e.g. default
     * pairs), so only a bound loss can say which teacher taps to store. Building networks draws
     * from the engine's generator; every phase reseeds.
     */
    public DistillationLoss checkTaps(String link, MethodSpec method, ModelSpec studentSpec, ModelSpec teacherSpec) {
        return bindProbe(link, method, studentSpec, Map.of(org.distill4j.knowledge.Knowledge.TEACHER, role -> {
            try (Network t = create(teacherSpec)) {
                return t.tapShapes(role);
            }
        }));
    }

    /**
     * As above for a teacher as the config gives it: a zoo model's taps from a freshly built
     * network, an imported one's from its graph (opened once per spec, checked, closed: a file that
     * cannot serve the run fails here).
     */
    public DistillationLoss checkTaps(String link, MethodSpec method, ModelSpec studentSpec, TeacherSpec teacherSpec) {
        return checkTaps(link, method, studentSpec, Map.of(org.distill4j.knowledge.Knowledge.TEACHER, teacherSpec));
    }

    /** As above for a method that learns from several teachers, by name in the order its knowledge lists them. */
    public DistillationLoss checkTaps(String link, MethodSpec method, ModelSpec studentSpec,
            Map<String, TeacherSpec> teacherSpecs) {
        Map<String, java.util.function.Function<String, TapShapes>> shapes = new LinkedHashMap<>();
        teacherSpecs.forEach((name, ts) -> shapes.put(name, role -> teacherShapes(role, ts)));
        return bindProbe(link, method, studentSpec, shapes);
    }

    /** Binds {@code method}'s probe to the student's taps and each named teacher's (a function of the role naming it in errors). */
    private DistillationLoss bindProbe(String link, MethodSpec method, ModelSpec studentSpec,
            Map<String, java.util.function.Function<String, TapShapes>> teachers) {
        DistillationLoss probe = method.objective();
        if (!probe.needsTeacher()) {
            return probe;
        }
        try (Network student = create(studentSpec); Adapters scratch = new Adapters(root)) {
            Map<String, TapShapes> shapes = new LinkedHashMap<>();
            teachers.forEach((name, f) -> shapes.put(name, f.apply(teachers.size() == 1 ? "teacher" : name)));
            probe.bind(Binding.of(student.tapShapes("student"), shapes, train.size(), train.idBound(), scratch));
        } catch (TapException e) {
            throw new TapException(link + ": " + e.getMessage());
        }
        return probe;
    }

    /** The tap shapes of a teacher of spec {@code ts}, {@code role} naming it in errors. */
    public TapShapes teacherShapes(String role, TeacherSpec ts) {
        if (ts.imported() == null) {
            try (Network t = create(ts.model())) {
                return t.tapShapes(role);
            }
        }
        TapShapes shapes = importedShapes.get(ts);
        if (shapes == null) {
            try (ImportedModel m = ImportedModel.open(role, ts.importSpec(), normalisation())) {
                shapes = m.tapShapes(role);
            }
            importedShapes.put(ts, shapes);
        }
        return shapes;
    }

    /**
     * The knowledge of {@code teacher} for a network trained with {@code trainSpec}: stored once in
     * {@code knowledge/<teacherName>.safetensors} (logits and {@code taps}) and read by sample id,
     * unless the config asks for a live teacher ({@code student.knowledge: live}) or the inputs are
     * augmented (stored outputs would not match what the learner sees). A store built beforehand
     * ({@code student.knowledgeStore}: shards with a manifest, or one file) is used for the
     * config's teacher instead, refused when built for another teacher or data. Stored taps keep the
     * teacher's network order: losses that pair taps by depth bind against it.
     */
    public KnowledgeSource knowledge(InferenceModel teacher, String teacherName, TrainSpec trainSpec,
            Collection<String> taps)
            throws IOException {
        if (trainSpec.augment().active()) {
            message("data augmentation is on: " + teacherName + " runs live on every augmented batch "
                    + "(stored outputs would not match the inputs)");
            return new LiveTeacher(teacher);
        }
        if (config.student().knowledge() == StudentSpec.KnowledgeMode.LIVE) {
            return new LiveTeacher(teacher);
        }
        List<String> stored = KnowledgeStore.tapsToStore(teacher, taps);
        String preprocessing = preprocessing(normalisation, train);
        String prebuilt = config.student().knowledgeStore();
        if (prebuilt != null && org.distill4j.knowledge.Knowledge.TEACHER.equals(teacherName)) {
            KnowledgeSource source = org.distill4j.knowledge.ShardedKnowledgeStore.open(
                    org.distill4j.knowledge.ShardedKnowledgeStore.localPath(prebuilt),
                    new KnowledgeStore.Key(teacher.answersDigest(), train.digest(), preprocessing), stored);
            message("teacher knowledge read from " + prebuilt + " (student.knowledgeStore)");
            return source;
        }
        // the fidelity reference's logits on this training set are the store's logit rows bit for bit
        // (the same network, samples, order and batch size): a store of logits only takes them
        float[] logits = teacher == predictedBy && train == predictedOn ? teacherPredictions[0].logits() : null;
        return KnowledgeStore.openOrBuild(runDir.resolve("knowledge").resolve(teacherName + ".safetensors"), teacher,
                train, stored, preprocessing, root, listener::onMessage, logits);
    }

    /**
     * Trains one network in a phase of its own, or resumes it, or loads it when the run finished
     * it before; saves and evaluates it. The caller closes the returned network.
     */
    public Network train(Solo s) throws IOException {
        if (done(s.name()) != null) {
            return loadFinished(s.name(), s.model());
        }
        DistillationLoss objective = s.objective();
        Map<String, KnowledgeSource> sources = objective.needsTeacher() ? s.sources() : Map.of();
        if (objective.needsTeacher() && sources.isEmpty()) {
            throw new IllegalArgumentException(s.name() + ": this method needs a teacher");
        }
        // Same initial weights for every network of a role: only the method differs.
        Seeds.apply(Seeds.derive(seed(), s.role()));
        Network net = create(s.model());
        if (s.startFrom() != null && !resuming(s.name())) {
            handOver(s.startFrom(), net);
            message(s.name() + ": starts from the previous phase's weights (digest "
                    + net.weightsDigest().substring(0, 12) + "…)");
        }
        Map<String, TrainingProgress> end;
        QuantizedTraining quantized = null;
        try {
            long shuffle = Seeds.derive(seed(), s.role() + "-shuffle");
            Phase phase = SoloPhase.of(s.name(), net, s.train(), objective, sources, train, validation, shuffle,
                    s.rates());
            List<LoopListener> hooks = new ArrayList<>(s.hooks());
            if (s.fidelity() && teacherPredictions != null && config.student().fidelityEveryEpoch()) {
                hooks.add(new EpochFidelity(s.name(), train, test, teacherPredictions[0], teacherPredictions[1], root));
            }
            if (s.quantized() != null) {
                // Stochastic rounding draws are the role's: students of a role see the same ones.
                quantized = new QuantizedTraining(s.name(), QuantizedTraining.of(net, s.quantized()), s.quantized(),
                        Seeds.derive(seed(), s.role() + "-quantize"));
                hooks.add(0, quantized);
            }
            try {
                end = run(phase, hooks);
            } finally {
                SoloPhase.close(phase);
            }
        } catch (RuntimeException | IOException e) {
            net.close();
            throw e;
        }
        net.save(runDir.resolve(s.name() + ".model"), provenanceOf(s.name(), net));
        long bytes = net.parameterCount() * Float.BYTES;
        if (quantized != null) {
            bytes = QuantizedNetwork.write(runDir.resolve(s.name() + QUANTIZED_SUFFIX), net, quantized.shipped(),
                    s.quantized().bits(), s.quantized().bucket(), provenanceOf(s.name(), net)).bytes();
        }
        evaluated(s.name(), s.role(), s.method(), net, false, end.get(s.name()), s.fidelity(), bytes);
        return net;
    }

    /** The file name suffix of a shipped quantised network ({@code <name>.qmodel}, see {@link QuantizedNetwork}). */
    public static final String QUANTIZED_SUFFIX = ".qmodel";

    /** Whether the run was interrupted in the phase {@code phase} (it continues from its checkpoint). */
    public boolean resuming(String phase) {
        return resume != null && phase.equals(resume.meta().phase());
    }

    /**
     * Runs {@code phase} through the loop with the run's listeners and {@code hooks} (called before
     * the checkpoint at each epoch end), from its checkpoint when the run was interrupted in it.
     * Returns each trainable participant's final progress.
     */
    public Map<String, TrainingProgress> run(Phase phase, List<LoopListener> hooks) throws IOException {
        boolean resuming = resuming(phase.name());
        Map<String, TrainingProgress> start = resuming ? resume.meta().progress() : null;
        Loop.Restore restore = resuming ? opened -> {
            for (Participant p : opened.participants()) {
                resume.slot(p.name()).restore(p);
            }
        } : Loop.Restore.NONE;
        List<LoopListener> listeners = new ArrayList<>();
        listeners.add(new Validation(root));
        listeners.add(faults);
        listeners.add(new NonFiniteGuard());
        if (profile != null) {
            listeners.add(profile);
        }
        listeners.addAll(hooks);
        listeners.add(new Checkpointing(store, config.checkpoint().everySteps(), this::completed,
                f -> lastCheckpoint = f, () -> provenance, sittings, stop));
        listeners.add(new Progress(listener));
        try {
            return new Loop(root, listeners).run(phase, start, restore);
        } catch (NonFiniteLossException e) {
            throw e.withLastCheckpoint(lastCheckpoint == null ? null : lastCheckpoint.toString());
        }
    }

    /**
     * The provenance saved with the network of phase {@code name}: the run's, and for a teacher
     * itself its own weights digest.
     */
    public Provenance provenanceOf(String name, Network net) {
        return config.teacherSpecs().containsKey(name) ? provenance.withTeacher(net.weightsDigest()) : provenance;
    }

    /** Copies every parameter of {@code from} (running statistics included) into {@code to}, in place. */
    public static void handOver(Network from, Network to) throws IOException {
        if (!from.spec().equals(to.spec())) {
            throw new IllegalArgumentException("cannot hand " + from.spec().describe() + " weights to a "
                    + to.spec().describe());
        }
        List<ai.djl.ndarray.NDArray> source = from.parameterArrays();
        List<ai.djl.ndarray.NDArray> target = to.parameterArrays();
        for (int i = 0; i < source.size(); i++) {
            Network.assign(target.get(i), source.get(i)); // in place: the target keeps its own memory
        }
    }

    /** The saved network of a phase finished before an interruption, its digest checked against the record. */
    public Network loadFinished(String name, ModelSpec spec) throws IOException {
        Path file = runDir.resolve(name + ".model");
        Network net = Network.load(file, spec, root);
        if (!net.weightsDigest().equals(done(name).weightsDigest())) {
            net.close();
            throw new IOException(file + " does not match the network this run trained (digest differs); "
                    + "it was modified or replaced: start the run again");
        }
        message(name + ": finished before the interruption, loaded " + file.getFileName());
        return net;
    }

    /**
     * Evaluates a finished network on the test set (and, with {@code fidelity}, its agreement and
     * KL with the fidelity reference on train and test) and records the result.
     */
    public void evaluated(String name, String role, String method, InferenceModel net, boolean loaded,
            TrainingProgress end, boolean fidelity) {
        evaluated(name, role, method, net, loaded, end, fidelity, net.sizeBytes());
    }

    /** As above, the model's shipped size being {@code sizeBytes} (a quantised network's packed file). */
    public void evaluated(String name, String role, String method, InferenceModel net, boolean loaded,
            TrainingProgress end, boolean fidelity, long sizeBytes) {
        // an imported model has no file in the run directory: the config names its own
        evaluated(name, role, method, net, loaded, end, fidelity, sizeBytes, net instanceof Network ? name + ".model"
                : null);
    }

    /**
     * As above, the result's saved network being {@code file} in the run directory (null: none) — a
     * network answering with retrieval is saved as the plain network it wraps.
     */
    public void evaluated(String name, String role, String method, InferenceModel net, boolean loaded,
            TrainingProgress end, boolean fidelity, long sizeBytes, String file) {
        message("evaluating " + name);
        Predictions onTest = Predictions.of(net, test, root);
        Double agreeTrain = null;
        Double agreeTest = null;
        Double klTrain = null;
        Double klTest = null;
        if (fidelity && teacherPredictions != null) {
            Predictions onTrain = Predictions.of(net, train, root);
            agreeTrain = Metrics.agreement(teacherPredictions[0], onTrain);
            klTrain = Metrics.klDivergence(teacherPredictions[0], onTrain);
            agreeTest = Metrics.agreement(teacherPredictions[1], onTest);
            klTest = Metrics.klDivergence(teacherPredictions[1], onTest);
        }
        ModelMetrics metrics = new ModelMetrics(Metrics.accuracy(onTest, test.labels()),
                Metrics.crossEntropy(onTest, test.labels()),
                Metrics.expectedCalibrationError(onTest, test.labels(), ECE_BINS), agreeTrain, agreeTest, klTrain,
                klTest, Latency.millisPerSample(net, root, 1, 200),
                net.takesTokens() ? Double.NaN : Latency.millisPerSample(net, root, 256, 10),
                net.takesTokens() ? Latency.millisPerSample(net, root, 64, 10) : null);
        completed.add(new ModelResult(name, role, method, net.describe(), net.parameterCount(), sizeBytes,
                net.weightsDigest(), file, loaded, end.seconds(), end.skippedBatches(), end.history(), metrics));
    }
}

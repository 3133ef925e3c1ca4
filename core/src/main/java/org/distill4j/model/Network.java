package org.distill4j.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.io.AtomicFile;
import org.distill4j.io.DamagedFileException;
import org.distill4j.io.Provenance;

/**
 * A zoo network with its parameters: what the rest of distill4j trains, distils from, saves
 * and evaluates. Owns the {@link NDManager} holding its weights; close it to free them.
 * (Named {@code Network}, not {@code Model}, so it never shadows {@code ai.djl.Model}.)
 */
public final class Network implements InferenceModel {
    private static final String MAGIC = "distill4j-network";
    /**
     * Bumped whenever the saved layout changes; older files are rejected with a clear error.
     * Version 2 adds the provenance (data, preprocessing, teacher and config digests) to the
     * header and closes the weights with their SHA-256, verified before any weight is used.
     */
    public static final int FORMAT_VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelSpec spec;
    private final long[] sampleShape;
    private final int numClasses;
    private final TappedNet net;
    private final NDManager manager;
    private ParameterStore parameterStore;
    private Provenance savedProvenance;

    private Network(ModelSpec spec, long[] sampleShape, int numClasses, NDManager parent) {
        this.spec = spec;
        this.sampleShape = sampleShape.clone();
        this.numClasses = numClasses;
        this.manager = parent.newSubManager();
        this.net = spec.build(sampleShape, numClasses);
        // He (Kaiming) normal initialisation: the usual choice for ReLU networks.
        net.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                XavierInitializer.FactorType.IN, 2), Parameter.Type.WEIGHT);
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = 1;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        net.initialize(manager, DataType.FLOAT32, new Shape(dims));
        this.parameterStore = new ParameterStore(manager, false);
    }

    /** A freshly initialised network; the engine's random seed decides its weights. */
    public static Network create(ModelSpec spec, long[] sampleShape, int numClasses, NDManager parent) {
        return new Network(spec, sampleShape, numClasses, parent);
    }

    /** One forward pass returning every tap; arrays belong to the input's manager. */
    public Outputs forward(NDArray inputs, boolean training) {
        return net.forwardTaps(parameterStore, inputs, training);
    }

    /**
     * One forward pass over a batch's named inputs: a text student ({@link #takesTokens}) reads the
     * batch's {@link Batch#ATTENTION_MASK} in its masked pooling (n-gram bag, max over positions);
     * without one, and for every other network, {@link #forward(NDArray, boolean)} of the input
     * (a text student then reads {@code id != 0} as the mask).
     */
    public Outputs forward(Batch batch, boolean training) {
        if (takesTokens() && batch.hasInput(Batch.ATTENTION_MASK)) {
            return net.forwardTaps(parameterStore, batch.input(), batch.input(Batch.ATTENTION_MASK), training);
        }
        return forward(batch.input(), training);
    }

    @Override
    public Outputs infer(NDArray inputs) {
        return forward(inputs, false);
    }

    @Override
    public Outputs infer(Batch batch) {
        return forward(batch, false);
    }

    @Override
    public String describe() {
        return spec.describe();
    }

    /**
     * An inference pass that stops as soon as {@code stop} accepts a tap just produced, returning
     * the taps so far (see {@link TappedNet#forwardUntil}): early exit, and the cost of one exit.
     */
    public java.util.Map<String, NDArray> forwardUntil(NDArray inputs,
            java.util.function.BiPredicate<String, NDArray> stop) {
        return net.forwardUntil(parameterStore, inputs, false, stop);
    }

    /**
     * The statistics a batch-norm layer saw in one forward pass: the per-channel mean and (biased)
     * variance of its input over the batch and every position, beside the layer's running ones.
     */
    public record BatchNormStatistics(NDArray mean, NDArray variance, NDArray runningMean, NDArray runningVariance) {}

    /**
     * Batch-norm layers in an architecture, counted on an uninitialised build (the count does not
     * depend on the input's size; a nominal 1×32×32 image, or 784 values for an MLP, is used).
     */
    public static int batchNormLayers(ModelSpec spec) {
        long[] shape = spec instanceof MlpSpec ? new long[] {784}
                : spec instanceof TextCnnSpec || spec instanceof NgramMlpSpec ? new long[] {16} : new long[] {1, 32, 32};
        return spec.build(shape, 10).batchNormLayers();
    }

    /** Batch-norm layers in the network (0: DeepInversion has nothing to match). */
    public int batchNormLayers() {
        return net.batchNormLayers();
    }

    /**
     * A forward pass that also returns, for every batch-norm layer in network order, the mean and
     * variance of its input over the batch (and positions) — on the graph, so gradients reach the
     * input — and its running statistics (DeepInversion, Yin et al. 2020). The outputs are those
     * of {@link #forward}.
     */
    public Outputs forward(NDArray inputs, boolean training, List<BatchNormStatistics> statistics) {
        return net.forwardObserving(parameterStore, inputs, training, (layer, x) -> {
            // (B, C, …) → (C, B·…): each channel's values in a row, as the authors' hook does
            NDArray rows = x.swapAxes(0, 1).reshape(x.getShape().get(1), -1);
            NDArray mean = rows.mean(new int[] {1});
            NDArray variance = rows.sub(mean.reshape(-1, 1)).square().mean(new int[] {1});
            statistics.add(new BatchNormStatistics(mean, variance,
                    layer.getParameters().get("runningMean").getArray(),
                    layer.getParameters().get("runningVar").getArray()));
        });
    }

    /**
     * A training-mode pass (batch statistics, dropout) that leaves the batch-norm running
     * statistics as they were: what a network computes when it only serves another participant's
     * update (a peer's targets, a discriminator's fakes), so that only its own update moves them.
     */
    public Outputs forwardKeepingStatistics(NDArray inputs) {
        return keepingStatistics(inputs.getManager(), () -> forward(inputs, true));
    }

    /** {@link #forwardKeepingStatistics(NDArray)} over a batch's named inputs, as {@link #forward(Batch, boolean)}. */
    public Outputs forwardKeepingStatistics(Batch batch) {
        return keepingStatistics(batch.input().getManager(), () -> forward(batch, true));
    }

    private Outputs keepingStatistics(NDManager scope, java.util.function.Supplier<Outputs> pass) {
        List<NDArray> stats = runningStatistics();
        List<NDArray> saved = new ArrayList<>();
        for (NDArray s : stats) {
            NDArray copy = s.duplicate();
            copy.attach(scope); // dies with the step
            saved.add(copy);
        }
        Outputs out = pass.get();
        for (int i = 0; i < stats.size(); i++) {
            assign(stats.get(i), saved.get(i)); // in place: the statistics keep their own memory
        }
        return out;
    }

    /** Stops gradients to this network's weights (a frozen teacher). */
    public void freeze() {
        net.freezeParameters(true);
    }

    /** The parameters an optimizer updates, in a fixed order (running statistics excluded). */
    public List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : net.getParameters().values()) {
            if (p.requiresGradient()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The arrays a training-mode forward pass changes without an optimizer (batch-norm running
     * mean and variance), in network order; empty for a network without batch norm.
     */
    public List<NDArray> runningStatistics() {
        List<NDArray> out = new ArrayList<>();
        for (Parameter p : net.getParameters().values()) {
            if (p.getType() == Parameter.Type.RUNNING_MEAN || p.getType() == Parameter.Type.RUNNING_VAR) {
                out.add(p.getArray());
            }
        }
        return out;
    }

    /** Every parameter (weights and running statistics), in network order: what {@link Architecture#of} binds. */
    public List<Parameter> parameters() {
        return List.copyOf(net.getParameters().values());
    }

    /** Every parameter (weights and running statistics) by its name, in network order. */
    public List<java.util.Map.Entry<String, Parameter>> namedParameters() {
        List<java.util.Map.Entry<String, Parameter>> out = new ArrayList<>();
        for (var e : net.getParameters()) {
            out.add(java.util.Map.entry(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** Every parameter array (weights and running statistics), in network order. */
    public List<NDArray> parameterArrays() {
        List<NDArray> out = new ArrayList<>();
        for (Parameter p : net.getParameters().values()) {
            out.add(p.getArray());
        }
        return out;
    }

    /**
     * Copies {@code value}'s elements into {@code target}, bit for bit, with a native in-place copy
     * ({@code index_put_}): {@code target} keeps memory PyTorch owns. DJL's {@code copyTo} instead
     * replaces the target's storage with a Java direct buffer that only the Java wrapper keeps alive,
     * which a long-lived tensor (a weight, a running statistic, optimizer state) must not depend on.
     */
    public static void assign(NDArray target, NDArray value) {
        if (!target.getShape().equals(value.getShape())) {
            throw new IllegalArgumentException("cannot assign " + value.getShape() + " to " + target.getShape());
        }
        if (target.getShape().dimension() == 0) {
            Scalars.scaleInPlace(target, 0);
            target.addi(value);
            return;
        }
        target.set(new ai.djl.ndarray.index.NDIndex(String.join(",",
                java.util.Collections.nCopies(target.getShape().dimension(), ":"))), value);
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The text students read token ids. */
    @Override
    public boolean takesTokens() {
        return spec instanceof TextCnnSpec || spec instanceof NgramMlpSpec;
    }

    public long[] sampleShape() {
        return sampleShape.clone();
    }

    public int numClasses() {
        return numClasses;
    }

    public List<String> tapNames() {
        return net.tapNames();
    }

    /**
     * The per-sample shape of every tap, found by one inference pass over two blank samples
     * (no weights change: batch norm uses its running statistics in inference mode).
     */
    public TapShapes tapShapes(String role) {
        long[] dims = new long[sampleShape.length + 1];
        dims[0] = 2;
        System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
        try (NDManager scope = manager.newSubManager()) {
            Outputs out = forward(scope.zeros(new Shape(dims)), false);
            java.util.Map<String, Shape> shapes = new java.util.LinkedHashMap<>();
            for (String tap : out.names()) {
                Shape s = out.get(tap).getShape();
                shapes.put(tap, s.slice(1));
            }
            return new TapShapes(role, shapes);
        }
    }

    public long parameterCount() {
        return net.parameterCount();
    }

    /** Trainable values a forward pass up to {@code tap} uses (e.g. the network an early exit needs). */
    public long parameterCountUpTo(String tap) {
        return net.parameterCountUpTo(tap);
    }

    public NDManager manager() {
        return manager;
    }

    /** SHA-256 over every parameter (running statistics included), in network order. */
    public String weightsDigest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (var e : net.getParameters()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(e.getValue().getArray().toByteArray());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the spec and weights atomically: a crash mid-write leaves any old file intact. */
    public void save(Path file) throws IOException {
        save(file, null);
    }

    /**
     * Writes the spec, {@code provenance} (what the network was made from; null: unknown) and
     * the weights closed by their SHA-256, atomically: a crash mid-write leaves any old file intact.
     */
    public void save(Path file, Provenance provenance) throws IOException {
        java.io.ByteArrayOutputStream weights = new java.io.ByteArrayOutputStream();
        writeWeights(new DataOutputStream(weights));
        byte[] bytes = weights.toByteArray();
        byte[] sha = sha256(bytes);
        AtomicFile.write(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeUTF(MAGIC);
            out.writeInt(FORMAT_VERSION);
            out.writeUTF(JSON.writeValueAsString(spec));
            out.writeUTF(JSON.writeValueAsString(sampleShape));
            out.writeInt(numClasses);
            out.writeUTF(JSON.writeValueAsString(provenance));
            out.writeInt(bytes.length);
            out.write(bytes);
            out.write(sha);
            out.flush();
        });
    }

    /** The provenance the file this network was loaded from holds (null: created here, or none saved). */
    public Provenance savedProvenance() {
        return savedProvenance;
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes every parameter (running statistics included), e.g. into a checkpoint. */
    public void writeWeights(DataOutputStream out) throws IOException {
        net.saveParameters(out);
    }

    /** Reads weights written by {@link #writeWeights} into this network (same architecture). */
    public void readWeights(DataInputStream in) throws IOException {
        try {
            loadInPlace(net, manager, in);
        } catch (MalformedModelException e) {
            throw new IOException("weights do not fit " + spec.describe() + ": " + e.getMessage(), e);
        }
        parameterStore = new ParameterStore(manager, false); // it must not hand out arrays it cached
    }

    private static final java.lang.reflect.Field PARAMETER_ARRAY;

    static {
        try {
            PARAMETER_ARRAY = Parameter.class.getDeclaredField("array");
            PARAMETER_ARRAY.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Loads parameters saved by DJL's {@code saveParameters} into {@code block}'s existing arrays,
     * in place. DJL's own {@code loadParameters} installs new arrays whose memory is a Java direct
     * buffer kept alive only by the Java wrapper (a tensor PyTorch does not own); training on such
     * arrays after a resume is what the crash-and-resume tests caught going wrong under load. Here
     * each loaded value is copied into the array the parameter had (memory PyTorch owns, gradient
     * recording as it was), which is put back, and the loaded array is closed.
     */
    public static void loadInPlace(ai.djl.nn.Block block, NDManager manager, DataInputStream in)
            throws IOException, MalformedModelException {
        List<Parameter> parameters = new ArrayList<>(block.getParameters().values());
        List<NDArray> own = new ArrayList<>();
        for (Parameter p : parameters) {
            own.add(p.isInitialized() ? p.getArray() : null);
        }
        block.loadParameters(manager, in);
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            NDArray loaded = p.getArray();
            NDArray target = own.get(i);
            if (target == null || target == loaded) {
                if (p.requiresGradient()) {
                    loaded.setRequiresGradient(true);
                }
                continue;
            }
            assign(target, loaded);
            try {
                PARAMETER_ARRAY.set(p, target);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            loaded.close();
        }
    }

    /** What a saved network file says it holds, and its verified weights. */
    private record Saved(ModelSpec spec, long[] sampleShape, int numClasses, Provenance provenance, byte[] weights) {}

    /**
     * Reads a saved network file whole and checks it: magic, format version, the {@code expected}
     * architecture (if non-null), the weights' SHA-256. Every error names the file.
     */
    private static Saved readChecked(Path file, ModelSpec expected) throws IOException {
        byte[] all;
        try {
            if (Files.isDirectory(file)) {
                throw new IOException(file + " is a directory, not a network file");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("network file not found: " + file, e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(file.toString())) {
                throw e;
            }
            throw new IOException("cannot read network file " + file + ": " + e.getMessage(), e);
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all));
        ModelSpec spec;
        long[] shape;
        int classes;
        try {
            if (!MAGIC.equals(in.readUTF())) {
                throw new IOException(file + " is not a distill4j network file");
            }
            int version = in.readInt();
            if (version != FORMAT_VERSION) {
                String what = version == 1 ? " (written before network files carried a checksum)" : "";
                throw new IOException(file + " has network format version " + version + what
                        + "; this distill4j reads version " + FORMAT_VERSION + ": retrain or convert it");
            }
            spec = JSON.readValue(in.readUTF(), ModelSpec.class);
            shape = JSON.readValue(in.readUTF(), long[].class);
            classes = in.readInt();
        } catch (java.io.EOFException | java.io.UTFDataFormatException
                | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + " is not a distill4j network file (unreadable header)", e);
        }
        if (expected != null && !expected.equals(spec)) {
            throw new IOException(file + " holds a " + spec.describe() + " (" + spec
                    + ") but the config expects a " + expected.describe() + " (" + expected + ")");
        }
        try {
            Provenance provenance = JSON.readValue(in.readUTF(), Provenance.class);
            int n = in.readInt();
            if (n < 0 || n > in.available() - 32) {
                throw new java.io.EOFException();
            }
            byte[] weights = new byte[n];
            in.readFully(weights);
            byte[] sha = new byte[32];
            in.readFully(sha);
            byte[] actual = sha256(weights);
            if (!java.security.MessageDigest.isEqual(sha, actual) || in.available() != 0) {
                throw new DamagedFileException(file, file + " is damaged: the SHA-256 of its weights is "
                        + HexFormat.of().formatHex(actual).substring(0, 12) + "…, the file says "
                        + HexFormat.of().formatHex(sha).substring(0, 12) + "…; it was modified or corrupted: "
                        + "restore it or retrain");
            }
            return new Saved(spec, shape, classes, provenance, weights);
        } catch (java.io.EOFException | java.io.UTFDataFormatException
                | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new DamagedFileException(file, file + " is damaged or truncated (" + all.length + " bytes; "
                    + e.getClass().getSimpleName() + "): restore it or retrain", e);
        }
    }

    /**
     * Checks, without building the network, that a saved network exists, is readable, holds the
     * {@code expected} architecture and passes its checksum: lets a run fail before it creates anything.
     */
    public static void checkSaved(Path file, ModelSpec expected) throws IOException {
        readChecked(file, expected);
    }

    /** The provenance a saved network file holds (null: none), the file checked as by {@link #checkSaved}. */
    public static Provenance savedProvenance(Path file) throws IOException {
        return readChecked(file, null).provenance();
    }

    /**
     * Reads a network saved by {@link #save}, its weights verified by their checksum first. When
     * {@code expected} is non-null, the saved architecture must equal it, else the error names both.
     */
    public static Network load(Path file, ModelSpec expected, NDManager parent) throws IOException {
        Saved h = readChecked(file, expected);
        Network n = new Network(h.spec(), h.sampleShape(), h.numClasses(), parent);
        try {
            n.readWeights(new DataInputStream(new java.io.ByteArrayInputStream(h.weights())));
        } catch (IOException | RuntimeException e) {
            n.close();
            throw new DamagedFileException(file, file + " is damaged or truncated: " + e, e);
        }
        n.savedProvenance = h.provenance();
        return n;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return spec.describe() + " (" + parameterCount() + " parameters, input " + Arrays.toString(sampleShape) + ")";
    }
}

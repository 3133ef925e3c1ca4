package org.distill4j.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.data.Normalisation;

/**
 * A teacher trained elsewhere, imported from a file and frozen: an ONNX graph ({@code .onnx}) run
 * by DJL's ONNX Runtime engine, or a TorchScript module ({@code .pt}, {@code .pth}) run by DJL's
 * PyTorch engine. Its first graph output (or the one named {@code logits}) is the logits; its
 * other outputs become taps (a TorchScript tuple's items are {@code output0}, {@code output1} …,
 * a dict's its keys), so feature and relation methods can read it like a zoo network.
 *
 * <p><b>What the graph receives.</b> The run's inputs arrive normalised with the run's own
 * statistics, {@code x = (raw − μ_k) / σ_k} per channel (or feature) {@code k} (see {@link
 * Normalisation}; {@code raw} is a pixel {@code p / 255} in [0, 1] or a CSV number as written).
 * The graph receives {@code (raw · scale − mean_k) / std_k} with the {@link Preprocess} of its
 * import, computed from {@code x} as one affine map per channel, so what it receives never
 * depends on how the student's inputs are normalised. Augmented inputs are mapped the same way:
 * it sees the student's augmented sample.
 *
 * <p>Opening checks everything before any training (one line each, naming the file): the file
 * is a model of its format; it takes batches of the data's samples; its logits have one value
 * per class; every tap names an output it has. The file's SHA-256 is its {@link #weightsDigest}.
 */
public final class ImportedModel implements InferenceModel {
    /** The graph formats distill4j imports, with the DJL engine that runs each. */
    public enum Format {
        ONNX("onnx", "an ONNX", "OnnxRuntime"),
        TORCHSCRIPT("torchscript", "a TorchScript", "PyTorch");

        final String label;
        final String named;
        final String engine;

        Format(String label, String named, String engine) {
            this.label = label;
            this.named = named;
            this.engine = engine;
        }

        /** By file name: {@code .onnx} is ONNX; {@code .pt}, {@code .pth} are TorchScript; else null. */
        public static Format of(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".onnx")) {
                return ONNX;
            }
            return name.endsWith(".pt") || name.endsWith(".pth") ? TORCHSCRIPT : null;
        }
    }

    /**
     * What the imported graph expects relative to the raw input values (pixels in [0, 1], CSV
     * numbers as written): it receives {@code (raw · scale − mean[k]) / std[k]}. {@code mean} and
     * {@code std} hold one value (for every channel) or one per channel of {@code [C, H, W]}
     * samples (per feature of {@code [F]} samples). Defaults: scale 1, mean 0, std 1 (the raw values).
     *
     * <p>Examples: a graph trained on {@code torchvision.transforms.ToTensor()} output needs
     * nothing; with {@code Normalize((0.2860,), (0.3530,))} after it, {@code {mean: 0.2860, std:
     * 0.3530}}; on bytes 0–255, {@code {scale: 255}}.
     */
    public record Preprocess(Double scale,
            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Double> mean,
            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Double> std) {
        public static final Preprocess NONE = new Preprocess(null, null, null);

        public Preprocess {
            scale = scale == null ? 1.0 : scale;
            mean = mean == null ? List.of(0.0) : List.copyOf(mean);
            std = std == null ? List.of(1.0) : List.copyOf(std);
            if (!(scale > 0) || scale.isInfinite()) {
                throw new IllegalArgumentException("scale: must be finite and > 0 (got " + scale + ")");
            }
            if (mean.isEmpty() || mean.stream().anyMatch(m -> m == null || !Double.isFinite(m))) {
                throw new IllegalArgumentException("mean: one finite value, or one per channel (got " + mean + ")");
            }
            if (std.isEmpty() || std.stream().anyMatch(s -> s == null || !(s > 0) || s.isInfinite())) {
                throw new IllegalArgumentException("std: one value, or one per channel, each finite and > 0 (got "
                        + std + ")");
            }
        }

        @Override
        public String toString() {
            return "scale=" + scale + ",mean=" + mean + ",std=" + std;
        }
    }

    /**
     * An import as a config gives it.
     *
     * @param file the model file
     * @param inputShape the per-sample shape the graph takes (null: the data's); must be the data's
     * @param preprocess what the graph expects of the raw inputs (null: the raw values)
     * @param taps tap name → graph output name (null: every output under its own name); the tap
     *     {@code logits} chooses the logits output
     */
    public record Spec(Path file, List<Long> inputShape, Preprocess preprocess, Map<String, String> taps) {
        public Spec {
            preprocess = preprocess == null ? Preprocess.NONE : preprocess;
            taps = taps == null ? null : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(taps));
        }
    }

    /** The name given to the {@code i}-th output of a graph that does not name its outputs (a TorchScript tuple). */
    static String unnamed(int i) {
        return "output" + i;
    }

    private static final int PROBE_BATCH = 2;

    private final String key;
    private final Path file;
    private final Format format;
    private final String sha256;
    private final long fileBytes;
    private final long[] sampleShape;
    private final int numClasses;
    private final Spec spec;
    private final Model model;
    private final InputMap inputMap;
    /** A text encoder's graph inputs in graph order (input_ids, attention_mask[, token_type_ids]); null otherwise. */
    private final List<String> textInputs;
    /** A text encoder's classification head over its pooled embedding; fitted by {@link #fitHead}. */
    private TextHead head;
    /** A text encoder's pooled embeddings by text (token ids and mask, {@link #cacheKey}): the encoder runs once per distinct text. */
    private final Map<java.nio.FloatBuffer, float[]> pooledCache = new java.util.HashMap<>();
    private long parameters;
    /** Tap name → graph output, logits first. */
    private final Map<String, String> taps = new LinkedHashMap<>();
    private final Map<String, Shape> tapShapes = new LinkedHashMap<>();

    private ImportedModel(String key, Spec spec, Format format, String sha256, long fileBytes, long[] sampleShape,
            int numClasses, Model model, InputMap inputMap, List<String> textInputs) {
        this.key = key;
        this.textInputs = textInputs;
        this.spec = spec;
        this.file = spec.file();
        this.format = format;
        this.sha256 = sha256;
        this.fileBytes = fileBytes;
        this.sampleShape = sampleShape;
        this.numClasses = numClasses;
        this.model = model;
        this.inputMap = inputMap;
    }

    /**
     * Opens an import for data normalised as {@code data} (its sample shape, class count and
     * statistics) and checks it: a probe pass over a blank batch finds the outputs and their shapes.
     *
     * @param key the config key it comes from, e.g. {@code teacher}, prefixing every error
     * @throws ImportedModelException naming the key and the file, before anything trains
     */
    public static ImportedModel open(String key, Spec spec, Normalisation data) {
        Path file = spec.file();
        long[] shape = data.sampleShape().stream().mapToLong(Long::longValue).toArray();
        if (spec.inputShape() != null && !spec.inputShape().equals(data.sampleShape())) {
            throw new ImportedModelException(key + ".inputShape: " + spec.inputShape() + " (" + file
                    + ") but the data's samples have shape " + data.sampleShape()
                    + "; the graph must take the data's samples as they are");
        }
        Format format = Format.of(file);
        if (format == null) {
            throw new ImportedModelException(key + ".import: " + file + ": not a model file distill4j imports; "
                    + "name an ONNX graph .onnx or a TorchScript module .pt");
        }
        if (!Files.isRegularFile(file)) {
            throw new ImportedModelException(key + ".import: no such file " + file);
        }
        String digest;
        long bytes;
        try {
            digest = sha256(file);
            bytes = Files.size(file);
        } catch (IOException e) {
            throw new ImportedModelException(key + ".import: cannot read " + file + ": " + e.getMessage());
        }
        InputMap inputs = InputMap.of(key, spec.preprocess(), data);
        Model model = load(key, format, file);
        List<String> text = textInputs(model, format);
        if (text != null && shape.length != 1) {
            model.close();
            throw new ImportedModelException(key + ".import: " + file + " is a text encoder (inputs " + text
                    + ") but the data's samples have shape " + Arrays.toString(shape) + "; give it a text source");
        }
        ImportedModel m = new ImportedModel(key, spec, format, digest, bytes, shape, data.numClasses(), model, inputs,
                text);
        if (text != null) {
            m.head = TextHead.untrained(data.numClasses());
        }
        try {
            m.probe();
            m.parameters = m.countParameters();
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static Model load(String key, Format format, Path file) {
        Model model = Model.newInstance("imported-teacher", format.engine);
        try {
            model.load(file);
            return model;
        } catch (Exception e) { // the engines report a file they cannot read in many ways
            model.close();
            String hint = format == Format.TORCHSCRIPT ? "; a state_dict saved with torch.save is not one: save "
                    + "torch.jit.trace(model, example) or torch.jit.script(model)" : "";
            throw new ImportedModelException(key + ".import: " + file + " is not " + format.named
                    + " model the " + format.engine + " engine can load (" + engineMessage(e) + ")" + hint);
        }
    }

    /** Runs a blank batch through the graph: its outputs, their shapes, the logits and the taps. */
    private void probe() {
        Map<String, Shape> outputs = new LinkedHashMap<>();
        try (NDManager scope = NDManager.newBaseManager()) {
            NDList out;
            try {
                out = run(scope.zeros(batchShape(PROBE_BATCH)));
            } catch (RuntimeException e) {
                throw new ImportedModelException(key + ".import: " + file + " does not take batches of the data's "
                        + "samples (shape " + Arrays.toString(sampleShape) + ")" + (takesOnlyOne(scope)
                                ? ": it takes a batch of exactly 1; export it with a dynamic batch dimension, e.g. "
                                        + "torch.onnx.export(..., dynamic_axes={'input': {0: 'batch'}})"
                                : ": " + engineMessage(e)));
            }
            for (NDArray a : out) {
                Shape s = a.getShape();
                if (s.dimension() < 1 || s.get(0) != PROBE_BATCH) {
                    throw new ImportedModelException(key + ".import: " + file + ": output '" + a.getName()
                            + "' has shape " + s + " for a batch of " + PROBE_BATCH
                            + "; every output needs the batch as its first dimension");
                }
                if (a.getDataType() != DataType.FLOAT32) {
                    continue; // not a tap: no loss reads integer outputs (e.g. an argmax)
                }
                outputs.put(a.getName(), s.slice(1));
            }
        }
        Map<String, String> asked = spec.taps();
        String logits = asked != null && asked.containsKey(Outputs.LOGITS) ? asked.get(Outputs.LOGITS)
                : outputs.containsKey(Outputs.LOGITS) ? Outputs.LOGITS
                : outputs.isEmpty() ? null : outputs.keySet().iterator().next();
        if (logits == null) {
            throw new ImportedModelException(key + ".import: " + file + " has no float32 output to read logits from");
        }
        taps.put(Outputs.LOGITS, logits);
        if (asked != null) {
            asked.forEach((tap, output) -> taps.putIfAbsent(tap, output));
        } else {
            outputs.keySet().stream().filter(o -> !o.equals(logits)).forEach(o -> taps.put(o, o));
        }
        for (Map.Entry<String, String> t : taps.entrySet()) {
            Shape s = outputs.get(t.getValue());
            if (s == null) {
                throw new ImportedModelException(key + ".taps." + t.getKey() + ": " + file + " has no float32 output '"
                        + t.getValue() + "'; its outputs are " + describe(outputs));
            }
            tapShapes.put(t.getKey(), s);
        }
        Shape l = tapShapes.get(Outputs.LOGITS);
        if (l.dimension() != 1 || l.get(0) != numClasses) {
            throw new ImportedModelException(key + ".import: " + file + ": its logits (output '" + logits
                    + "') have per-sample shape " + l + " but the data has " + numClasses + " classes"
                    + (outputs.size() > 1 ? "; choose the logits output with taps: {logits: NAME} (outputs: "
                            + describe(outputs) + ")" : ""));
        }
    }

    private boolean takesOnlyOne(NDManager scope) {
        try {
            run(scope.zeros(batchShape(1)));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private Shape batchShape(long batch) {
        return new Shape(batch).addAll(new Shape(sampleShape));
    }

    private static String describe(Map<String, Shape> outputs) {
        List<String> out = new ArrayList<>();
        outputs.forEach((name, s) -> out.add(name + " " + s));
        return out.toString();
    }

    /**
     * The graph's outputs on {@code x} (already prepared as the graph expects), named, as arrays of
     * {@code x}'s manager. ONNX Runtime keeps its own arrays: the input is copied in, and each
     * output copied out and released at once.
     */
    private NDList run(NDArray x) {
        if (textInputs != null) {
            return runText(x, null, false);
        }
        NDManager target = x.getManager();
        if (format == Format.TORCHSCRIPT) {
            NDList out = model.getBlock().forward(new ParameterStore(target, false), new NDList(x), false);
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).getName() == null) {
                    out.get(i).setName(unnamed(i));
                }
            }
            return out;
        }
        try (NDManager ort = model.getNDManager().newSubManager()) {
            NDArray in = ort.create(x.toFloatArray(), x.getShape());
            NDList result = model.getBlock().forward(new ParameterStore(ort, false), new NDList(in), false);
            NDList out = new NDList();
            for (NDArray r : result) {
                NDArray copy = r.getDataType() == DataType.FLOAT32 ? target.create(r.toFloatArray(), r.getShape())
                        : target.zeros(r.getShape(), r.getDataType()); // shape only: never a tap
                copy.setName(r.getName());
                out.add(copy);
            }
            return out;
        }
    }

    /** A text encoder without a mask reads {@code id != 0} as its attention mask; prefer {@link #infer(Batch)}. */
    @Override
    public Outputs infer(NDArray inputs) {
        return answer(textInputs != null ? runText(inputs, null, true) : run(inputMap.apply(inputs)));
    }

    /** A text encoder feeds the batch's {@link Batch#ATTENTION_MASK} to its graph (when the batch has none: {@code id != 0}). */
    @Override
    public Outputs infer(Batch batch) {
        return textInputs != null ? answer(runText(batch.input(), mask(batch), true)) : infer(batch.input());
    }

    @Override
    public Outputs inferUncached(NDArray inputs) {
        return textInputs != null ? answer(runText(inputs, null, false)) : infer(inputs);
    }

    @Override
    public Outputs inferUncached(Batch batch) {
        return textInputs != null ? answer(runText(batch.input(), mask(batch), false)) : infer(batch.input());
    }

    private static NDArray mask(Batch batch) {
        return batch.hasInput(Batch.ATTENTION_MASK) ? batch.input(Batch.ATTENTION_MASK) : null;
    }

    @Override
    public boolean takesTokens() {
        return textInputs != null;
    }

    /** Whether it is a text encoder: an ONNX graph taking {@code input_ids} and {@code attention_mask}. */
    public boolean isTextEncoder() {
        return textInputs != null;
    }

    private Outputs answer(NDList out) {
        Map<String, NDArray> byOutput = new LinkedHashMap<>();
        for (NDArray a : out) {
            byOutput.put(a.getName(), a);
        }
        Map<String, NDArray> result = new LinkedHashMap<>();
        taps.forEach((tap, output) -> result.put(tap, byOutput.get(output).stopGradient()));
        return new Outputs(result);
    }

    /** The values a forward pass uses: TorchScript's parameters, ONNX's initializers. */
    private long countParameters() {
        if (format == Format.TORCHSCRIPT) {
            long n = 0;
            for (var p : model.getBlock().getParameters()) {
                n += p.getValue().getArray().size();
            }
            return n;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.size() > Integer.MAX_VALUE ? -1
                    : OnnxWeights.count(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public long[] sampleShape() {
        return sampleShape.clone();
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public List<String> tapNames() {
        return List.copyOf(taps.keySet());
    }

    /** Tap name → the graph output it reads, logits first. */
    public Map<String, String> taps() {
        return java.util.Collections.unmodifiableMap(taps);
    }

    @Override
    public TapShapes tapShapes(String role) {
        return new TapShapes(role, tapShapes);
    }

    /** The SHA-256 of the model file. */
    @Override
    public String weightsDigest() {
        return sha256;
    }

    /** The file's SHA-256, the preprocessing and the taps: change any and its answers change. */
    @Override
    public String answersDigest() {
        return sha256 + ";" + format.label + ";preprocess(" + spec.preprocess() + ");taps" + taps
                + (head == null ? "" : ";head(" + head.digest() + ")");
    }

    @Override
    public String describe() {
        return format.label + " " + file.getFileName();
    }

    @Override
    public long parameterCount() {
        return parameters;
    }

    @Override
    public long sizeBytes() {
        return fileBytes;
    }

    @Override
    public void freeze() {
        // imported graphs never learn: DJL loads TorchScript parameters frozen, ONNX has none to train
    }

    @Override
    public void close() {
        try {
            saveCache();
        } catch (IOException e) {
            // a cache is an optimisation: the next run computes the embeddings again
        } finally {
            model.close();
        }
    }

    @Override
    public String toString() {
        return describe() + " (sha256 " + sha256.substring(0, 12) + "…, taps " + taps + ")";
    }

    /** While fitting the head, the embedding cache is written after every this many texts. */
    static final int CACHE_EVERY = 1024;

    /** Texts a text encoder runs at once. */
    static final int ENCODE_CHUNK = 16;

    /** Tap of a text encoder: the mask-aware mean of its last hidden states, one vector per text. */
    public static final String POOLED = "pooled";

    /** A text encoder's graph inputs in graph order, or null when the graph is not one. */
    private static List<String> textInputs(Model model, Format format) {
        if (format != Format.ONNX) {
            return null;
        }
        List<String> names = new ArrayList<>();
        var described = model.describeInput();
        if (described != null) {
            for (int i = 0; i < described.size(); i++) {
                names.add(described.get(i).getKey());
            }
        }
        if (!names.contains("input_ids") || !names.contains("attention_mask")) {
            return null;
        }
        for (String n : names) {
            if (!List.of("input_ids", "attention_mask", "token_type_ids").contains(n)) {
                return null;
            }
        }
        return List.copyOf(names);
    }

    /**
     * A text encoder's answers to token ids {@code x} ({@code [N, L]} floats) with their attention
     * mask {@code m} ({@code [N, L]}, 1 = a real token; the batch's {@link Batch#ATTENTION_MASK}, or
     * when null — a bare array, the import's probe — {@code id != 0}): the graph gets int64
     * {@code input_ids}, {@code attention_mask} and zero {@code token_type_ids}; its first output,
     * the last hidden states {@code [N, L, H]}, is mean-pooled over the unmasked tokens
     * (sentence-transformers' pooling) into {@code pooled}, and the head maps that to
     * {@code logits}. With {@code cached}, rows (ids and mask) seen before are not run again.
     */
    private NDList runText(NDArray x, NDArray m, boolean cached) {
        NDManager target = x.getManager();
        int n = Math.toIntExact(x.getShape().get(0));
        int len = Math.toIntExact(x.getShape().get(1));
        float[] ids = x.toFloatArray();
        float[] mask;
        if (m == null) {
            mask = new float[ids.length];
            for (int i = 0; i < ids.length; i++) {
                mask[i] = ids[i] != 0 ? 1 : 0;
            }
        } else {
            if (!m.getShape().equals(x.getShape())) {
                throw new IllegalArgumentException(key + ": the batch's " + Batch.ATTENTION_MASK + " has shape "
                        + m.getShape() + " but its token ids " + x.getShape());
            }
            mask = m.toType(DataType.FLOAT32, false).toFloatArray();
        }
        float[][] pooled = new float[n][];
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pooled[i] = cached ? pooledCache.get(cacheKey(ids, mask, i * len, len)) : null;
            if (pooled[i] == null) {
                todo.add(i);
            }
        }
        if (!todo.isEmpty()) {
            // In chunks of ENCODE_CHUNK texts: ONNX Runtime's per-text time grows with larger batches here.
            float[][] fresh = new float[todo.size()][];
            for (int from = 0; from < todo.size(); from += ENCODE_CHUNK) {
                List<Integer> part = todo.subList(from, Math.min(todo.size(), from + ENCODE_CHUNK));
                System.arraycopy(encode(ids, mask, len, part), 0, fresh, from, part.size());
            }
            for (int t = 0; t < todo.size(); t++) {
                int i = todo.get(t);
                pooled[i] = fresh[t];
                if (cached) {
                    pooledCache.put(cacheKey(ids, mask, i * len, len), fresh[t]);
                }
            }
        }
        int h = pooled[0].length;
        float[] flat = new float[n * h];
        for (int i = 0; i < n; i++) {
            System.arraycopy(pooled[i], 0, flat, i * h, h);
        }
        NDArray p = target.create(flat, new Shape(n, h));
        p.setName(POOLED);
        NDArray logits = target.create(head.apply(flat, n, h), new Shape(n, head.numClasses()));
        logits.setName(Outputs.LOGITS);
        return new NDList(logits, p);
    }

    /**
     * The embedding cache's key of one text: its {@code len} token ids from {@code at}, each id
     * where the mask attends and {@code −1 − id} where it does not (ids are ≥ 0), so the same ids
     * under another mask are another text.
     */
    private static java.nio.FloatBuffer cacheKey(float[] ids, float[] mask, int at, int len) {
        float[] k = new float[len];
        for (int j = 0; j < len; j++) {
            k[j] = mask[at + j] != 0 ? ids[at + j] : -1 - ids[at + j];
        }
        return java.nio.FloatBuffer.wrap(k);
    }

    /** Runs the encoder on rows {@code rows} of {@code ids} under {@code attention}; returns their pooled embeddings. */
    private float[][] encode(float[] ids, float[] attention, int len, List<Integer> rows) {
        int n = rows.size();
        long[] in = new long[n * len];
        long[] mask = new long[n * len];
        for (int t = 0; t < n; t++) {
            int base = rows.get(t) * len;
            for (int j = 0; j < len; j++) {
                in[t * len + j] = (long) ids[base + j];
                mask[t * len + j] = attention[base + j] != 0 ? 1 : 0;
            }
        }
        Shape shape = new Shape(n, len);
        try (NDManager ort = model.getNDManager().newSubManager()) {
            NDList inputs = new NDList();
            for (String name : textInputs) {
                NDArray a = switch (name) {
                    case "input_ids" -> ort.create(in, shape);
                    case "attention_mask" -> ort.create(mask, shape);
                    default -> ort.create(new long[n * len], shape);
                };
                a.setName(name);
                inputs.add(a);
            }
            NDList result;
            try {
                result = model.getBlock().forward(new ParameterStore(ort, false), inputs, false);
            } catch (RuntimeException e) {
                throw new ImportedModelException(key + ".import: " + file + " rejects token ids of length " + len
                        + ": " + engineMessage(e));
            }
            NDArray hidden = result.get(0);
            Shape hs = hidden.getShape();
            if (hs.dimension() != 3 || hs.get(0) != n || hs.get(1) != len) {
                throw new ImportedModelException(key + ".import: " + file + ": a text encoder's first output must be "
                        + "the hidden states [batch, tokens, width]; it is " + hs);
            }
            int h = Math.toIntExact(hs.get(2));
            float[] v = hidden.toFloatArray();
            float[][] out = new float[n][h];
            for (int t = 0; t < n; t++) {
                int count = 0;
                for (int j = 0; j < len; j++) {
                    if (mask[t * len + j] != 0) {
                        count++;
                        int at = (t * len + j) * h;
                        for (int c = 0; c < h; c++) {
                            out[t][c] += v[at + c];
                        }
                    }
                }
                for (int c = 0; c < h; c++) {
                    out[t][c] /= Math.max(count, 1);
                }
            }
            return out;
        }
    }

    /**
     * Fits a text encoder's head on the pooled embeddings of {@code train} (the encoder frozen):
     * see {@link TextHead#fit}. Every embedding is computed once and kept for the run.
     *
     * @return the head's training accuracy
     */
    public double fitHead(org.distill4j.data.Dataset train, NDManager root) {
        if (textInputs == null) {
            throw new IllegalStateException("not a text encoder");
        }
        int n = train.size();
        float[] x = null;
        int h = -1;
        int batch = 64;
        org.distill4j.data.BatchLoader loader = new org.distill4j.data.BatchLoader(train, batch, false, 0, false);
        for (int[] positions : loader.plan(0)) {
            int from = positions[0];
            if (from > 0 && from % CACHE_EVERY == 0) {
                try {
                    saveCache(); // an interrupted first pass keeps what it computed
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            int b = positions.length;
            try (NDManager scope = root.newSubManager()) {
                Batch texts = loader.load(scope, positions); // token ids and, from a text source, their masks
                NDArray p = runText(texts.input(), mask(texts), true).get(1);
                if (x == null) {
                    h = Math.toIntExact(p.getShape().get(1));
                    x = new float[n * h];
                }
                System.arraycopy(p.toFloatArray(), 0, x, from * h, b * h);
            }
        }
        head = TextHead.fit(x, train.labels(), n, h, numClasses, train.digest());
        return head.accuracy(x, train.labels(), n, h);
    }

    /** Rows keyed by token ids alone (the mask was {@code id != 0}): still read, as keys of that mask. */
    private static final long CACHE_MAGIC_IDS = 0x6434_6a74_7874_6331L; // "d4jtxtc1"
    private static final long CACHE_MAGIC = 0x6434_6a74_7874_6332L; // "d4jtxtc2"
    private Path cacheFile;
    private int cacheSaved = -1;

    /**
     * Keeps a text encoder's pooled embeddings in {@code file} across runs: reads the rows it
     * holds (when it was written for this graph file and token length; otherwise it is ignored
     * and rewritten) and writes all rows back on {@link #saveCache} and {@link #close}. The file
     * holds the graph's SHA-256, the token length, the width, then (key, embedding) rows, a key
     * being a text's ids and mask as {@link #cacheKey} folds them (a file of the previous layout,
     * keyed by ids alone under the mask {@code id != 0}, is read as such and rewritten).
     */
    public void useCache(Path file) throws IOException {
        cacheFile = file;
        if (!Files.isRegularFile(file)) {
            return;
        }
        int len = Math.toIntExact(sampleShape[0]);
        try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            long magic = in.readLong();
            boolean idsOnly = magic == CACHE_MAGIC_IDS;
            if (magic != CACHE_MAGIC && !idsOnly || !in.readUTF().equals(sha256) || in.readInt() != len) {
                return;
            }
            int h = in.readInt();
            int rows = in.readInt();
            for (int r = 0; r < rows; r++) {
                float[] ids = new float[len];
                for (int j = 0; j < len; j++) {
                    int v = in.readInt();
                    ids[j] = idsOnly && v == 0 ? -1 : v; // id 0 was padding, out of the mask
                }
                float[] e = new float[h];
                for (int j = 0; j < h; j++) {
                    e[j] = in.readFloat();
                }
                pooledCache.put(java.nio.FloatBuffer.wrap(ids), e);
            }
            cacheSaved = idsOnly ? -1 : pooledCache.size(); // the previous layout is written anew
        } catch (java.io.EOFException e) {
            pooledCache.clear(); // a truncated file: computed again
        }
    }

    /** Writes the kept embeddings to the {@link #useCache} file, if any were added since it was read. */
    public void saveCache() throws IOException {
        if (cacheFile == null || pooledCache.size() == cacheSaved || pooledCache.isEmpty()) {
            return;
        }
        int len = Math.toIntExact(sampleShape[0]);
        int h = pooledCache.values().iterator().next().length;
        org.distill4j.io.AtomicFile.createDirectories(cacheFile.getParent());
        org.distill4j.io.AtomicFile.write(cacheFile, out -> {
            var d = new java.io.DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
            d.writeLong(CACHE_MAGIC);
            d.writeUTF(sha256);
            d.writeInt(len);
            d.writeInt(h);
            d.writeInt(pooledCache.size());
            for (Map.Entry<java.nio.FloatBuffer, float[]> e : pooledCache.entrySet()) {
                java.nio.FloatBuffer ids = e.getKey();
                for (int j = 0; j < len; j++) {
                    d.writeInt((int) ids.get(j));
                }
                for (float v : e.getValue()) {
                    d.writeFloat(v);
                }
            }
            d.flush();
        });
        cacheSaved = pooledCache.size();
    }

    /** The number of texts whose pooled embedding is kept. */
    public int cachedTexts() {
        return pooledCache.size();
    }

    /** The SHA-256 of a file, read in a stream (a model may be larger than memory allows twice). */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What an engine said, on one line: the root cause's message, for a TorchScript interpreter
     * trace its last line (the error itself, after the stack of the graph's code).
     */
    static String engineMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        List<String> lines = m.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
        String one = m.contains("TorchScript interpreter") && !lines.isEmpty() ? lines.get(lines.size() - 1)
                : String.join(" ", lines);
        return one.length() > 400 ? one.substring(0, 400) + " …" : one;
    }

    /**
     * The per-channel (or per-feature) affine map from the run's normalised inputs to what the
     * graph expects: {@code x · a_k + b_k} with {@code a_k = σ_k · scale / std_k} and
     * {@code b_k = (μ_k · scale − mean_k) / std_k}, where μ, σ are the run's statistics.
     */
    private record InputMap(float[] a, float[] b, Shape broadcast) {
        static InputMap of(String key, Preprocess p, Normalisation data) {
            int groups = data.mean().size();
            String unit = data.layout() == Normalisation.Layout.PER_CHANNEL ? "channel" : "feature";
            List<Double> mean = perGroup(key + ".preprocess.mean", p.mean(), groups, unit);
            List<Double> std = perGroup(key + ".preprocess.std", p.std(), groups, unit);
            float[] a = new float[groups];
            float[] b = new float[groups];
            for (int g = 0; g < groups; g++) {
                a[g] = (float) (data.std().get(g) * p.scale() / std.get(g));
                b[g] = (float) ((data.mean().get(g) * p.scale() - mean.get(g)) / std.get(g));
            }
            long[] dims = new long[data.sampleShape().size() + 1];
            Arrays.fill(dims, 1);
            dims[1] = groups;
            return new InputMap(a, b, new Shape(dims));
        }

        private static List<Double> perGroup(String what, List<Double> values, int groups, String unit) {
            if (values.size() == 1) {
                return java.util.Collections.nCopies(groups, values.get(0));
            }
            if (values.size() != groups) {
                throw new ImportedModelException(what + ": " + values.size() + " values, but the samples have "
                        + groups + " " + unit + (groups == 1 ? "" : "s") + "; give one value or one per " + unit);
            }
            return values;
        }

        NDArray apply(NDArray x) {
            NDManager m = x.getManager();
            boolean uniform = true;
            for (int g = 1; g < a.length; g++) {
                uniform &= a[g] == a[0] && b[g] == b[0];
            }
            if (uniform) {
                return Scalars.mul(x, a[0]).add(b[0]);
            }
            return x.mul(m.create(a, broadcast)).add(m.create(b, broadcast));
        }
    }

    /**
     * Counts an ONNX model's weights from its protobuf wire format, which needs three fields:
     * {@code ModelProto.graph} (7) → {@code GraphProto.initializer} (5) → {@code TensorProto.dims}
     * (1). Written by hand because no small library reads ONNX on the JVM (ONNX Runtime's Java
     * API does not list initializers, and protobuf with ONNX's generated classes would be a
     * dependency for one number). An unreadable file gives -1 (shown as unknown).
     */
    static final class OnnxWeights {
        private OnnxWeights() {}

        static long count(ByteBuffer model) {
            try {
                long total = 0;
                ByteBuffer m = model.duplicate();
                while (m.hasRemaining()) {
                    long tag = varint(m);
                    if (tag >>> 3 == 7 && (tag & 7) == 2) {
                        ByteBuffer graph = slice(m);
                        while (graph.hasRemaining()) {
                            long gtag = varint(graph);
                            if (gtag >>> 3 == 5 && (gtag & 7) == 2) {
                                total += elements(slice(graph));
                            } else {
                                skip(graph, (int) (gtag & 7));
                            }
                        }
                    } else {
                        skip(m, (int) (tag & 7));
                    }
                }
                return total;
            } catch (RuntimeException e) {
                return -1;
            }
        }

        private static long elements(ByteBuffer tensor) {
            long n = 1;
            while (tensor.hasRemaining()) {
                long tag = varint(tensor);
                if (tag >>> 3 == 1 && (tag & 7) == 0) {
                    n *= varint(tensor);
                } else if (tag >>> 3 == 1 && (tag & 7) == 2) {
                    ByteBuffer packed = slice(tensor);
                    while (packed.hasRemaining()) {
                        n *= varint(packed);
                    }
                } else {
                    skip(tensor, (int) (tag & 7));
                }
            }
            return n;
        }

        private static ByteBuffer slice(ByteBuffer b) {
            int length = Math.toIntExact(varint(b));
            ByteBuffer s = b.slice(b.position(), length);
            b.position(b.position() + length);
            return s;
        }

        private static void skip(ByteBuffer b, int wireType) {
            switch (wireType) {
                case 0 -> varint(b);
                case 1 -> b.position(b.position() + 8);
                case 2 -> slice(b);
                case 5 -> b.position(b.position() + 4);
                default -> throw new IllegalArgumentException("wire type " + wireType);
            }
        }

        private static long varint(ByteBuffer b) {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte x = b.get();
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("varint too long");
        }
    }
}

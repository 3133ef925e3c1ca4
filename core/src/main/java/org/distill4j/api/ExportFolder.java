package org.distill4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.data.Preprocessing;
import org.distill4j.io.AtomicFile;
import org.distill4j.io.DamagedFileException;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.model.Architecture;
import org.distill4j.model.ExportedNetwork;
import org.distill4j.model.Network;

/**
 * A trained network as a self-describing folder that another program or framework can load
 * without distill4j's classes (layout and schemas: {@code docs/export.md}):
 *
 * <pre>
 * manifest.json          what it is, where it came from, and the SHA-256 of every other file
 * architecture.json      the network layer by layer ({@link Architecture})
 * weights.safetensors    every tensor the architecture names (F32)
 * preprocessing.json     input shape, raw values, image conversion, normalisation ({@link Preprocessing})
 * classes.json           the class names, in class-index order
 * tokenizer.json         a text student's tokenizer (the run's file, copied), named in preprocessing.json
 * reference.safetensors  optional: test inputs (raw and normalised), their labels and the logits distill4j gave
 * retrieval/             a ReAugKD student's knowledge base (Lucene HNSW index and kb.json), each file listed
 * </pre>
 *
 * Reading verifies every file listed in the manifest against its SHA-256 before anything is
 * parsed; a damaged or missing file is a {@link DamagedFileException} naming it.
 */
public final class ExportFolder {
    public static final String FORMAT = "distill4j-export";
    public static final int VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    public static final String ARCHITECTURE = "architecture.json";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String PREPROCESSING = "preprocessing.json";
    public static final String CLASSES = "classes.json";
    public static final String REFERENCE = "reference.safetensors";
    /** The folder of a retrieving student's knowledge base (ReAugKD), its files listed as {@code retrieval/<file>}. */
    public static final String RETRIEVAL = "retrieval";
    private static final List<String> REQUIRED = List.of(ARCHITECTURE, WEIGHTS, PREPROCESSING, CLASSES);
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    /** Random inputs every export is checked on, beside the reference inputs if any. */
    private static final int SELF_CHECK_SAMPLES = 16;
    private static final int BATCH = 500;
    /** The range of the random token ids a text student is checked on (BERT's WordPiece has 30,522). */
    private static final int TOKEN_IDS = 30521;

    private ExportFolder() {
    }

    /**
     * Inputs and outputs to ship with an export, so a port can be checked against distill4j: {@code count}
     * samples with their raw values (as the data source reads them), their normalised values (what the
     * network takes), their labels and the logits distill4j gave, each row-major; for a text student
     * also the tokenizer's attention masks of the texts ({@code attentionMask}, laid out as {@code
     * input}, written as the tensor {@code attention_mask}; null otherwise), which its masked pooling read.
     */
    public record Reference(int count, float[] raw, float[] input, int[] labels, float[] logits, float[] attentionMask) {
        /** A reference without attention masks (a student that does not read text). */
        public Reference(int count, float[] raw, float[] input, int[] labels, float[] logits) {
            this(count, raw, input, labels, logits, null);
        }
    }

    /** What the export self-check found: the reloaded folder's logits against the network's. */
    public record Written(Path dir, int checkedSamples, double maxAbsDiff) {
    }

    /** A verified export, parsed. */
    public record Contents(Path dir, JsonNode manifest, Architecture architecture,
            Map<String, ExportedNetwork.Tensor> weights, Preprocessing preprocessing, List<String> classNames) {
        /** The model's name in its run (e.g. {@code student-kd}). */
        public String model() {
            return manifest.path("model").asText();
        }
    }

    /** Whether {@code dir} looks like an export folder (it has a manifest). */
    public static boolean isExport(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /**
     * Checks that {@code out} can receive an export: absent, an empty folder, or (with {@code replace})
     * an earlier export. A folder that holds anything else is never replaced.
     *
     * @throws FileAlreadyExistsException saying why not
     */
    public static void checkTarget(Path out, boolean replace) throws IOException {
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw new FileAlreadyExistsException(out.toString(), null, out + " exists and is not a folder");
        }
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isEmpty()) {
                return;
            }
        }
        if (!replace) {
            throw new FileAlreadyExistsException(out.toString(), null, out + " exists and is not empty; choose another"
                    + " folder" + (isExport(out) ? ", or replace that export with --force" : ""));
        }
        if (!isExport(out)) {
            throw new FileAlreadyExistsException(out.toString(), null, out + " is not empty and is not an export"
                    + " folder (no " + MANIFEST + "): it is never replaced; choose another folder");
        }
    }

    /**
     * Writes {@code net} as an export folder {@code out}, all or nothing: the files are written into a
     * temporary folder beside it, which then takes its place. The written folder is read back
     * (checksums verified) and run on the reference inputs and on {@value #SELF_CHECK_SAMPLES} random
     * inputs; its logits must equal the network's within 1e-5.
     *
     * @param about what the manifest says about the model's origin (its run, file, metrics); may be empty
     * @param reference inputs and outputs to ship with it, or null
     * @param replace replace an earlier export at {@code out}
     */
    public static Written write(Path out, String model, Network net, Preprocessing preprocessing,
            List<String> classNames, Map<String, Object> about, Reference reference, boolean replace)
            throws IOException {
        return write(out, model, net, preprocessing, classNames, about, reference, replace, null);
    }

    /**
     * As above, the student retrieving at inference from the knowledge base in {@code knowledgeBase}
     * (null: none), which is copied into {@value #RETRIEVAL}/ and checked (its checksums) before
     * the folder takes its place.
     */
    public static Written write(Path out, String model, Network net, Preprocessing preprocessing,
            List<String> classNames, Map<String, Object> about, Reference reference, boolean replace,
            Path knowledgeBase) throws IOException {
        checkTarget(out, replace);
        if (classNames.size() != net.numClasses()) {
            throw new IllegalArgumentException(classNames.size() + " class names for a network of " + net.numClasses()
                    + " classes");
        }
        Architecture.Bound bound = Architecture.of(net);
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".export-");
        try {
            Map<String, SafeTensors.Tensor> weights = new LinkedHashMap<>();
            ExportedNetwork.tensorsOf(bound).forEach((k, t) -> weights.put(k, SafeTensors.Tensor.f32(t.data(), t.shape())));
            SafeTensors.write(tmp.resolve(WEIGHTS), weights, Map.of("format", FORMAT, "architecture", ARCHITECTURE));
            writeJson(tmp.resolve(ARCHITECTURE), bound.architecture());
            List<String> files = new ArrayList<>(REQUIRED);
            Preprocessing.Text text = preprocessing.text();
            if (text != null) { // the export reads raw text on its own: it carries the run's tokenizer
                Path tok = tmp.resolve(Preprocessing.Text.TOKENIZER_FILE);
                Files.copy(Path.of(text.tokenizer()), tok);
                if (!sha256(tok).equals(text.sha256())) {
                    throw new IOException("tokenizer " + text.tokenizer() + " changed while it was copied; export again");
                }
                preprocessing = preprocessing.withText(text.withTokenizer(Preprocessing.Text.TOKENIZER_FILE));
                files.add(Preprocessing.Text.TOKENIZER_FILE);
            }
            writeJson(tmp.resolve(PREPROCESSING), preprocessing);
            writeJson(tmp.resolve(CLASSES), classNames);
            if (reference != null) {
                writeReference(tmp.resolve(REFERENCE), reference, net);
                files.add(REFERENCE);
            }
            if (knowledgeBase != null) {
                Path kb = Files.createDirectory(tmp.resolve(RETRIEVAL));
                for (Path f : org.distill4j.knowledge.KnowledgeBase.files(knowledgeBase)) {
                    Files.copy(f, kb.resolve(f.getFileName()));
                    files.add(RETRIEVAL + "/" + f.getFileName());
                }
                org.distill4j.knowledge.KnowledgeBase.open(kb, null).close(); // the copy is whole
            }
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT).put("version", VERSION).put("model", model)
                    .put("architecture", net.spec().describe()).put("parameters", net.parameterCount())
                    .put("inputShape", bound.architecture().inputShape().toString()).put("classes", classNames.size())
                    .put("createdAt", Instant.now().toString()).put("distill4j", org.distill4j.run.Experiment.VERSION);
            manifest.set("zoo", JSON.valueToTree(net.spec()));
            manifest.set("from", JSON.valueToTree(about));
            if (knowledgeBase != null) {
                manifest.put("retrieval", RETRIEVAL);
            }
            ObjectNode listed = manifest.putObject("files");
            for (String f : files) {
                listed.putObject(f).put("sha256", sha256(tmp.resolve(f))).put("bytes", Files.size(tmp.resolve(f)));
            }
            writeJson(tmp.resolve(MANIFEST), manifest);
            double diff = selfCheck(tmp, net, reference, text != null);
            place(tmp, out);
            return new Written(out, SELF_CHECK_SAMPLES + (reference == null ? 0 : reference.count()), diff);
        } finally {
            deleteTree(tmp);
        }
    }

    private static void writeJson(Path file, Object value) throws IOException {
        AtomicFile.write(file, o -> JSON.writeValue(o, value));
    }

    private static void writeReference(Path file, Reference r, Network net) throws IOException {
        long[] sample = net.sampleShape();
        long[] dims = new long[sample.length + 1];
        dims[0] = r.count();
        System.arraycopy(sample, 0, dims, 1, sample.length);
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("raw", SafeTensors.Tensor.f32(r.raw(), dims));
        t.put("input", SafeTensors.Tensor.f32(r.input(), dims));
        t.put("labels", SafeTensors.Tensor.i32(r.labels(), r.count()));
        t.put("logits", SafeTensors.Tensor.f32(r.logits(), r.count(), net.numClasses()));
        if (r.attentionMask() != null) {
            t.put(org.distill4j.data.Batch.ATTENTION_MASK, SafeTensors.Tensor.f32(r.attentionMask(), dims));
        }
        SafeTensors.write(file, t, Map.of("format", FORMAT + "-reference",
                "note", "raw = input * std + mean (recovered from the normalised test set, float32)"));
    }

    /** The largest |logit difference| between the written folder run alone and the network, on random and reference inputs. */
    private static double selfCheck(Path dir, Network net, Reference reference, boolean tokens) throws IOException {
        Contents c = read(dir);
        int size = 1;
        for (long d : net.sampleShape()) {
            size *= (int) d;
        }
        float[] random = new float[SELF_CHECK_SAMPLES * size];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < random.length; i++) {
            random[i] = (float) r.nextGaussian();
        }
        if (tokens) { // token ids: random ids, then padding from a random length on (at least 2 tokens)
            for (int s = 0; s < SELF_CHECK_SAMPLES; s++) {
                int len = 2 + r.nextInt(Math.max(1, size - 1));
                for (int i = 0; i < size; i++) {
                    random[s * size + i] = i < len ? 1 + r.nextInt(TOKEN_IDS) : 0;
                }
            }
        }
        double max = 0;
        try (NDManager scope = net.manager().newSubManager();
                ExportedNetwork exported = ExportedNetwork.of(c.architecture(), c.weights(), scope, dir.resolve(WEIGHTS)
                        .toString())) {
            max = Math.max(max, maxDiff(logits(net, exported, scope, random, null, SELF_CHECK_SAMPLES, true),
                    logits(net, exported, scope, random, null, SELF_CHECK_SAMPLES, false)));
            if (reference != null) {
                max = Math.max(max, maxDiff(reference.logits(), logits(net, exported, scope, reference.input(),
                        reference.attentionMask(), reference.count(), false)));
            }
        }
        if (!(max <= 1e-5)) {
            throw new IllegalStateException("export self-check failed: the exported network's logits differ from "
                    + net.spec().describe() + "'s by up to " + max);
        }
        return max;
    }

    /** The logits of {@code n} inputs under their attention masks {@code mask} (null: none), by the zoo network or the export. */
    private static float[] logits(Network net, ExportedNetwork exported, NDManager parent, float[] inputs, float[] mask,
            int n, boolean zoo) {
        long[] sample = net.sampleShape();
        int size = inputs.length / n;
        float[] out = new float[n * net.numClasses()];
        for (int from = 0; from < n; from += BATCH) {
            int count = Math.min(BATCH, n - from);
            long[] dims = new long[sample.length + 1];
            dims[0] = count;
            System.arraycopy(sample, 0, dims, 1, sample.length);
            try (NDManager scope = parent.newSubManager()) {
                NDArray x = scope.create(java.util.Arrays.copyOfRange(inputs, from * size, (from + count) * size),
                        new Shape(dims));
                NDArray m = mask == null ? null : scope.create(java.util.Arrays.copyOfRange(mask, from * size,
                        (from + count) * size), new Shape(dims));
                org.distill4j.data.Batch b = new org.distill4j.data.Batch(x, null, new int[count], null);
                float[] part = (zoo ? net.forward(m == null ? b : b.with(org.distill4j.data.Batch.ATTENTION_MASK, m),
                        false).logits() : exported.forward(x, m)).toFloatArray();
                System.arraycopy(part, 0, out, from * net.numClasses(), part.length);
            }
        }
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    /** Moves the finished temporary folder to {@code out}, replacing an empty folder or an earlier export. */
    private static void place(Path tmp, Path out) throws IOException {
        if (Files.isDirectory(out)) {
            Path old = Files.createTempDirectory(out.toAbsolutePath().getParent(), "." + out.getFileName() + ".old-");
            Files.delete(old);
            Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);
                throw AtomicFile.named(out, "cannot write", e);
            }
            deleteTree(old);
            return;
        }
        try {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw AtomicFile.named(out, "cannot write", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        AtomicFile.deleteTree(dir);
    }

    /**
     * Verifies every file the manifest lists (present, its size and SHA-256 as listed), before any is used.
     *
     * @throws DamagedFileException naming the file that is damaged, missing or not listed
     */
    public static JsonNode verify(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new IOException(dir + " is not an export folder (no " + MANIFEST + ")");
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestFile.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new DamagedFileException(manifestFile, manifestFile + " is damaged (not valid JSON: "
                    + e.getOriginalMessage() + "); export the model again", e);
        }
        if (manifest == null || !FORMAT.equals(manifest.path("format").asText())) {
            throw new DamagedFileException(manifestFile, manifestFile + " is not a " + FORMAT + " manifest");
        }
        if (manifest.path("version").asInt() != VERSION) {
            throw new IOException(manifestFile + " has export version " + manifest.path("version").asText()
                    + "; this distill4j reads version " + VERSION);
        }
        JsonNode files = manifest.path("files");
        for (String f : REQUIRED) {
            if (!files.has(f)) {
                throw new DamagedFileException(manifestFile, manifestFile + " lists no " + f
                        + "; the export is damaged or incomplete: export the model again");
            }
        }
        for (var it = files.fields(); it.hasNext();) {
            var e = it.next();
            String name = e.getKey();
            String plain = name.startsWith(RETRIEVAL + "/") ? name.substring(RETRIEVAL.length() + 1) : name;
            if (plain.contains("/") || plain.contains("\\") || plain.startsWith(".") || plain.isEmpty()) {
                throw new DamagedFileException(manifestFile, manifestFile + " lists '" + name
                        + "', which is not a file of the export folder");
            }
            Path f = dir.resolve(name);
            if (!Files.isRegularFile(f)) {
                throw new DamagedFileException(f, f + " is missing (listed in " + manifestFile
                        + "); the export is incomplete: export the model again");
            }
            String want = e.getValue().path("sha256").asText();
            String got = sha256(f);
            if (!got.equals(want) || Files.size(f) != e.getValue().path("bytes").asLong(-1)) {
                throw new DamagedFileException(f, f + " is damaged: its SHA-256 is " + got.substring(0, 12) + "… ("
                        + Files.size(f) + " bytes), " + manifestFile.getFileName() + " says "
                        + (want.length() >= 12 ? want.substring(0, 12) + "…" : "'" + want + "'") + " ("
                        + e.getValue().path("bytes").asText() + " bytes); it was modified or corrupted: export the"
                        + " model again");
            }
        }
        return manifest;
    }

    /**
     * The knowledge base folder of an export whose student retrieves ({@code manifest.retrieval}), or
     * null; its files were verified with the others.
     */
    public static Path knowledgeBase(Path dir, JsonNode manifest) throws IOException {
        if (!manifest.has("retrieval")) {
            return null;
        }
        if (!RETRIEVAL.equals(manifest.path("retrieval").asText())) {
            throw new DamagedFileException(dir.resolve(MANIFEST), dir.resolve(MANIFEST) + " names retrieval folder '"
                    + manifest.path("retrieval").asText() + "'; an export's is '" + RETRIEVAL + "'");
        }
        return dir.resolve(RETRIEVAL);
    }

    /** Reads an export folder, its files verified first ({@link #verify}). */
    public static Contents read(Path dir) throws IOException {
        JsonNode manifest = verify(dir);
        Architecture architecture = parse(dir.resolve(ARCHITECTURE), Architecture.class);
        Preprocessing preprocessing = parse(dir.resolve(PREPROCESSING), Preprocessing.class);
        List<String> classes = List.of(parse(dir.resolve(CLASSES), String[].class));
        if (classes.size() != architecture.numClasses()) {
            throw new IOException(dir.resolve(CLASSES) + " names " + classes.size() + " classes but "
                    + dir.resolve(ARCHITECTURE) + " has " + architecture.numClasses());
        }
        if (!preprocessing.inputShape().equals(architecture.inputShape())) {
            throw new IOException(dir.resolve(PREPROCESSING) + " is for inputs of shape " + preprocessing.inputShape()
                    + " but " + dir.resolve(ARCHITECTURE) + " takes " + architecture.inputShape());
        }
        if (preprocessing.text() != null && !manifest.path("files").has(preprocessing.text().tokenizer())) {
            throw new DamagedFileException(dir.resolve(MANIFEST), dir.resolve(MANIFEST) + " lists no "
                    + preprocessing.text().tokenizer() + ", the tokenizer " + PREPROCESSING + " names; the export is"
                    + " incomplete: export the model again");
        }
        Path weightsFile = dir.resolve(WEIGHTS);
        Map<String, ExportedNetwork.Tensor> weights = new LinkedHashMap<>();
        for (var e : SafeTensors.open(weightsFile).tensors().entrySet()) {
            if (e.getValue().dtype().equals("F32")) {
                weights.put(e.getKey(), new ExportedNetwork.Tensor(e.getValue().shape(), e.getValue().floats()));
            }
        }
        return new Contents(dir, manifest, architecture, weights, preprocessing, classes);
    }

    /** The reference inputs and outputs of an export, or null if it has none. */
    public static Reference reference(Path dir) throws IOException {
        Path file = dir.resolve(REFERENCE);
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, SafeTensors.View> t = SafeTensors.open(file).tensors();
        for (String name : List.of("raw", "input", "labels", "logits")) {
            if (!t.containsKey(name)) {
                throw new IOException(file + " has no tensor '" + name + "'");
            }
        }
        return new Reference((int) t.get("labels").rows(), t.get("raw").floats(), t.get("input").floats(),
                t.get("labels").ints(), t.get("logits").floats());
    }

    private static <T> T parse(Path file, Class<T> type) throws IOException {
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + " is not a valid " + file.getFileName() + ": " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    static String sha256(Path file) throws IOException {
        return org.distill4j.io.Provenance.sha256(file);
    }
}

package org.distill4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.distill4j.data.Normalisation;
import org.distill4j.data.Preprocessing;
import org.distill4j.data.TextTokenizer;
import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.model.Architecture;
import org.distill4j.model.ExportedNetwork;
import org.distill4j.model.Network;
import org.distill4j.run.Experiment;
import org.distill4j.run.TrainedModel;

/**
 * A trained network ready to classify new inputs inside a service: loaded from an export folder
 * ({@code ./distill export}, see {@link ExportFolder}) or straight from a finished run, it applies
 * the preprocessing the network was trained with and answers a {@link Prediction}.
 *
 * <pre>{@code
 * try (Student student = Student.load(Path.of("exports/fashion"))) {
 *     Prediction p = student.predict(ImageIO.read(new File("shirt.png")));
 *     System.out.println(p.className() + " " + p.probability());
 * }
 * }</pre>
 *
 * <p>{@code predict} may be called from many threads at once: each call works in its own
 * scope and only reads the weights, and a call's answer does not depend on other calls.
 * A student prints nothing and changes no global setting (engine threads, system properties);
 * it holds native memory until {@link #close}d.
 *
 * <p>A text student ({@code text-cnn}, {@code ngram-mlp}) carries its tokenizer: {@link #predict(String)}
 * and {@link #predict(List)} tokenise as the run did ({@link Preprocessing.Text}) and classify.
 *
 * <pre>{@code
 * try (Student spam = Student.load(Path.of("exports/spam"))) {
 *     Prediction p = spam.predict("Subject: you have won a prize ...");
 * }
 * }</pre>
 *
 * <p>A ReAugKD student (scheme {@code reaugkd}) carries its knowledge base: each prediction mixes
 * the network's with the soft labels of the k stored teacher embeddings nearest to its embedding
 * ({@link KnowledgeBase#mix}); {@link #retrieves()} says so.
 */
public final class Student implements AutoCloseable {
    private final String name;
    private final String architecture;
    private final Preprocessing preprocessing;
    private final Normalisation normalisation;
    private final long[] inputShape;
    private final NDManager manager;
    private final ExportedNetwork network;
    private final KnowledgeBase knowledgeBase;
    private final String queryTap;
    private final TextTokenizer tokenizer;
    private volatile boolean closed;

    /** @param dir the folder a text preprocessing's relative tokenizer path is read against */
    private Student(String name, Architecture arch, java.util.Map<String, ExportedNetwork.Tensor> weights,
            Preprocessing preprocessing, List<String> classNames, String where, KnowledgeBase knowledgeBase, Path dir)
            throws IOException {
        this.name = name;
        this.knowledgeBase = knowledgeBase;
        this.queryTap = knowledgeBase == null ? null : queryTap(arch, knowledgeBase);
        this.architecture = arch.model();
        this.preprocessing = preprocessing;
        this.normalisation = preprocessing.normalisation(classNames);
        this.manager = NDManager.newBaseManager();
        try {
            this.network = ExportedNetwork.of(arch, weights, manager, where);
            this.tokenizer = tokenizer(preprocessing.text(), dir);
        } catch (RuntimeException | IOException e) {
            manager.close();
            if (knowledgeBase != null) {
                knowledgeBase.close();
            }
            throw e;
        }
        this.inputShape = network.sampleShape();
    }

    /** The tokenizer a text student reads its texts with, checked against its recorded SHA-256; null for other students. */
    private static TextTokenizer tokenizer(Preprocessing.Text text, Path dir) throws IOException {
        if (text == null) {
            return null;
        }
        Path file = dir.resolve(text.tokenizer());
        if (Files.isRegularFile(file) && !org.distill4j.io.Provenance.sha256(file).equals(text.sha256())) {
            throw new org.distill4j.io.DamagedFileException(file, "tokenizer " + file + " is not the one the model was"
                    + " trained with (its SHA-256 differs from " + text.sha256().substring(0, 12) + "…)");
        }
        try {
            return TextTokenizer.open(file, text.maxLength());
        } catch (org.distill4j.data.DataSourceException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The stage whose output queries the knowledge base ({@code embedding}: the stage before the logits). */
    private static String queryTap(Architecture arch, KnowledgeBase kb) {
        List<String> stages = arch.stages().stream().map(Architecture.Stage::name).toList();
        String tap = kb.settings().tap();
        if (stages.contains(tap)) {
            return tap;
        }
        if (tap.equals(org.distill4j.model.Outputs.EMBEDDING) && stages.size() >= 2) {
            return stages.get(stages.size() - 2);
        }
        kb.close();
        throw new IllegalArgumentException("the knowledge base " + kb.dir() + " is queried with tap '" + tap
                + "', which the network's stages " + stages + " do not include");
    }

    /** Opens the knowledge base at {@code dir}, or null without one. */
    private static KnowledgeBase open(Path dir) throws IOException {
        return dir == null ? null : KnowledgeBase.open(dir, null);
    }

    /**
     * Loads a student from an export folder (its files verified against the manifest's checksums
     * first), or from a finished run directory (its main student, see {@link TrainedModel#mainStudent}).
     *
     * @throws org.distill4j.io.DamagedFileException naming the file, if a file fails its checksum
     * @throws IllegalArgumentException if {@code dir} is neither an export folder nor a finished run
     * @throws IOException if a file cannot be read or is not what it should be
     */
    public static Student load(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (ExportFolder.isExport(dir)) {
            ExportFolder.Contents c = ExportFolder.read(dir);
            return new Student(c.model(), c.architecture(), c.weights(), c.preprocessing(), c.classNames(),
                    dir.resolve(ExportFolder.WEIGHTS).toString(), open(ExportFolder.knowledgeBase(dir, c.manifest())), dir);
        }
        if (Files.isRegularFile(dir.resolve(Experiment.RECORD))) {
            return load(dir, null);
        }
        throw new IllegalArgumentException(dir + " is neither an export folder (no " + ExportFolder.MANIFEST
                + ") nor a finished run (no " + Experiment.RECORD + ")");
    }

    /**
     * Loads model {@code model} of the finished run in {@code runDir} (null: its main student), its
     * network file verified by its checksum and against the run's record.
     *
     * @throws IllegalArgumentException naming the run or the model, if there is no such run or model
     * @throws UnsupportedOperationException if the model's architecture has no layer description
     */
    public static Student load(Path runDir, String model) throws IOException {
        TrainedModel m = TrainedModel.find(runDir, model);
        Architecture.Bound bound;
        java.util.Map<String, ExportedNetwork.Tensor> weights;
        try (NDManager scratch = NDManager.newBaseManager(); Network net = m.load(scratch)) {
            bound = Architecture.of(net);
            weights = ExportedNetwork.tensorsOf(bound);
        }
        return new Student(m.name(), bound.architecture(), weights, m.preprocessing(), m.classNames(),
                m.file().toString(), open(m.knowledgeBase()), runDir);
    }

    /**
     * Classifies one input given as raw values, as the training data source read them (image pixels in
     * [0, 1], CSV numbers as written), in the order of {@link #inputShape()}; they are normalised here.
     * A text student given token ids this way has no attention mask and reads {@code id != 0} as one;
     * {@link #predict(String)} passes the tokenizer's.
     *
     * @throws IllegalArgumentException if the input has the wrong length or a value that is not finite
     */
    public Prediction predict(float[] raw) {
        Objects.requireNonNull(raw, "raw");
        int size = normalisation.featureSize();
        if (raw.length != size) {
            throw new IllegalArgumentException("input has " + raw.length + " values; this model takes samples of shape "
                    + normalisation.sampleShape() + ", " + size + " values");
        }
        for (int i = 0; i < raw.length; i++) {
            if (!Float.isFinite(raw[i])) {
                throw new IllegalArgumentException("input value " + i + " is " + raw[i] + "; every value must be finite");
            }
        }
        return Prediction.of(logits(normalisation.apply(raw)), normalisation.classNames());
    }

    /**
     * Classifies an image: converted to the model's input shape as the {@code images} data source
     * converts its files (luminance for 1 channel, RGB for 3; bilinear resize), then normalised.
     *
     * @throws IllegalArgumentException if the model does not take images
     */
    public Prediction predict(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        return predict(preprocessing.imageSample(image));
    }

    /**
     * Classifies one text, tokenised as the run tokenised its texts ({@link Preprocessing.Text}).
     *
     * @throws IllegalArgumentException if the model does not read text, or the text is blank
     */
    public Prediction predict(String text) {
        return predict(List.of(text)).get(0);
    }

    /**
     * Classifies texts in one batch, each tokenised as the run tokenised its texts; the answers are in
     * the order of {@code texts}.
     *
     * @throws IllegalArgumentException if the model does not read text, or a text is blank (naming its index)
     */
    public List<Prediction> predict(List<String> texts) {
        TextTokenizer.Tokens tokens = tokens(texts);
        if (texts.isEmpty()) {
            return List.of();
        }
        float[] logits = logits(normalisation.apply(tokens.ids()), tokens.attentionMask(), texts.size());
        int k = normalisation.classNames().size();
        List<Prediction> out = new java.util.ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            out.add(Prediction.of(java.util.Arrays.copyOfRange(logits, i * k, (i + 1) * k), normalisation.classNames()));
        }
        return out;
    }

    /**
     * The token ids a text student reads for {@code texts} ({@code maxLength} a text, one after another), the raw
     * values {@link #predict(float[])} takes.
     *
     * @throws IllegalArgumentException if the model does not read text, or a text is blank (naming its index)
     */
    public float[] tokenIds(List<String> texts) {
        return tokens(texts).ids();
    }

    /**
     * The token ids and the tokenizer's attention masks a text student reads for {@code texts}: what
     * {@link #predict(List)} runs the network on, the mask read by its masked pooling (a raw
     * {@link #predict(float[])} of ids has none and reads {@code id != 0} instead).
     *
     * @throws IllegalArgumentException if the model does not read text, or a text is blank (naming its index)
     */
    public TextTokenizer.Tokens tokens(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (closed) {
            throw new IllegalStateException("student " + name + " is closed");
        }
        if (tokenizer == null) {
            throw new IllegalArgumentException("student " + name + " takes samples of shape " + normalisation.sampleShape()
                    + ", not text (it was not trained on a text source)");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null || texts.get(i).isBlank()) {
                throw new IllegalArgumentException("text " + i + " is " + (texts.get(i) == null ? "null" : "blank")
                        + "; every text needs a character that is not white space");
            }
        }
        return tokenizer.tokens(texts);
    }

    /** Whether the model classifies text ({@link #predict(String)}). */
    public boolean readsText() {
        return tokenizer != null;
    }

    private float[] logits(float[] normalised) {
        return logits(normalised, null, 1);
    }

    /** The logits of {@code count} inputs; {@code mask}: token ids' attention masks, or null. */
    private float[] logits(float[] normalised, float[] mask, int count) {
        if (closed) {
            throw new IllegalStateException("student " + name + " is closed");
        }
        long[] dims = new long[inputShape.length + 1];
        dims[0] = count;
        System.arraycopy(inputShape, 0, dims, 1, inputShape.length);
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(normalised, new Shape(dims));
            NDArray m = mask == null ? null : scope.create(mask, new Shape(dims));
            if (knowledgeBase == null) {
                return network.forward(x, m).toFloatArray();
            }
            java.util.Map<String, NDArray> taps = network.forwardTaps(x, m);
            return knowledgeBase.mix(taps.get(org.distill4j.model.Outputs.LOGITS).toFloatArray(),
                    taps.get(queryTap).toFloatArray(), count);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The model's name in its run, e.g. {@code student-kd}. */
    public String name() {
        return name;
    }

    /** The zoo's description of the architecture, e.g. {@code cnn[8, 16]/64}. */
    public String architecture() {
        return architecture;
    }

    /** The shape of one input sample, e.g. {@code [1, 28, 28]} or {@code [4]}. */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** The class names, in class-index order. */
    public List<String> classNames() {
        return normalisation.classNames();
    }

    /** How raw inputs are prepared for the network. */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** Whether predictions retrieve from a knowledge base (a ReAugKD student). */
    public boolean retrieves() {
        return knowledgeBase != null;
    }

    /** Frees the weights (and the knowledge base); predicting afterwards is an error. */
    @Override
    public void close() {
        closed = true;
        manager.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (knowledgeBase != null) {
            knowledgeBase.close();
        }
    }

    @Override
    public String toString() {
        return name + " (" + architecture + ", input " + java.util.Arrays.toString(inputShape) + ", "
                + classNames().size() + " classes" + (knowledgeBase == null ? "" : ", retrieving from a knowledge base of "
                + knowledgeBase.size() + " teacher embeddings, k=" + knowledgeBase.settings().k()) + ")";
    }
}

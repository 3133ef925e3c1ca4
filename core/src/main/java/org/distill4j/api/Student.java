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
    private volatile boolean closed;

    private Student(String name, Architecture arch, java.util.Map<String, ExportedNetwork.Tensor> weights,
            Preprocessing preprocessing, List<String> classNames, String where, KnowledgeBase knowledgeBase) {
        this.name = name;
        this.knowledgeBase = knowledgeBase;
        this.queryTap = knowledgeBase == null ? null : queryTap(arch, knowledgeBase);
        this.architecture = arch.model();
        this.preprocessing = preprocessing;
        this.normalisation = preprocessing.normalisation(classNames);
        this.manager = NDManager.newBaseManager();
        try {
            this.network = ExportedNetwork.of(arch, weights, manager, where);
        } catch (RuntimeException e) {
            manager.close();
            if (knowledgeBase != null) {
                knowledgeBase.close();
            }
            throw e;
        }
        this.inputShape = network.sampleShape();
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
                    dir.resolve(ExportFolder.WEIGHTS).toString(), open(ExportFolder.knowledgeBase(dir, c.manifest())));
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
                m.file().toString(), open(m.knowledgeBase()));
    }

    /**
     * Classifies one input given as raw values, as the training data source read them (image pixels in
     * [0, 1], CSV numbers as written), in the order of {@link #inputShape()}; they are normalised here.
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

    private float[] logits(float[] normalised) {
        if (closed) {
            throw new IllegalStateException("student " + name + " is closed");
        }
        long[] dims = new long[inputShape.length + 1];
        dims[0] = 1;
        System.arraycopy(inputShape, 0, dims, 1, inputShape.length);
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(normalised, new Shape(dims));
            if (knowledgeBase == null) {
                return network.forward(x).toFloatArray();
            }
            java.util.Map<String, NDArray> taps = network.forwardTaps(x);
            return knowledgeBase.mix(taps.get(org.distill4j.model.Outputs.LOGITS).toFloatArray(),
                    taps.get(queryTap).toFloatArray(), 1);
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

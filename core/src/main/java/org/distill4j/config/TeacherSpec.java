package org.distill4j.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.model.ImportedModel;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * The teacher, exactly one of: a zoo model trained here ({@code model} + {@code train}), a zoo
 * model with random weights never trained ({@code model} + {@code random: true}, a nuisance teacher), a zoo
 * model loaded from a file an earlier run saved ({@code model} + {@code load}), or a model trained
 * elsewhere imported from an ONNX or TorchScript file ({@code import}, with optional {@code
 * inputShape}, {@code preprocess} and {@code taps}; no {@code model}). See {@link ImportedModel}
 * for what an imported graph receives.
 *
 * <p>The import keys are left out of the JSON when absent, so a config without them digests
 * exactly as before they existed.
 *
 * @param model architecture (must match the saved one when loading; absent for an import)
 * @param train how to train it
 * @param load path of a saved network, e.g. {@code runs/<id>/teacher.model}
 * @param imported path of an ONNX ({@code .onnx}) or TorchScript ({@code .pt}) file (YAML key
 *     {@code import}; relative to the config file's directory when read from one)
 * @param inputShape the per-sample shape the imported graph takes, e.g. {@code [1, 28, 28]}
 *     (default: the data's; a different one is an error)
 * @param preprocess what the imported graph expects of the raw inputs ({@code scale}, {@code mean},
 *     {@code std}; default: the raw values, pixels in [0, 1])
 * @param taps tap name → graph output name, e.g. {@code {embedding: features}} (default: every
 *     output under its own name); {@code logits} picks the logits output (default: the output
 *     named {@code logits}, else the first)
 * @param random {@code true}: a nuisance teacher, {@code model} with random weights (drawn from the
 *     run's seed for the teacher's name), never trained (RID's claim: its students keep most of
 *     their accuracy); left out of the JSON when absent or false
 */
public record TeacherSpec(ModelSpec model, TrainSpec train, String load,
        @JsonProperty("import") @JsonInclude(JsonInclude.Include.NON_NULL) String imported,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<Long> inputShape,
        @JsonInclude(JsonInclude.Include.NON_NULL) ImportedModel.Preprocess preprocess,
        @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, String> taps,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean random) {

    public TeacherSpec(ModelSpec model, TrainSpec train, String load) {
        this(model, train, load, null, null, null, null, null);
    }

    public TeacherSpec(ModelSpec model, TrainSpec train, String load, String imported, List<Long> inputShape,
            ImportedModel.Preprocess preprocess, Map<String, String> taps) {
        this(model, train, load, imported, inputShape, preprocess, taps, null);
    }

    /** A nuisance teacher: {@code model} with random weights (seeded by the run), never trained. */
    public static TeacherSpec random(ModelSpec model) {
        return new TeacherSpec(model, null, null, null, null, null, null, true);
    }

    /** Whether it is a nuisance teacher ({@code random: true}): random weights, never trained. */
    public boolean isRandom() {
        return Boolean.TRUE.equals(random);
    }

    /** A teacher imported from {@code file}; the other arguments may be null (their defaults). */
    public static TeacherSpec imported(String file, List<Long> inputShape, ImportedModel.Preprocess preprocess,
            Map<String, String> taps) {
        return new TeacherSpec(null, null, null, file, inputShape, preprocess, taps);
    }

    public TeacherSpec {
        taps = taps == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(taps));
        inputShape = inputShape == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(inputShape));
        random = Boolean.FALSE.equals(random) ? null : random;
        if (random != null) {
            if (model == null || train != null || load != null || imported != null) {
                throw new IllegalArgumentException("random: a nuisance teacher is a 'model' with random weights, "
                        + "never trained: give 'model' and no 'train', 'load' or 'import'");
            }
        } else if (imported != null) {
            checkImport(imported, model, train, load, inputShape, taps);
        } else if (inputShape != null || preprocess != null || taps != null) {
            throw new IllegalArgumentException("inputShape, preprocess and taps describe an imported teacher; "
                    + "give 'import' (an ONNX or TorchScript file) or remove them");
        } else if (model == null) {
            throw new IllegalArgumentException("model: required (e.g. {type: cnn, channels: [32, 64]}), "
                    + "or import: an ONNX or TorchScript file");
        } else if ((train == null) == (load == null)) {
            throw new IllegalArgumentException("give exactly one of 'train' (train the teacher here), 'load' (a saved "
                    + "network file) or 'import' (an ONNX or TorchScript file)");
        }
    }

    private static void checkImport(String imported, ModelSpec model, TrainSpec train, String load,
            List<Long> inputShape, Map<String, String> taps) {
        if (imported.isBlank()) {
            throw new IllegalArgumentException("import: the path of an ONNX (.onnx) or TorchScript (.pt) file");
        }
        if (model != null || train != null || load != null) {
            throw new IllegalArgumentException("import: an imported teacher takes no 'model', 'train' or 'load' "
                    + "(its architecture and weights are the file's)");
        }
        if (inputShape != null && (inputShape.isEmpty() || inputShape.stream().anyMatch(d -> d == null || d < 1))) {
            throw new IllegalArgumentException("inputShape: the per-sample shape, positive sizes, e.g. [1, 28, 28] "
                    + "(got " + inputShape + ")");
        }
        if (taps != null) {
            for (Map.Entry<String, String> t : taps.entrySet()) {
                if (!t.getKey().matches("[A-Za-z0-9_.-]{1,64}") || t.getValue() == null || t.getValue().isEmpty()) {
                    throw new IllegalArgumentException("taps: each entry is TAP: GRAPH_OUTPUT, the tap named with "
                            + "letters, digits, '.', '_', '-' (got " + t.getKey() + ": " + t.getValue() + ")");
                }
            }
        }
    }

    /** The import as {@link ImportedModel#open} reads it (null unless imported). */
    public ImportedModel.Spec importSpec() {
        return imported == null ? null : new ImportedModel.Spec(Path.of(imported), inputShape, preprocess, taps);
    }

    /** The same teacher with a relative import path resolved against {@code dir} (a config file's directory). */
    public TeacherSpec resolvedAgainst(Path dir) {
        if (imported == null || Path.of(imported).isAbsolute()) {
            return this;
        }
        return new TeacherSpec(model, train, load, dir.resolve(imported).normalize().toString(), inputShape, preprocess,
                taps, random);
    }
}

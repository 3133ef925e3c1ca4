package org.distill4j.scheme;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Who learns when, chosen in YAML by {@code scheme: {name: …}}: {@code offline} (the default: a
 * trained or loaded teacher, frozen, teaches the student), and the online, self and staged
 * schemes. A scheme's record holds its parameters; the networks and schedule come from the
 * config's {@code student} (and {@code teacher}, where the scheme has one). Unknown names fail
 * listing the known ones.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "name")
@JsonSubTypes({
    @JsonSubTypes.Type(value = OfflineScheme.class, name = "offline"),
    @JsonSubTypes.Type(value = DmlScheme.class, name = "dml"),
    @JsonSubTypes.Type(value = CodistillationScheme.class, name = "codistillation"),
    @JsonSubTypes.Type(value = ByotScheme.class, name = "byot"),
    @JsonSubTypes.Type(value = BornAgainScheme.class, name = "born-again"),
    @JsonSubTypes.Type(value = SnapshotScheme.class, name = "snapshot"),
    @JsonSubTypes.Type(value = SadScheme.class, name = "sad"),
    @JsonSubTypes.Type(value = StagedScheme.class, name = "staged"),
    @JsonSubTypes.Type(value = TakdScheme.class, name = "takd"),
    @JsonSubTypes.Type(value = DaflScheme.class, name = "dafl"),
    @JsonSubTypes.Type(value = ZsktScheme.class, name = "zskt"),
    @JsonSubTypes.Type(value = DeepInversionScheme.class, name = "deep-inversion"),
    @JsonSubTypes.Type(value = AdversarialScheme.class, name = "adversarial"),
    @JsonSubTypes.Type(value = AfdScheme.class, name = "afd"),
    @JsonSubTypes.Type(value = QuantizedScheme.class, name = "quantized"),
    // retrieval-augmented KD (issue 13 point 1)
    @JsonSubTypes.Type(value = ReAugKdScheme.class, name = "reaugkd"),
    // issue 12: cross-modal and lifelong
    @JsonSubTypes.Type(value = CrossModalScheme.class, name = "cross-modal"),
    @JsonSubTypes.Type(value = LwfScheme.class, name = "lwf"),
    // NAS-based distillation (issue 12 point 3)
    @JsonSubTypes.Type(value = NasScheme.class, name = "nas"),
})
public interface SchemeSpec {
    /** Registry name as written in YAML. */
    String name();

    /**
     * Runs the scheme's phases in {@code ctx} — who learns when, as a sequence of phases over
     * participants, each through the one loop — and returns what its record adds beyond the
     * models (its {@code schemeResults}; null for none). A scheme has no loop of its own.
     */
    com.fasterxml.jackson.databind.JsonNode run(org.distill4j.train.RunContext ctx) throws java.io.IOException;

    /** Whether the config's {@code teacher} section is required. */
    boolean needsTeacher();

    /** Whether the config may give several teachers ({@code teachers:}) instead of one; only offline does. */
    default boolean takesSeveralTeachers() {
        return false;
    }

    /**
     * Checks the config's {@code student.model} against the scheme (called by RunConfig). By
     * default it is required; schemes that bring their own networks (online peers) may say
     * otherwise.
     */
    default void checkStudentModel(org.distill4j.model.ModelSpec model) {
        if (model == null) {
            throw new IllegalArgumentException("student: 'model' is required (e.g. {type: cnn, channels: [8, 16]})");
        }
    }

    /**
     * Checks the scheme fits the config's student, so a misfit is a config error before anything
     * trains; the message starts with {@code "scheme: "}. Most schemes fit any student.
     */
    default void validate(org.distill4j.model.ModelSpec studentModel, org.distill4j.train.TrainSpec studentTrain) {}

    /**
     * Checks the scheme fits the config's teacher architecture (called by RunConfig when there is
     * a teacher), so a misfit is a config error before anything trains; the message starts with
     * {@code "teacher.model: "}. Most schemes fit any teacher.
     */
    default void validateTeacher(org.distill4j.model.ModelSpec teacherModel) {}

    /**
     * Why the scheme needs its teacher as a zoo network (trained here or loaded) rather than
     * imported ({@code teacher.import}): e.g. gradients through it, or its batch-norm statistics;
     * null when an imported teacher serves (the default). RunConfig refuses an imported teacher
     * with it, naming {@code teacher.import}, before anything trains.
     */
    default String zooTeacherReason() {
        return null;
    }
}

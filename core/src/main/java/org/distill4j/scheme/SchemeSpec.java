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
    @JsonSubTypes.Type(value = ByotScheme.class, name = "byot"),
    @JsonSubTypes.Type(value = BornAgainScheme.class, name = "born-again"),
    @JsonSubTypes.Type(value = SnapshotScheme.class, name = "snapshot"),
    @JsonSubTypes.Type(value = SadScheme.class, name = "sad"),
})
public sealed interface SchemeSpec permits OfflineScheme, ByotScheme, BornAgainScheme, SnapshotScheme, SadScheme {
    /** Registry name as written in YAML. */
    String name();

    /** Whether the config's {@code teacher} section is required. */
    boolean needsTeacher();

    /**
     * Checks the scheme fits the config's student, so a misfit is a config error before anything
     * trains; the message starts with {@code "scheme: "}. Most schemes fit any student.
     */
    default void validate(org.distill4j.model.ModelSpec studentModel, org.distill4j.train.TrainSpec studentTrain) {}
}

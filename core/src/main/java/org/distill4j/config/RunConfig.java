package org.distill4j.config;

import org.distill4j.scheme.OfflineScheme;
import org.distill4j.scheme.SchemeSpec;

/**
 * A whole run as written in YAML: data, teacher, student. Parsed strictly: unknown keys, wrong
 * types and out-of-range values are errors naming the key and the file position.
 *
 * @param name run name, used in the run directory (letters, digits, '-', '_', '.')
 * @param seed master seed: initial weights, shuffles and splits derive from it
 * @param checkpoint when the run saves its state (default: every 200 steps and every epoch end)
 * @param scheme who learns when (default {@code offline}); online and self schemes need no teacher
 */
public record RunConfig(String name, Long seed, DataSpec data, TeacherSpec teacher, StudentSpec student,
        CheckpointSpec checkpoint, SchemeSpec scheme) {
    public RunConfig(String name, Long seed, DataSpec data, TeacherSpec teacher, StudentSpec student) {
        this(name, seed, data, teacher, student, null, null);
    }

    public RunConfig(String name, Long seed, DataSpec data, TeacherSpec teacher, StudentSpec student,
            CheckpointSpec checkpoint) {
        this(name, seed, data, teacher, student, checkpoint, null);
    }

    public RunConfig {
        name = name == null ? "run" : name;
        seed = seed == null ? 42L : seed;
        data = data == null ? DataSpec.defaults() : data;
        checkpoint = checkpoint == null ? CheckpointSpec.defaults() : checkpoint;
        scheme = scheme == null ? new OfflineScheme() : scheme;
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("name: 1–64 of letters, digits, '.', '_', '-' (got '" + name + "')");
        }
        if (teacher == null && scheme.needsTeacher()) {
            throw new IllegalArgumentException("teacher: required by scheme '" + scheme.name() + "'");
        }
        if (student == null) {
            throw new IllegalArgumentException("student: required");
        }
        scheme.checkStudentModel(student.model());
        scheme.validate(student.model(), student.train());
        if (teacher != null) {
            scheme.validateTeacher(teacher.model());
        }
    }

    public RunConfig withSeed(long s) {
        return new RunConfig(name, s, data, teacher, student, checkpoint, scheme);
    }

    public RunConfig withData(DataSpec d) {
        return new RunConfig(name, seed, d, teacher, student, checkpoint, scheme);
    }

    /** SHA-256 of the config's canonical JSON: what checkpoints and records are tied to. */
    public String digest() {
        try {
            var mapper = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                    .enable(com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                    .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();
            Registry.configure(mapper);
            byte[] canonical = mapper.writeValueAsBytes(mapper.readTree(mapper.writeValueAsBytes(this)));
            return java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

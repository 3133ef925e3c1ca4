package org.distill4j.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.scheme.OfflineScheme;
import org.distill4j.scheme.SchemeSpec;

/**
 * A whole run as written in YAML: data, teacher, student. Parsed strictly: unknown keys, wrong
 * types and out-of-range values are errors naming the key and the file position.
 *
 * @param name run name, used in the run directory (letters, digits, '-', '_', '.')
 * @param seed master seed: initial weights, shuffles and splits derive from it
 * @param checkpoint when the run saves its state (default: every 200 steps and every epoch end)
 * @param teacher the one teacher (a scheme that needs a teacher needs this or {@code teachers})
 * @param teachers several teachers instead of one, each a teacher of its own (trained here or loaded;
 *     they may differ in architecture), named {@code teacher1}, {@code teacher2} … in list order: what
 *     multi-teacher distillation ({@code student.method: {name: multi-teacher}}) learns from. Left out of
 *     the serialised config when absent, so the digests of one-teacher configs are what they were.
 * @param scheme who learns when (default {@code offline}); online and self schemes need no teacher
 */
public record RunConfig(String name, Long seed, DataSpec data, TeacherSpec teacher,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<TeacherSpec> teachers, StudentSpec student,
        CheckpointSpec checkpoint, SchemeSpec scheme) {
    /** The name of the k-th (1-based) of several teachers. */
    public static String teacherName(int k) {
        return "teacher" + k;
    }

    public RunConfig(String name, Long seed, DataSpec data, TeacherSpec teacher, StudentSpec student,
            CheckpointSpec checkpoint, SchemeSpec scheme) {
        this(name, seed, data, teacher, null, student, checkpoint, scheme);
    }

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
        if (teachers != null) {
            if (teacher != null) {
                throw new IllegalArgumentException("teachers: give either 'teacher' (one) or 'teachers' (a list), not both");
            }
            if (teachers.isEmpty()) {
                throw new IllegalArgumentException("teachers: the list is empty; give at least one teacher");
            }
            if (teachers.stream().anyMatch(java.util.Objects::isNull)) {
                throw new IllegalArgumentException("teachers: an entry is empty; each is a teacher, e.g. "
                        + "{model: {type: cnn, channels: [16, 32]}, train: {epochs: 3}}");
            }
            teachers = List.copyOf(teachers);
            if (!scheme.takesSeveralTeachers()) {
                throw new IllegalArgumentException("teachers: scheme '" + scheme.name() + "' takes one teacher "
                        + "(teacher: …); the offline scheme distils from several");
            }
        }
        if (teacher == null && teachers == null && scheme.needsTeacher()) {
            throw new IllegalArgumentException("teacher: required by scheme '" + scheme.name() + "'");
        }
        if (student == null) {
            throw new IllegalArgumentException("student: required");
        }
        if (teachers != null) {
            student.method().checkTeachers(teachers.size());
        }
        scheme.checkStudentModel(student.model());
        scheme.validate(student.model(), student.train());
        if (teacher != null) {
            String zoo = scheme.zooTeacherReason();
            if (teacher.imported() != null && zoo != null) {
                throw new IllegalArgumentException("teacher.import: scheme '" + scheme.name() + "' " + zoo
                        + "; an imported teacher only answers. Give a zoo teacher (model + train, or load)");
            }
            scheme.validateTeacher(teacher.model());
        }
    }

    public RunConfig withSeed(long s) {
        return new RunConfig(name, s, data, teacher, teachers, student, checkpoint, scheme);
    }

    public RunConfig withTeacher(TeacherSpec t) {
        return new RunConfig(name, seed, data, t, student, checkpoint, scheme);
    }

    public RunConfig withData(DataSpec d) {
        return new RunConfig(name, seed, d, teacher, teachers, student, checkpoint, scheme);
    }

    /**
     * Every teacher of the run by the name its phase, model file and knowledge store go under, in
     * order: {@code teacher} alone, or {@code teacher1 … teacherK} for {@code teachers}; empty when
     * the run has none.
     */
    public Map<String, TeacherSpec> teacherSpecs() {
        Map<String, TeacherSpec> out = new LinkedHashMap<>();
        if (teacher != null) {
            out.put(Knowledge.TEACHER, teacher);
        }
        if (teachers != null) {
            for (int k = 0; k < teachers.size(); k++) {
                out.put(teacherName(k + 1), teachers.get(k));
            }
        }
        return out;
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

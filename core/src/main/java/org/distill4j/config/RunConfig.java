package org.distill4j.config;

/**
 * A whole run as written in YAML: data, teacher, student. Parsed strictly: unknown keys, wrong
 * types and out-of-range values are errors naming the key and the file position.
 *
 * @param name run name, used in the run directory (letters, digits, '-', '_', '.')
 * @param seed master seed: initial weights, shuffles and splits derive from it
 */
public record RunConfig(String name, Long seed, DataSpec data, TeacherSpec teacher, StudentSpec student) {
    public RunConfig {
        name = name == null ? "run" : name;
        seed = seed == null ? 42L : seed;
        data = data == null ? DataSpec.defaults() : data;
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("name: 1–64 of letters, digits, '.', '_', '-' (got '" + name + "')");
        }
        if (teacher == null) {
            throw new IllegalArgumentException("teacher: required");
        }
        if (student == null) {
            throw new IllegalArgumentException("student: required");
        }
    }

    public RunConfig withSeed(long s) {
        return new RunConfig(name, s, data, teacher, student);
    }

    public RunConfig withData(DataSpec d) {
        return new RunConfig(name, seed, d, teacher, student);
    }
}

package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.method.ReAugKd;
import org.distill4j.scheme.ReAugKdScheme;
import org.junit.jupiter.api.Test;

/** ReAugKD's YAML: method and scheme by name, its defaults, and bad values named by their key and line. */
class ReAugKdConfigTest {
    static final String YAML = """
            name: r
            data: {validation: 0.1}
            teacher:
              model: {type: cnn, channels: [8]}
              train: {epochs: 1}
            student:
              model: {type: mlp, hidden: [16]}
              method: {name: reaugkd, k: 4, beta: 0.3}
            scheme: {name: reaugkd}
            """;

    static String error(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "bad.yaml"));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void parsesWithItsDefaultsAndReadsBackFromTheFrozenYaml() throws Exception {
        RunConfig c = ConfigLoader.parse(YAML, "r.yaml");
        assertInstanceOf(ReAugKdScheme.class, c.scheme());
        assertEquals(new ReAugKd(4.0, 0.9, 1.0, 4, 0.1, 0.3, 3, 0.1, "embedding", "embedding"), c.student().method());
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        assertInstanceOf(ReAugKd.class, ConfigLoader.load(Path.of("../examples/reaugkd.yaml")).student().method());
    }

    @Test
    void badValuesNameTheKey() {
        String k = error(YAML.replace("k: 4", "k: 0"));
        assertTrue(k.contains("student.method.k") && k.contains("[1, 1000]") && k.contains("got 0"), k);
        String beta = error(YAML.replace("beta: 0.3", "beta: 2"));
        assertTrue(beta.contains("student.method.beta") && beta.contains("[0, 1]"), beta);
        String tau = error(YAML.replace("beta: 0.3", "tau: -1"));
        assertTrue(tau.contains("student.method.tau") && tau.contains("(0, 10]"), tau);
        String unknown = error(YAML.replace("beta: 0.3", "neighbours: 3"));
        assertTrue(unknown.contains("neighbours"), unknown);
    }
}

package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.scheme.CodistillationScheme;
import org.distill4j.scheme.DmlScheme;
import org.distill4j.scheme.OnlineScheme;
import org.junit.jupiter.api.Test;

/** YAML for the online schemes ({@code dml}, {@code codistillation}). */
class OnlineConfigTest {
    static final String TRAIN = """
            student:
              train: {epochs: 2, batchSize: 32}
            """;
    static final String PEERS = """
            scheme:
              name: dml
              peers:
                - {type: cnn, channels: [8]}
                - {type: mlp, hidden: [16]}
                - {type: mlp, hidden: [32]}
            """;

    private static String error(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "bad.yaml"));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    @Test
    void dmlWithListedPeersNeedsNoTeacherAndNoStudentModel() throws Exception {
        RunConfig c = ConfigLoader.parse(TRAIN + PEERS, "dml.yaml");
        DmlScheme d = (DmlScheme) c.scheme();
        assertNull(c.teacher());
        assertEquals(List.of(new CnnSpec(List.of(8), null, null, null), new MlpSpec(List.of(16), null),
                new MlpSpec(List.of(32), null)), d.peerModels(c.student().model()));
        assertEquals(DmlScheme.Targets.TRAIN, d.targets());
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"), "the frozen YAML reads back");
        assertEquals(DmlScheme.Targets.EVAL,
                ((DmlScheme) ConfigLoader.parse(TRAIN + PEERS + "  targets: eval\n", "x").scheme()).targets());
    }

    @Test
    void withoutPeersTwoCopiesOfTheStudentModel() throws Exception {
        RunConfig c = ConfigLoader.parse("""
                scheme: {name: codistillation}
                student:
                  model: {type: mlp, hidden: [16]}
                """, "c.yaml");
        CodistillationScheme s = (CodistillationScheme) c.scheme();
        assertEquals(List.of(new MlpSpec(List.of(16), null), new MlpSpec(List.of(16), null)),
                s.peerModels(c.student().model()));
        assertEquals(50, s.refreshSteps());
        assertNull(s.burnInSteps());
        assertEquals(42, s.burnIn(42), "default burn-in: one epoch's steps");
        assertEquals(1.0, s.weight());
        assertEquals(CodistillationScheme.Shards.SHARED, s.shards());
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        CodistillationScheme full = (CodistillationScheme) ConfigLoader.parse("""
                scheme: {name: codistillation, refreshSteps: 10, burnInSteps: 0, weight: 0.5, shards: disjoint}
                student:
                  model: {type: mlp}
                """, "c.yaml").scheme();
        assertEquals(new CodistillationScheme(null, 10, 0, 0.5, CodistillationScheme.Shards.DISJOINT), full);
        assertEquals(0, full.burnIn(42));
    }

    @Test
    void mistakesAreNamed() {
        assertContains(error(TRAIN + "scheme: {name: dml, peers: [{type: mlp}]}\n"), "scheme.peers", "at least 2",
                "got 1");
        assertContains(error(TRAIN + "scheme: {name: dml}\n"), "student", "'model' is required", "peers");
        assertContains(error(TRAIN.replace("student:\n", "student:\n  model: {type: mlp}\n") + PEERS),
                "student", "both given");
        assertContains(error("teacher: {model: {type: mlp}, train: {epochs: 1}}\nstudent: {train: {epochs: 1}}\n"),
                "student", "'model' is required", "{type: cnn");
        assertContains(error("scheme: {name: codistillation, refreshSteps: 0}\nstudent: {model: {type: mlp}}\n"),
                "scheme.refreshSteps", "≥ 1");
        assertContains(error("scheme: {name: codistillation, burnInSteps: -1}\nstudent: {model: {type: mlp}}\n"),
                "scheme.burnInSteps");
        assertContains(error("scheme: {name: codistillation, weight: -1}\nstudent: {model: {type: mlp}}\n"),
                "scheme.weight");
        assertContains(error("scheme: {name: codistillation, shards: halves}\nstudent: {model: {type: mlp}}\n"),
                "scheme.shards", "[disjoint, shared]");
        assertContains(error(TRAIN + PEERS + "  temperature: 4\n"), "unknown key 'temperature'", "peers", "targets");
        assertContains(error(TRAIN + "scheme: {name: mutual}\n"), "'mutual'", "codistillation", "dml", "offline");
    }

    @Test
    void theExamplesAreOnlineSchemes() throws Exception {
        assertTrue(ConfigLoader.load(Path.of("../examples/dml.yaml")).scheme() instanceof DmlScheme);
        RunConfig c = ConfigLoader.load(Path.of("../examples/codistillation.yaml"));
        assertEquals(2, ((OnlineScheme) c.scheme()).peerModels(c.student().model()).size());
    }
}

package org.distill4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The typo hints of {@link ConfigLoader}'s messages ({@code did you mean 'teacher'?}). */
class ConfigKeysTest {
    @Test
    void nearestKnownName() {
        List<String> top = List.of("name", "seed", "data", "teacher", "student", "checkpoint", "scheme");
        assertEquals("teacher", ConfigKeys.nearest("techer", top).orElseThrow());
        assertEquals("seed", ConfigKeys.nearest("SEED", top).orElseThrow());
        assertEquals("student", ConfigKeys.nearest("stduent", top).orElseThrow(), "an adjacent swap is one edit");
        assertEquals("checkpoint", ConfigKeys.nearest("check", top).orElseThrow(), "a prefix");
        assertEquals("name", ConfigKeys.nearest("nmae", top).orElseThrow());
        assertTrue(ConfigKeys.nearest("epochz", top).isEmpty());
        assertEquals("epochs", ConfigKeys.nearest("epochz", List.of("epochs", "batchSize")).orElseThrow());
        assertEquals("kd", ConfigKeys.nearest("kdd", List.of("dkd", "kd", "none")).orElseThrow(),
                "equally far from dkd: the common start decides");
        assertEquals(1, ConfigKeys.distance("ab", "ba"));
        assertEquals(3, ConfigKeys.distance("kitten", "sitting"));
    }
}

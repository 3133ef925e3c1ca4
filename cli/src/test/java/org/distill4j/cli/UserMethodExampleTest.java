package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.distill4j.config.Registry;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.example.distill.LogitMatching;
import org.example.distill.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example project in examples/java: a method defined in the user's own code, registered by
 * name, chosen from YAML and trained like a built-in one.
 */
class UserMethodExampleTest {
    @Test
    void aUserMethodRunsFromYamlByItsName(@TempDir Path dir) throws Exception {
        Path config = Path.of("../examples/java/logit-matching.yaml").toAbsolutePath();
        Main.main(new String[] {config.toString(), CrashResumeTest.SLICE.toString(), dir.toString()});
        RunRecord r = RunRecord.read(dir.resolve("record.json"));
        ModelResult m = r.model("student-logit-matching");
        assertEquals("logit-matching", m.method());
        assertEquals(0.5, ((LogitMatching) r.config().student().method()).weight());
        assertTrue(m.history().get(0).trainTerms().containsKey("logits"), "its own term is reported");
        assertTrue(m.history().get(0).trainTerms().containsKey("ce"), "and distill4j added the cross-entropy");
        assertTrue(m.metrics().testAccuracy() > 0.3, "it learned: " + m.metrics().testAccuracy());
        // a name is taken once; built-in names are not available
        assertThrows(IllegalArgumentException.class, () -> Registry.method("kd", LogitMatching.class));
    }

    @Test
    void anUnregisteredNameIsAConfigErrorListingTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [8]}, method: {name: logit-matchin}}
                """, "t.yaml"));
        assertTrue(e.getMessage().contains("logit-matchin"), e.getMessage());
    }
}

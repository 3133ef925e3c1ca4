package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill knowledge build} refuses a config it cannot serve with one line and exit 2, before
 * Spark starts and before anything is written (the job itself: module spark's KnowledgeJobTest).
 */
class KnowledgeCommandTest {
    static final Path SLICE = Path.of("../core/src/test/resources/fashion-mnist-slice");

    @Test
    void aTeacherToTrainIsRefusedWithOneLine(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("run.yaml");
        Files.writeString(cfg, """
                name: untrained
                data: {trainLimit: 100, testLimit: 50}
                teacher:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1}
                student:
                  model: {type: mlp, hidden: [4]}
                """);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path store = dir.resolve("store");
        int code = Main.run(new PrintStream(out, true), new PrintStream(err, true), "knowledge", "build", "-c",
                cfg.toString(), "--data", SLICE.toString(), "--out", store.toString());
        String text = err.toString().strip();
        assertEquals(Main.CONFIG_ERROR, code, text);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("config error: ") && text.contains("needs a trained teacher")
                && text.contains("'load'") && text.contains("'import'"), text);
        assertFalse(Files.exists(store), "nothing written");
    }
}

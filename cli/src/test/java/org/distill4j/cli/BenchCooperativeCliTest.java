package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill bench cooperative} on the Iris CSV: the table, resume by unit, a bad config. */
class BenchCooperativeCliTest {
    @TempDir
    Path dir;

    private static final String CONFIG = """
            seeds: [1]
            datasets:
              - name: iris
                source: csv
                file: %s
                label: class
                cooperative:
                  rounds: 1
                  maxVirtual: 10
                  learners:
                    - {name: tree, kind: tree, view: {type: columns, columns: [0, 1]}, depth: %s}
                    - {name: logistic, kind: logistic, view: {type: columns, columns: [2, 3]}}
            """;

    private String[] run(Path config, String... more) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] args = new String[6 + more.length];
        args[0] = "bench";
        args[1] = "cooperative";
        args[2] = "-c=" + config;
        args[3] = "--out=" + dir.resolve("results");
        args[4] = "--runs=" + dir.resolve("runs");
        args[5] = "--seeds=1";
        System.arraycopy(more, 0, args, 6, more.length);
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), args);
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8)};
    }

    private Path config(String depth) throws Exception {
        Path iris = Path.of("..", "bench", "data", "iris.csv").toAbsolutePath().normalize();
        Path c = dir.resolve("cooperative-" + depth + ".yaml");
        Files.writeString(c, String.format(CONFIG, iris, depth));
        return c;
    }

    @Test
    void theTableThenResumeReadsFinishedUnitsBackAndAChangedConfigRunsAgain() throws Exception {
        Path c = config("3");
        String[] first = run(c);
        assertEquals("0", first[0], first[2]);
        assertTrue(first[1].contains("| tree | tribuo tree (CART, depth 3) on columns [0, 1] |"), first[1]);
        assertTrue(first[1].contains("## iris") && first[1].contains("| logistic |"), first[1]);
        String table = Files.readString(dir.resolve("results/cooperative.md"));
        assertTrue(Files.exists(dir.resolve("results/cooperative.json")));
        assertFalse(Files.exists(dir.resolve("runs/bench-cooperative/iris-seed1.rounds.json")),
                "a finished unit's rounds are dropped");

        String[] again = run(c, "--resume");
        assertEquals("0", again[0], again[2]);
        assertTrue(again[2].contains("iris seed 1: read back from"), again[2]);
        assertFalse(again[2].contains("fitting"), again[2]);
        assertEquals(table.replaceAll("took [0-9]+ s", ""), Files.readString(dir.resolve("results/cooperative.md"))
                .replaceAll("took [0-9]+ s", ""));

        // the same unit under another config is not read back
        Files.writeString(c, Files.readString(config("4")));
        String[] changed = run(c, "--resume");
        assertEquals("0", changed[0], changed[2]);
        assertTrue(changed[2].contains("was made with another config: run again"), changed[2]);
        assertTrue(changed[1].contains("CART, depth 4"), changed[1]);
    }

    @Test
    void aBadLearnerIsAConfigErrorNamingItsKey() throws Exception {
        String[] r = run(config("0"));
        assertEquals(Integer.toString(Main.CONFIG_ERROR), r[0], r[2]);
        assertTrue(r[2].startsWith("config error: ") && r[2].contains("learners.tree.depth: must be in [1, 64] (got 0)"),
                r[2]);
    }
}

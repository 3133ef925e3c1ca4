package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill bench rl} on a tiny budget: the table, the curves, and a second start reading the runs back. */
class BenchRlCommandTest {
    @Test
    void writesTheTableAndReadsFinishedRunsBack(@TempDir Path dir) throws Exception {
        String[] args = {"bench", "rl", "--seeds", "2", "--steps", "256", "--envs", "4", "--rollout-steps", "32",
            "--ppo-epochs", "1", "--runs", dir.resolve("runs").toString(), "--out", dir.resolve("out").toString()};
        String[] first = EvaluateCommandTest.run(args);
        assertEquals("0", first[0], first[2]);
        String md = Files.readString(dir.resolve("out/dpd.md"));
        assertTrue(md.contains("| dpd | 2 | 256 |"), md);
        assertTrue(md.contains("| single-double-steps | 1 | 512 |"), md);
        assertTrue(md.contains("over 2 seeds"), md);
        assertTrue(Files.size(dir.resolve("out/dpd-curves.png")) > 1000);
        String[] again = EvaluateCommandTest.run(args);
        assertEquals("0", again[0], again[2]);
        // the finished runs are read back, not run again: the same lines, the same seconds
        assertEquals(first[1], again[1]);
        assertEquals(md, Files.readString(dir.resolve("out/dpd.md")));
    }

    @Test
    void aBadOptionIsAConfigErrorNamingIt(@TempDir Path dir) {
        String[] r = EvaluateCommandTest.run("bench", "rl", "--env", "acrobot", "--runs", dir.toString(), "--out",
                dir.toString());
        assertEquals("2", r[0]);
        assertEquals("config error: bench rl: env: unknown environment 'acrobot' (known: pendulum, cartpole, "
                + "mountaincar)", r[2].strip());
    }
}

package org.distill4j.cli;

import static org.distill4j.cli.RunBenchTest.model;
import static org.distill4j.cli.RunBenchTest.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.ConfigLoader;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench kd}: the gap-closed column by hand, the header, and a bench finished in a second sitting. */
class BenchKdCommandTest {
    /** Seed 1: teacher 90, scratch 80, KD 85 → 50%; seed 2: 92, 82, 89 → 70%; mean 60, std √200 ≈ 14.14. */
    @Test
    void theGapClosedIsTheShareOfTheScratchToTeacherGapPerSeed() throws Exception {
        List<RunRecord> records = List.of(
                record("r1", 1, "t", model("teacher", 0.90, 800), model("student-none", 0.80, 100),
                        model("student-kd", 0.85, 100)),
                record("r2", 2, "t", model("teacher", 0.92, 800), model("student-none", 0.82, 100),
                        model("student-kd", 0.89, 100)));
        assertArrayEquals(new double[] {50, 70}, BenchKdCommand.gapClosed(records, "student-kd"), 1e-9);
        assertNull(BenchKdCommand.gapClosed(records, "teacher"));
        assertNull(BenchKdCommand.gapClosed(records, "student-none"));
        String md = BenchKdCommand.markdown(ConfigLoader.parse("""
                name: k
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [4]}}
                """, "test"), records, 2);
        assertTrue(md.contains("| gap closed % |"), md);
        assertTrue(md.contains(" 60.0 ± 14.1 |"), md);
        assertTrue(md.contains("PyTorch intra-op threads: 2; the runs took 20 s"), md);
        assertTrue(md.contains("2 seeds [1, 2]; 5,400 training / 600 validation / 10,000 test images"), md);
        // teacher and scratch rows have no gap of their own
        String teacherRow = md.lines().filter(l -> l.startsWith("| teacher")).findFirst().orElseThrow();
        assertTrue(teacherRow.endsWith("| — |"), teacherRow);
        JsonNode json = RunRecord.JSON.valueToTree(BenchKdCommand.summary(records, 2));
        assertEquals(60, json.at("/models/student-kd/gap closed %/mean").asDouble(), 1e-9);
        assertTrue(json.at("/models/teacher/gap closed %").isMissingNode());
        assertEquals(2, json.get("intraOpThreads").asInt());
    }

    /**
     * A bench stopped after its first seed (seed 2's run never finished: its record is gone) is
     * finished with {@code --resume}: seed 1 is read back from its directory, seed 2 completed in
     * its own; without {@code --resume} both run anew in new directories.
     */
    @Test
    void aBenchKilledPartWayIsFinishedWithResume(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("k.yaml"), """
                name: kdres
                data: {validation: 0.1}
                teacher:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.05}}
                student:
                  model: {type: mlp, hidden: [4]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.05}}
                """);
        Path runs = dir.resolve("runs");
        Path out = dir.resolve("out");
        String[] args = {"bench", "kd", "-c", cfg.toString(), "--seeds", "2", "--threads", "1", "--data",
            CliEndToEndTest.SLICE.toString(), "--runs", runs.toString(), "--out", out.toString()};
        ReliabilityCliTest.Result first = ReliabilityCliTest.cli(args);
        assertEquals(0, first.code(), first.err());
        JsonNode index = RunRecord.JSON.readTree(runs.resolve("bench-kd").resolve("runs.json").toFile());
        assertEquals(2, index.size(), index.toString());
        List<String> dirs = iterable(index).stream().map(k -> index.get(k).asText()).toList();
        assertTrue(iterable(index).get(0).startsWith("seed1/") && iterable(index).get(1).startsWith("seed2/"), index.toString());
        String seed1Record = Files.readString(Path.of(dirs.get(0)).resolve("record.json"));
        Files.delete(Path.of(dirs.get(1)).resolve("record.json")); // seed 2 as if killed before it finished
        Files.delete(out.resolve("kd.md"));

        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        ReliabilityCliTest.Result second = ReliabilityCliTest.cli(resume);
        assertEquals(0, second.code(), second.err());
        assertTrue(second.err().contains("seed 1/2 → " + dirs.get(0) + ": finished earlier"), second.err());
        assertTrue(second.err().contains("seed 2/2 → " + dirs.get(1)), second.err());
        assertEquals(seed1Record, Files.readString(Path.of(dirs.get(0)).resolve("record.json")), "read back, not rerun");
        assertTrue(Files.exists(Path.of(dirs.get(1)).resolve("record.json")), "seed 2 finished in its own directory");
        String md = Files.readString(out.resolve("kd.md"));
        assertTrue(md.contains("2 seeds [1, 2]") && md.contains("| gap closed % |"), md);

        ReliabilityCliTest.Result fresh = ReliabilityCliTest.cli(args);
        assertEquals(0, fresh.code(), fresh.err());
        JsonNode again = RunRecord.JSON.readTree(runs.resolve("bench-kd").resolve("runs.json").toFile());
        for (String key : iterable(again)) {
            assertTrue(!dirs.contains(again.get(key).asText()), "without --resume every seed runs anew: " + again);
        }
        assertNotEquals(index, again);
    }

    private static List<String> iterable(JsonNode node) {
        List<String> keys = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }
}

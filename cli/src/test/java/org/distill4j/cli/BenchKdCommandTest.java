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
        String md = BenchKdCommand.markdown(List.of(ConfigLoader.parse("""
                name: k
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [4]}}
                """, "test")), records, 2, 2);
        assertTrue(md.contains("| gap closed % |"), md);
        assertTrue(md.contains(" 60.0 ± 14.1 |"), md);
        assertTrue(md.contains("PyTorch intra-op threads: 2; the runs took 20 s"), md);
        assertTrue(md.contains("2 seeds [1, 2]; 5,400 training / 600 validation / 10,000 test images"), md);
        assertTrue(!md.contains("seeds finished"), md);
        assertTrue(BenchKdCommand.markdown(List.of(ConfigLoader.parse("""
                name: k
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [4]}}
                """, "test")), records, 2, 3).contains("**2 of 3 seeds finished**"), "a table of a bench not finished says so");
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
     * finished with {@code --resume}: seed 1 is read back from its copied record, seed 2 completed in
     * its own; without {@code --resume} both run anew in new directories.
     */
    @Test
    void aBenchKilledPartWayIsFinishedWithResume(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("k.yaml"), tiny("kdres", "{name: kd}"));
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
        Files.delete(Path.of(dirs.get(1)).resolve("record.json")); // seed 2 as if killed before it finished:
        Files.delete(out.resolve("kd-seeds").resolve("kdres-seed2.json")); // its record never copied either
        Files.delete(out.resolve("kd.md"));

        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        ReliabilityCliTest.Result second = ReliabilityCliTest.cli(resume);
        assertEquals(0, second.code(), second.err());
        // seed 1 is read from the copy of its record beside the table (what a fresh checkout has too)
        assertTrue(second.err().contains("seed 1/2 → " + out.resolve("kd-seeds").resolve("kdres-seed1.json")
                + ": finished earlier"), second.err());
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

    /**
     * Two configs, one table: the second run's distilled student joins the first's teacher and
     * scratch student per seed (its own gap closed), under the config's name where its name is
     * taken; a run of another teacher is refused.
     */
    @Test
    void furtherConfigsAddTheirDistilledStudentToTheFirstsBaseline() throws Exception {
        List<Path> files = List.of(Path.of("kd.yaml"), Path.of("best.yaml"));
        RunRecord kd = record("r1", 1, "t", model("teacher", 0.90, 800), model("student-none", 0.80, 100),
                model("student-kd", 0.85, 100));
        RunRecord kd2 = withConfig(record("r2", 1, "t", model("teacher", 0.90, 800), model("student-kd", 0.88, 100)),
                "kd-t8");
        RunRecord merged = BenchKdCommand.merged(List.of(kd, kd2), files);
        assertEquals(List.of("teacher", "student-none", "student-kd", "student-kd (kd-t8)"),
                merged.models().stream().map(org.distill4j.report.ModelResult::name).toList());
        assertEquals("r1 + r2", merged.runId());
        assertArrayEquals(new double[] {80}, BenchKdCommand.gapClosed(List.of(merged), "student-kd (kd-t8)"), 1e-9,
                "(88 − 80) / (90 − 80)");
        assertEquals(20, merged.totalSeconds(), 1e-9, "both runs' seconds");
        RunRecord other = withConfig(record("r3", 1, "u", model("teacher", 0.91, 800), model("student-dkd", 0.86, 100)),
                "dkd");
        org.distill4j.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.distill4j.config.ConfigException.class, () -> BenchKdCommand.merged(List.of(kd, other), files));
        assertTrue(e.getMessage().startsWith("best.yaml: seed 1's teacher (digest u) is not the first config's (t)"),
                e.getMessage());
    }

    /** A further config that changes more than the method is refused, naming the section. */
    @Test
    void aFurtherConfigMayDifferInItsMethodOnly() throws Exception {
        String first = """
                name: a
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [4]}, train: {epochs: 2}, method: {name: kd}}
                """;
        org.distill4j.config.RunConfig a = ConfigLoader.parse(first, "a");
        BenchKdCommand.sameStudy(a, ConfigLoader.parse(first.replace("name: a", "name: b")
                .replace("{name: kd}", "{name: dkd}"), "b"), Path.of("b.yaml"));
        org.distill4j.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.distill4j.config.ConfigException.class, () -> BenchKdCommand.sameStudy(a, ConfigLoader.parse(
                        first.replace("name: a", "name: c").replace("epochs: 2", "epochs: 3"), "c"), Path.of("c.yaml")));
        assertTrue(e.getMessage().startsWith("c.yaml: its student.train differs from the first config's ('a')"),
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(org.distill4j.config.ConfigException.class,
                () -> BenchKdCommand.sameStudy(a, ConfigLoader.parse(first.replace("name: a", "name: d")
                        .replace("hidden: [8]", "hidden: [9]"), "d"), Path.of("d.yaml")));
        assertTrue(e.getMessage().startsWith("d.yaml: its teacher differs"), e.getMessage());
    }

    /**
     * The headline table across sittings: two configs (KD, then KD at another temperature) over one
     * seed; every run's record is copied beside the table, so after {@code runs/} is gone (a fresh
     * checkout) {@code --resume} reads both back and trains nothing; the table has both rows on the
     * first config's scratch baseline. A further config of another student is refused before any run.
     */
    @Test
    void twoConfigsMakeOneTableThatResumesFromItsCopiedRecords(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.yaml"), tiny("kda", "{name: kd, temperature: 4}"));
        Path b = Files.writeString(dir.resolve("b.yaml"), tiny("kdb", "{name: kd, temperature: 8}"));
        Path out = dir.resolve("out");
        String[] args = {"bench", "kd", "-c", a.toString(), "-c", b.toString(), "--seeds", "1", "--threads", "1",
            "--data", CliEndToEndTest.SLICE.toString(), "--runs", dir.resolve("runs").toString(), "--out",
            out.toString(), "--table", "head"};
        ReliabilityCliTest.Result first = ReliabilityCliTest.cli(args);
        assertEquals(0, first.code(), first.err());
        String md = Files.readString(out.resolve("head.md"));
        assertTrue(md.startsWith("Configs `kda`, `kdb`, 1 seed [1];"), md);
        for (String row : List.of("| teacher (", "| student-none (", "| student-kd (", "| student-kd (kdb) (")) {
            assertTrue(md.contains(row), row + " in\n" + md);
        }
        assertTrue(md.contains("`kdb` HintonKd[temperature=8.0"), md);
        assertTrue(Files.exists(out.resolve("head-seeds").resolve("kda-seed1.json")));
        RunRecord copied = RunRecord.read(out.resolve("head-seeds").resolve("kdb-seed1.json"));
        assertEquals(List.of("teacher", "student-kd"), copied.models().stream()
                .map(org.distill4j.report.ModelResult::name).toList(), "the further config trains no scratch student");

        deleteTree(dir.resolve("runs")); // a fresh checkout: runs/ is not committed
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        ReliabilityCliTest.Result again = ReliabilityCliTest.cli(resume);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("seed 1/1 kda → " + out.resolve("head-seeds").resolve("kda-seed1.json")
                + ": finished earlier"), again.err());
        assertTrue(again.err().contains("seed 1/1 kdb → " + out.resolve("head-seeds").resolve("kdb-seed1.json")
                + ": finished earlier"), again.err());
        assertTrue(!Files.exists(dir.resolve("runs").resolve("bench-kd").resolve("runs.json")), "nothing trained again");
        assertEquals(md.substring(md.indexOf("| model")), Files.readString(out.resolve("head.md"))
                .substring(md.indexOf("| model")), "the same table, read back");

        Path c = Files.writeString(dir.resolve("c.yaml"), tiny("kdc", "{name: kd}").replace("hidden: [4]", "hidden: [5]"));
        ReliabilityCliTest.Result bad = ReliabilityCliTest.cli("bench", "kd", "-c", a.toString(), "-c", c.toString(),
                "--seeds", "1", "--threads", "1", "--data", CliEndToEndTest.SLICE.toString(), "--runs",
                dir.resolve("runs2").toString(), "--out", out.toString(), "--table", "bad");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains(c + ": its student.model differs from the first config's ('kda')"), bad.err());
        assertTrue(!Files.exists(out.resolve("bad.md")) && !Files.exists(dir.resolve("runs2")), "refused before any run");
    }

    /** A run config of a tiny MLP teacher and student (one epoch each) with the given student method. */
    static String tiny(String name, String method) {
        return """
                name: %s
                data: {validation: 0.1}
                teacher:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.05}}
                student:
                  model: {type: mlp, hidden: [4]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.05}}
                  method: %s
                """.formatted(name, method);
    }

    /** Deletes a directory and everything in it (what a fresh checkout lacks: {@code runs/}). */
    static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static RunRecord withConfig(RunRecord r, String name) throws Exception {
        org.distill4j.config.RunConfig c = ConfigLoader.parse("name: " + name + """

                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [4]}}
                """, "test");
        return new RunRecord(r.formatVersion(), r.runId(), r.createdAt(), r.versions(), r.seed(), c, r.dataDigests(),
                r.dataSizes(), r.teacherDigest(), r.models(), r.totalSeconds(), r.schemeResults());
    }

    private static List<String> iterable(JsonNode node) {
        List<String> keys = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }
}

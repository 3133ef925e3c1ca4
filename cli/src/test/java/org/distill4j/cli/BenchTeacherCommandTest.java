package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.io.Provenance;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench teacher}: seeds tabulated, one seed's network kept with its digests, loaded (not retrained) by a run. */
class BenchTeacherCommandTest {
    @Test
    void theKeptTeacherIsTheSeedsNetworkAndARunLoadsItWithThatDigest(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("ref.yaml"), """
                name: ref
                data: {validation: 0.1}
                teacher:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.05}}
                student:
                  model: {type: mlp, hidden: [4]}
                  train: {epochs: 1, batchSize: 64}
                  method: {name: none}
                  baseline: false
                """);
        Path runs = dir.resolve("runs");
        Path kept = dir.resolve("teacher").resolve("ref.model");
        Path out = dir.resolve("out");
        String[] args = {"bench", "teacher", "-c", cfg.toString(), "--seeds", "2", "--keep", "2", "--file",
            kept.toString(), "--threads", "1", "--data", CliEndToEndTest.SLICE.toString(), "--runs", runs.toString(),
            "--out", out.toString()};
        ReliabilityCliTest.Result r = ReliabilityCliTest.cli(args);
        assertEquals(0, r.code(), r.err());
        JsonNode side = RunRecord.JSON.readTree(Path.of(kept + ".json").toFile());
        assertEquals(Provenance.sha256(kept), side.get("sha256").asText());
        assertEquals(2, side.get("seed").asInt());
        JsonNode index = RunRecord.JSON.readTree(runs.resolve("bench-teacher").resolve("runs.json").toFile());
        Path seed2 = null;
        for (var it = index.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().startsWith("seed2/")) {
                seed2 = Path.of(e.getValue().asText());
            }
        }
        RunRecord rec = RunRecord.read(seed2.resolve("record.json"));
        assertEquals(rec.model("teacher").weightsDigest(), side.get("weightsDigest").asText());
        assertEquals(rec.model("teacher").metrics().testAccuracy(), side.get("testAccuracy").asDouble(), 1e-12);
        Path seedRecords = dir.resolve("teacher").resolve("ref-seeds");
        assertEquals(Files.readString(seed2.resolve("record.json")), Files.readString(seedRecords.resolve("seed2.json")));
        String md = Files.readString(out.resolve("teacher-ref.md"));
        assertTrue(md.contains("2 seeds [1, 2]") && md.contains("| mean ± std |") && md.contains("PyTorch intra-op threads: 1"),
                md);

        // a run that loads it: not retrained, and its records carry the kept network's digest
        Path student = Files.writeString(dir.resolve("s.yaml"), """
                name: uses-ref
                teacher:
                  model: {type: mlp, hidden: [8]}
                  load: %s
                student:
                  model: {type: mlp, hidden: [4]}
                  train: {epochs: 1, batchSize: 64}
                  baseline: false
                """.formatted(kept));
        r = ReliabilityCliTest.cli("train", "-c", student.toString(), "--threads", "1", "--data",
                CliEndToEndTest.SLICE.toString(), "--runs", dir.resolve("runs2").toString());
        assertEquals(0, r.code(), r.err());
        try (var s = Files.list(dir.resolve("runs2"))) {
            Path run = s.filter(p -> Files.exists(p.resolve("record.json"))).findFirst().orElseThrow();
            RunRecord used = RunRecord.read(run.resolve("record.json"));
            assertEquals(side.get("weightsDigest").asText(), used.teacherDigest());
            assertTrue(used.model("teacher").loaded(), "loaded, not trained");
        }

        // a fresh checkout: no runs/ folder, only the committed seed records and the kept network.
        // With --resume a third seed trains and the two committed ones are read, not retrained.
        try (var walk = Files.walk(runs)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        String[] more = args.clone();
        more[java.util.Arrays.asList(args).indexOf("--seeds") + 1] = "3";
        String[] resume = java.util.Arrays.copyOf(more, more.length + 1);
        resume[more.length] = "--resume";
        r = ReliabilityCliTest.cli(resume);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("seed 1/3 → " + seedRecords.resolve("seed1.json") + ": finished earlier"), r.err());
        assertTrue(r.err().contains("seed 2/3 → " + seedRecords.resolve("seed2.json") + ": finished earlier"), r.err());
        assertTrue(Files.exists(seedRecords.resolve("seed3.json")), "seed 3 trained and recorded");
        assertEquals(side.get("sha256").asText(), Provenance.sha256(kept), "the kept network is untouched");
        assertTrue(Files.readString(out.resolve("teacher-ref.md")).contains("3 seeds [1, 2, 3]"));

        // a bench stopped after seed 1 of 3 leaves the table of what finished, saying so
        assertTrue(BenchTeacherCommand.markdown(org.distill4j.config.ConfigLoader.load(cfg), java.util.List.of(rec),
                "teacher", 1, 2, kept, 3).contains("**1 of 3 seeds finished**"));
    }

    /** --resume with a committed record of the kept seed but without its network refuses, naming the file. */
    @Test
    void aCommittedKeptSeedWithoutItsNetworkIsRefused(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("ref.yaml"), """
                name: ref
                teacher:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64, optimizer: {type: sgd, lr: 0.05}}
                student:
                  model: {type: mlp, hidden: [4]}
                  train: {epochs: 1, batchSize: 64}
                  method: {name: none}
                  baseline: false
                """);
        Path kept = dir.resolve("ref.model");
        String[] args = {"bench", "teacher", "-c", cfg.toString(), "--seeds", "1", "--file", kept.toString(),
            "--threads", "1", "--data", CliEndToEndTest.SLICE.toString(), "--runs", dir.resolve("runs").toString(),
            "--out", dir.resolve("out").toString()};
        assertEquals(0, ReliabilityCliTest.cli(args).code());
        Files.delete(kept);
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        ReliabilityCliTest.Result r = ReliabilityCliTest.cli(resume);
        assertEquals(Main.CONFIG_ERROR, r.code(), r.err());
        assertTrue(r.err().contains(kept + " is missing or is not its network"), r.err());
    }

    @Test
    void aKeptSeedOutsideTheSeedsIsRefusedBeforeAnyWork(@TempDir Path dir) {
        ReliabilityCliTest.Result r = ReliabilityCliTest.cli("bench", "teacher", "--seeds", "2", "--keep", "3",
                "--runs", dir.resolve("runs").toString(), "--file", dir.resolve("t.model").toString());
        assertEquals(Main.CONFIG_ERROR, r.code(), r.err());
        assertTrue(r.err().contains("--keep: must be one of the seeds 1…2 (got 3)"), r.err());
        assertFalse(Files.exists(dir.resolve("runs")));
    }
}

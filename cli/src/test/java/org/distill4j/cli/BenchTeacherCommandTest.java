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
        assertEquals(100 * rec.model("teacher").metrics().testAccuracy(), side.at("/seeds/values/1").asDouble(), 1e-9);
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

        // started again with --resume, every seed is read back and the kept file is the same bytes
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        r = ReliabilityCliTest.cli(resume);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("seed 1/2 → ") && r.err().contains(": finished earlier"), r.err());
        assertEquals(side.get("sha256").asText(), Provenance.sha256(kept));
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

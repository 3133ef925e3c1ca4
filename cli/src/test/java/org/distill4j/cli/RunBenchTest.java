package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;

/** The shared bench table (bench schemes, bench algorithms) from records made up here. */
class RunBenchTest {
    static ModelResult model(String name, double accuracy, long bytes) {
        return new ModelResult(name, "student", "none", "mlp[8]", 100, bytes, "d-" + name, name + ".model", false, 1,
                0, List.of(), new ModelMetrics(accuracy, 0, 0, null, null, null, null, 0, 0));
    }

    static RunRecord record(String id, long seed, String teacher, ModelResult... models) {
        return new RunRecord(RunRecord.FORMAT_VERSION, id, "now", Map.of(), seed, null, Map.of(),
                Map.of("train", 5400, "validation", 600, "test", 10000), teacher, List.of(models), 10, null);
    }

    static RunBench.Spec spec(RunBench.Spec.Row... rows) {
        return spec(null, rows);
    }

    static RunBench.Spec spec(String note, RunBench.Spec.Row... rows) {
        return new RunBench.Spec(null, List.of(new RunBench.Spec.Run("a", "a.yaml"), new RunBench.Spec.Run("b",
                "b.yaml")), List.of(rows), note, null);
    }

    @Test
    void rowsCompareModelsOfOneRunOrOfAnotherRunWithTheSameTeachers() {
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        records.put("a", List.of(record("a1", 1, "t", model("q", 0.80, 100), model("fp", 0.82, 400)),
                record("a2", 2, "t", model("q", 0.70, 100), model("fp", 0.84, 400))));
        records.put("b", List.of(record("b1", 1, "t", model("other", 0.81, 400)),
                record("b2", 2, "t", model("other", 0.83, 400))));
        RunBench.Spec spec = spec(new RunBench.Spec.Row("a", "quantised vs fp", "q", "fp", null, "lit"),
                new RunBench.Spec.Row("b", "across runs", "other", "fp", "a", null));
        Map<String, Object> json = RunBench.summary(spec, records);
        json.put("seeds", 2);
        json.put("intraOpThreads", 1);
        json.put("runSeconds", 40.0);
        json.put("prepareSeconds", 5.0);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) ((List<Object>) json.get("rows")).get(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> delta = (Map<String, Object>) first.get("delta");
        assertEquals(-8.0, (Double) delta.get("mean"), 1e-9, "mean of (80 − 82) and (70 − 84)");
        String md = new BenchAlgorithmsCommand().markdown(json);
        assertTrue(md.contains("5,400 / 600 / 10,000") && md.contains("threads: 1") && md.contains("40 s")
                && md.contains("5 s more"), md);
        assertTrue(md.contains("| a | quantised vs fp | 75.00 ± 7.07 | 100 | fp | 83.00 ± 1.41 | 400 | -8.00 ± 8.49 | lit |"),
                md);
        assertTrue(md.contains("| b | across runs | 82.00 ± 1.41 | 400 | a/fp | 83.00 ± 1.41 | same |"), md);
        String schemes = new BenchSchemesCommand().markdown(json);
        assertTrue(schemes.contains("| a | quantised vs fp | 75.00 ± 7.07 | fp | 83.00 ± 1.41 | -8.00 ± 8.49 | lit |"),
                schemes);
    }

    @Test
    void theConfigsNoteEndsTheHeadersFirstParagraph() {
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        records.put("a", List.of(record("a1", 1, "t", model("q", 0.80, 100), model("fp", 0.82, 400))));
        String md = new BenchAlgorithmsCommand().markdown(withRunFacts(RunBench.summary(spec(
                "Shrunk to fit:\n  fewer epochs.\n", new RunBench.Spec.Row("a", "quantised vs fp", "q", "fp", null,
                        "lit")), records)));
        assertTrue(md.contains("in all (their sittings summed). Shrunk to fit: fewer epochs.\n\n| algorithm |"), md);
        assertTrue(!new BenchAlgorithmsCommand().markdown(withRunFacts(RunBench.summary(spec(
                new RunBench.Spec.Row("a", "quantised vs fp", "q", "fp", null, "lit")), records))).contains("Shrunk"));
    }

    static Map<String, Object> withRunFacts(Map<String, Object> json) {
        json.put("seeds", 1);
        json.put("intraOpThreads", 1);
        json.put("runSeconds", 40.0);
        json.put("prepareSeconds", 0.0);
        return json;
    }

    @Test
    void aBaselineFromARunWithOtherTeachersIsRefused() {
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        records.put("a", List.of(record("a1", 1, "t", model("fp", 0.82, 400))));
        records.put("b", List.of(record("b1", 1, "u", model("other", 0.81, 400))));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunBench.summary(
                spec(new RunBench.Spec.Row("b", "across runs", "other", "fp", "a", null)), records));
        assertTrue(e.getMessage().contains("teachers differ at seed 1"), e.getMessage());
    }

    static ModelResult distilled(String name, double accuracy, double agreeTrain, double agreeTest, double klTrain,
            double klTest) {
        return new ModelResult(name, "student", "kd", "mlp[8]", 100, 400, "d-" + name, name + ".model", false, 1, 0,
                List.of(), new ModelMetrics(accuracy, 0, 0, agreeTrain, agreeTest, klTrain, klTest, 0, 0));
    }

    /** A fidelity bench adds a second table: each row's model's agreement and KL with its teacher (— where unmeasured). */
    @Test
    void aFidelityBenchTabulatesAgreementAndKlOnTrainAndTest() {
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        records.put("a", List.of(record("a1", 1, "t", distilled("kd", 0.80, 0.90, 0.85, 0.10, 0.20),
                model("none", 0.78, 400)), record("a2", 2, "t", distilled("kd", 0.82, 0.94, 0.87, 0.30, 0.40),
                model("none", 0.80, 400))));
        records.put("b", records.get("a"));
        RunBench.Spec spec = new RunBench.Spec(null, List.of(new RunBench.Spec.Run("a", "a.yaml"),
                new RunBench.Spec.Run("b", "b.yaml")), List.of(new RunBench.Spec.Row("a", "kd vs none", "kd", "none",
                        null, null), new RunBench.Spec.Row("a", "none itself", "none", "kd", null, null)), null, true);
        Map<String, Object> json = RunBench.summary(spec, records);
        json.put("seeds", 2);
        json.put("intraOpThreads", 1);
        json.put("runSeconds", 40.0);
        json.put("prepareSeconds", 0.0);
        String md = new BenchAlgorithmsCommand().markdown(json);
        assertTrue(md.contains("| a | kd vs none | 81.00 ± 1.41 | 92.00 ± 2.83 | 86.00 ± 1.41 | 0.2000 ± 0.1414 "
                + "| 0.3000 ± 0.1414 |"), md);
        assertTrue(md.contains("| a | none itself | 79.00 ± 1.41 | — | — | — | — |"), md);
        // without fidelity: one table, as before
        String plain = new BenchAlgorithmsCommand().markdown(RunBench.summary(spec(spec.rows().get(0)), records)
                .entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue,
                        (x, y) -> x, () -> new LinkedHashMap<>(Map.of("seeds", 2, "intraOpThreads", 1,
                                "runSeconds", 40.0, "prepareSeconds", 0.0)))));
        assertTrue(!plain.contains("agreement"), plain);
    }

    static ModelResult timed(String name, double accuracy, double msBatch1, double msBatch256) {
        return new ModelResult(name, "student", "none", "mlp[8]", 100, 400, "d-" + name, name + ".model", false, 1,
                0, List.of(), new ModelMetrics(accuracy, 0, 0, null, null, null, null, msBatch1, msBatch256));
    }

    /** The text bench adds a latency table: ms per sample, the speed-up over the teacher row and the accuracy gap. */
    @Test
    void aLatencyBenchGivesSpeedUpAndGapToTheTeacher() {
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        records.put("a", List.of(record("a1", 1, "t", timed("teacher", 0.98, 50, 40), timed("s", 0.96, 0.5, 0.1)),
                record("a2", 2, "t", timed("teacher", 0.98, 30, 40), timed("s", 0.94, 0.3, 0.1))));
        RunBench.Spec spec = spec(new RunBench.Spec.Row("a", "the teacher", "teacher", "s", null, null),
                new RunBench.Spec.Row("a", "a student", "s", "s", null, null));
        String md = new BenchTextCommand().markdown(withRunFacts(RunBench.summary(spec, records, true)));
        assertTrue(md.contains("Training / validation / test mails"), md);
        assertTrue(md.contains("| a | the teacher | 98.00 ± 0.00 | — | 400 | 40.000 ± 14.142 | 40.000 ± 0.000 | — | — |"), md);
        assertTrue(md.contains("| a | a student | 95.00 ± 1.41 | — | 400 | 0.400 ± 0.141 | 0.100 ± 0.000 | 100× | -3.00 |"),
                md);
        assertTrue(!new BenchAlgorithmsCommand().markdown(withRunFacts(RunBench.summary(spec, records)))
                .contains("speed-up"), "other benches: no latency table");
    }

    /** Models reading token ids are timed at batch 1 and 64 (a service's batch), and the table says so. */
    @Test
    void tokenModelsAreTimedAtBatch64() {
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        records.put("a", List.of(record("a1", 1, "t", tokens("teacher", 0.98, 50, 20), tokens("s", 0.96, 0.5, 0.1)),
                record("a2", 2, "t", tokens("teacher", 0.98, 30, 20), tokens("s", 0.94, 0.3, 0.3))));
        RunBench.Spec spec = spec(new RunBench.Spec.Row("a", "the teacher", "teacher", "s", null, null),
                new RunBench.Spec.Row("a", "a student", "s", "s", null, null));
        String md = new BenchTextCommand().markdown(withRunFacts(RunBench.summary(spec, records, true)));
        assertTrue(md.contains("at batch 1 and 64, mean ± sample std") && md.contains("| ms/sample batch 64 |"), md);
        assertTrue(!md.contains("256"), md);
        assertTrue(md.contains("| a | the teacher | 98.00 ± 0.00 | — | 400 | 40.000 ± 14.142 | 20.000 ± 0.000 | — | — |"), md);
        assertTrue(md.contains("| a | a student | 95.00 ± 1.41 | — | 400 | 0.400 ± 0.141 | 0.200 ± 0.141 | 100× | -3.00 |"),
                md);
    }

    static ModelResult tokens(String name, double accuracy, double msBatch1, double msBatch64) {
        return new ModelResult(name, "student", "none", "text-cnn", 100, 400, "d-" + name, name + ".model", false, 1,
                0, List.of(), new ModelMetrics(accuracy, 0, 0, null, null, null, null, msBatch1, Double.NaN, msBatch64));
    }

    /**
     * A bench of run configs is finished across sittings in fresh checkouts: each finished run's
     * record is copied beside the table, so with {@code runs/} gone the bench trains nothing and
     * writes the same table; a copy made from another config is said and that run trains again.
     */
    @Test
    void aBenchIsReadBackFromItsCopiedRecordsInAFreshCheckout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path run = java.nio.file.Files.writeString(dir.resolve("kd.yaml"),
                BenchKdCommandTest.tiny("tiny", "{name: kd}"));
        java.nio.file.Path spec = java.nio.file.Files.writeString(dir.resolve("b.yaml"), """
                runs:
                  - {name: kd, config: %s}
                rows:
                  - {run: kd, label: "kd vs alone", model: student-kd, baseline: student-none, literature: "Hinton"}
                """.formatted(run));
        java.nio.file.Path out = dir.resolve("out");
        String[] args = {"bench", "schemes", "-c", spec.toString(), "--seeds", "1", "--threads", "1", "--data",
            CliEndToEndTest.SLICE.toString(), "--runs", dir.resolve("runs").toString(), "--out", out.toString()};
        ReliabilityCliTest.Result first = ReliabilityCliTest.cli(args);
        assertEquals(0, first.code(), first.err());
        java.nio.file.Path copy = out.resolve("b-seeds").resolve("kd-seed1.json");
        assertTrue(java.nio.file.Files.exists(copy), first.err());
        String md = java.nio.file.Files.readString(out.resolve("b.md"));
        BenchKdCommandTest.deleteTree(dir.resolve("runs")); // a fresh checkout: runs/ is not committed
        ReliabilityCliTest.Result again = ReliabilityCliTest.cli(args);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("kd seed 1/1 → " + copy + ": finished earlier"), again.err());
        assertTrue(!java.nio.file.Files.exists(dir.resolve("runs").resolve("bench-schemes").resolve("runs.json")),
                "nothing trained again");
        String table = java.nio.file.Files.readString(out.resolve("b.md"));
        assertEquals(md.substring(md.indexOf("| ")), table.substring(table.indexOf("| ")), "the same rows");

        java.nio.file.Files.writeString(run, java.nio.file.Files.readString(run).replace("hidden: [4]", "hidden: [5]"));
        ReliabilityCliTest.Result changed = ReliabilityCliTest.cli(args);
        assertEquals(0, changed.code(), changed.err());
        assertTrue(changed.err().contains("run record " + copy + " was made from another config: that run trains again"),
                changed.err());
        assertTrue(java.nio.file.Files.exists(dir.resolve("runs").resolve("bench-schemes").resolve("runs.json")));
    }
}

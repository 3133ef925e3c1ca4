package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.distill4j.api.ExportFolder;
import org.distill4j.knowledge.KnowledgeBase;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A ReAugKD run trained by the CLI, then evaluated, exported and used by predict, each with retrieval. */
class ReAugKdCliTest {
    @Test
    void evaluateExportAndPredictRetrieve(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("r.yaml");
        Files.writeString(config, """
                name: r
                data: {validation: 0.2, testLimit: 100}
                teacher:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 1, batchSize: 64}
                student:
                  model: {type: mlp, hidden: [8]}
                  train: {epochs: 1, batchSize: 64}
                  method: {name: reaugkd, k: 4, projectionEpochs: 1}
                  baseline: false
                scheme: {name: reaugkd}
                """);
        Path runs = dir.resolve("runs");
        String slice = EvaluateCommandTest.SLICE.toString();
        String[] train = EvaluateCommandTest.run("train", "-c", config.toString(), "--data", slice, "--runs",
                runs.toString());
        assertEquals("0", train[0], train[2]);
        Path run;
        try (var list = Files.list(runs)) {
            run = list.findFirst().orElseThrow();
        }
        RunRecord record = RunRecord.read(run.resolve("record.json"));
        double withRetrieval = record.model("student-reaugkd").metrics().testAccuracy();
        double alone = record.model("student-reaugkd-network").metrics().testAccuracy();

        String[] ev = EvaluateCommandTest.run("evaluate", run.toString(), "--model", "student-reaugkd", "--data", slice,
                "--latency-samples", "5");
        assertEquals("0", ev[0], ev[2]);
        String withLine = ev[1].lines().filter(l -> l.startsWith("student-reaugkd (")).findFirst().orElseThrow();
        String aloneLine = ev[1].lines().filter(l -> l.startsWith("student-reaugkd without retrieval")).findFirst()
                .orElseThrow();
        assertTrue(withLine.contains(String.format(Locale.ROOT, "%.2f%%", 100 * withRetrieval)), ev[1]);
        assertTrue(aloneLine.contains(String.format(Locale.ROOT, "%.2f%%", 100 * alone)), ev[1]);
        assertTrue(ev[1].contains(String.format(Locale.ROOT, "%,d bytes on disk",
                KnowledgeBase.bytes(run.resolve("knowledge/reaugkd")))), ev[1]);

        Path out = dir.resolve("export");
        String[] ex = EvaluateCommandTest.run("export", run.toString(), "--out", out.toString());
        assertEquals("0", ex[0], ex[2]);
        assertTrue(ex[1].contains("with its knowledge base") && ex[1].contains("retrieval/kb.json"), ex[1]);
        assertTrue(Files.isRegularFile(out.resolve(ExportFolder.RETRIEVAL).resolve(KnowledgeBase.MANIFEST)));

        String[] pr = EvaluateCommandTest.run("predict", out.toString(), "--input", "../examples/data/fashion");
        assertEquals("0", pr[0], pr[2]);
        assertTrue(pr[2].contains("retrieving from a knowledge base of") && pr[2].contains("k=4"), pr[2]);
    }
}

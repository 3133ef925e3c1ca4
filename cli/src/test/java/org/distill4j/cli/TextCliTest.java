package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill train} on text: a YAML text config runs; bad text is one line naming the file, exit 3. */
class TextCliTest {
    static final Path SLICE = Path.of("../core/src/test/resources/text-slice").toAbsolutePath().normalize();

    static String config(String train) {
        return "name: text\nseed: 2\n"
                + "data: {source: text, train: " + train + ", validation: 0.0,\n"
                + "       text: {tokenizer: " + SLICE.resolve("tokenizer.json") + ", maxLength: 24}}\n"
                + "teacher: {import: " + SLICE.resolve("tiny-encoder.onnx") + "}\n"
                + "student:\n"
                + "  model: {type: ngram-mlp, buckets: 256, dim: 8, hidden: 8}\n"
                + "  train: {epochs: 2, batchSize: 8, optimizer: {type: adam, lr: 0.01}}\n"
                + "  method: {name: kd-hint, studentTap: fc1, teacherTap: pooled}\n";
    }

    @Test
    void aTextConfigTrainsAndBadTextIsOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("text.yaml"), config(SLICE.resolve("mail.jsonl").toString()));
        OwnDataCliTest.Result ok = OwnDataCliTest.run("train", "-c", cfg.toString(), "--runs",
                dir.resolve("runs").toString());
        assertEquals(0, ok.code(), ok.err());
        Path run;
        try (var runs = Files.list(dir.resolve("runs"))) {
            // the runs folder also holds text-cache/, the teacher's embeddings
            run = runs.filter(p -> Files.exists(p.resolve("record.json"))).findFirst().orElseThrow();
        }
        RunRecord r = RunRecord.read(run.resolve("record.json"));
        assertEquals("text", r.config().data().source());
        assertTrue(r.model("student-kd-hint").metrics().testAccuracy() > 0.5);

        Path bad = dir.resolve("bad/spam");
        Files.createDirectories(bad);
        Files.write(bad.resolve("x.txt"), new byte[] {'h', 'i', (byte) 0xE9, '!'});
        Files.writeString(dir.resolve("bad/spam/y.txt"), "fine", StandardCharsets.UTF_8);
        Path badCfg = Files.writeString(dir.resolve("bad.yaml"), config(dir.resolve("bad").toString()));
        OwnDataCliTest.Result e = OwnDataCliTest.run("train", "-c", badCfg.toString(), "--runs",
                dir.resolve("runs2").toString());
        assertEquals(3, e.code(), e.err());
        String[] lines = e.err().strip().split("\n");
        assertEquals(1, lines.length, e.err());
        assertTrue(lines[0].contains(bad.resolve("x.txt").toString()) && lines[0].contains("not UTF-8"), lines[0]);
        assertFalse(Files.exists(dir.resolve("runs2")), "nothing written");
        assertTrue(Files.exists(dir.resolve("runs/text-cache")), "the first run kept its embeddings");
    }
}

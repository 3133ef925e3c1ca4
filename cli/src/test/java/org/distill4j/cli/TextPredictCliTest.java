package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.knowledge.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill export} and {@code distill predict --input} with a text student trained on the
 * committed text slice: texts from a file, a folder of files, CSV and JSON lines; bad input is one
 * line naming the file; and, where python3-torch is installed, {@code bench/interop/rebuild.py}
 * rebuilding the text student in PyTorch.
 */
class TextPredictCliTest {
    static final Path SLICE = Path.of("../core/src/test/resources/text-slice").toAbsolutePath().normalize();

    @TempDir
    static Path dir;
    static Path run;
    static Path export;

    @BeforeAll
    static void trainAndExport() throws Exception {
        run = ExportPredictCliTest.train(dir, """
                data: {source: text, train: %s, text: {tokenizer: %s, maxLength: 24}, testFraction: 0.25}
                teacher: {import: %s}
                student: {model: {type: text-cnn, vocab: 4000, dim: 8, filters: 16, kernel: 3, hidden: 16},
                  train: {epochs: 4, batchSize: 8}, method: {name: kd}, baseline: false}
                """.formatted(SLICE.resolve("mail"), SLICE.resolve("tokenizer.json"), SLICE.resolve("tiny-encoder.onnx")));
        export = dir.resolve("text-export");
        ExportPredictCliTest.Result e = ExportPredictCliTest.run("export", run.toString(), "--out", export.toString(),
                "--reference", "all");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("tokenizer.json"), e.out());
        assertTrue(e.out().contains("(16 random, 12 test samples)"), e.out());
    }

    static ExportPredictCliTest.Result predict(String input, String... extra) {
        String[] args = new String[4 + extra.length];
        args[0] = "predict";
        args[1] = export.toString();
        args[2] = "--input";
        args[3] = input;
        System.arraycopy(extra, 0, args, 4, extra.length);
        return ExportPredictCliTest.run(args);
    }

    @Test
    void textsFromFilesFoldersCsvAndJsonLinesAreClassifiedAlike() throws Exception {
        ExportPredictCliTest.Result folder = predict(SLICE.resolve("mail").toString(), "--logits",
                dir.resolve("folder.safetensors").toString());
        assertEquals(0, folder.code(), folder.err());
        List<String> rows = ExportPredictCliTest.rows(folder.out());
        assertEquals(48, rows.size(), folder.out());
        assertTrue(rows.get(0).matches("ham/00\\.txt\\s+ham\\s+(ham|spam)\\s+[01]\\.\\d{4}\\s+.*"), rows.get(0));
        assertTrue(folder.out().contains("48 inputs · latency per sample at batch 1 (Student.predict: tokenise"),
                folder.out());
        assertTrue(folder.out().contains("accuracy against the 48 labels the input gives"), folder.out());

        ExportPredictCliTest.Result csv = predict(SLICE.resolve("mail.csv").toString(), "--logits",
                dir.resolve("csv.safetensors").toString());
        assertEquals(0, csv.code(), csv.err());
        ExportPredictCliTest.Result jsonl = predict(SLICE.resolve("mail.jsonl").toString());
        assertEquals(0, jsonl.code(), jsonl.err());
        assertEquals(48, ExportPredictCliTest.rows(csv.out()).size());
        // the same 48 mails, in the same order, give the same labels, classes and probabilities from each layout
        assertEquals(answers(rows, 1), answers(ExportPredictCliTest.rows(csv.out()), 2));
        assertEquals(answers(rows, 1), answers(ExportPredictCliTest.rows(jsonl.out()), 2));
        float[] a = SafeTensors.open(dir.resolve("folder.safetensors")).tensors().get("logits").floats();
        float[] b = SafeTensors.open(dir.resolve("csv.safetensors")).tensors().get("logits").floats();
        assertEquals(96, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-6f, "logit " + i);
        }

        // One e-mail a file, and another text field named on the command line.
        Path mail = Files.writeString(dir.resolve("one.eml"), "Subject: win a free prize now\n\nclick here to claim");
        ExportPredictCliTest.Result one = predict(mail.toString());
        assertEquals(0, one.code(), one.err());
        assertEquals(1, ExportPredictCliTest.rows(one.out()).size());
        assertTrue(ExportPredictCliTest.rows(one.out()).get(0).startsWith("one.eml "), one.out());
        Path body = Files.writeString(dir.resolve("body.jsonl"), "{\"body\": \"Subject: lunch at noon\"}\n");
        ExportPredictCliTest.Result field = predict(body.toString(), "--text-field", "body");
        assertEquals(0, field.code(), field.err());
        assertEquals(1, ExportPredictCliTest.rows(field.out()).size(), field.out());
    }

    /** Each row without its first {@code where} words (the input's name: {@code ham/00.txt}, {@code line 2}). */
    private static List<String> answers(List<String> rows, int where) {
        return rows.stream().map(r -> r.trim().split("\\s+", where + 1)[where].trim()).toList();
    }

    @Test
    void badTextInputIsOneLineNamingTheFile() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        assertError(predict(empty.toString()), "data error: text data " + empty + ": the text is empty");
        Path latin1 = Files.write(dir.resolve("latin1.txt"), "Subject: caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertError(predict(latin1.toString()), "data error: text file " + latin1 + " is not UTF-8 (unreadable bytes at offset 12)");
        Path noColumn = Files.writeString(dir.resolve("nocolumn.csv"), "body,label\nhello,ham\n");
        assertError(predict(noColumn.toString()), "data error: CSV file " + noColumn + ": no column named \"text\"");
        Path jsonl = Files.writeString(dir.resolve("nofield.jsonl"), "{\"text\": \"hello\"}\n");
        assertError(predict(jsonl.toString(), "--text-field", "body"), "data error: JSON file " + jsonl + " line 1: no text field");
    }

    private static void assertError(ExportPredictCliTest.Result r, String start) {
        assertEquals(3, r.code(), r.out() + r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("predicting with")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith(start), lines.get(0) + " (expected " + start + "…)");
    }

    @Test
    void pytorchRebuildsBothTextStudentsFromTheFolderAlone() throws Exception {
        Process which = new ProcessBuilder("../bench/interop/python").redirectErrorStream(false).start();
        String python = new String(which.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assumeTrue(which.waitFor() == 0, "no python3 with PyTorch here (Debian: python3-torch); rebuild check skipped");
        Path bagRun = ExportPredictCliTest.train(dir, """
                data: {source: text, train: %s, text: {tokenizer: %s, maxLength: 24}, testFraction: 0.25}
                teacher: {import: %s}
                student: {model: {type: ngram-mlp, buckets: 512, dim: 8, hidden: 16},
                  train: {epochs: 2, batchSize: 8}, method: {name: kd}, baseline: false}
                """.formatted(SLICE.resolve("mail"), SLICE.resolve("tokenizer.json"), SLICE.resolve("tiny-encoder.onnx")));
        Path bag = dir.resolve("bag-export");
        assertEquals(0, ExportPredictCliTest.run("export", bagRun.toString(), "--out", bag.toString(), "--reference",
                "all").code());
        for (Path folder : List.of(export, bag)) {
            Process py = new ProcessBuilder(python, "../bench/interop/rebuild.py", folder.toString())
                    .redirectErrorStream(true).start();
            String text = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, py.waitFor(), text);
            assertTrue(text.contains("12 inputs: max |logit difference|") && text.contains("\"ok\": true"), text);
            assertTrue(text.contains("argmax agreement 100.00%"), text);
        }
    }
}

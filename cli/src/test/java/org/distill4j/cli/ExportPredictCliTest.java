package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.distill4j.api.ExportFolder;
import org.distill4j.data.IdxReader;
import org.distill4j.knowledge.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill export} and {@code distill predict} end to end on two real (tiny) runs: a CSV run
 * (MLP) and a run on the Fashion-MNIST slice (CNN with batch norm); and, where Debian's
 * python3-torch is installed, {@code bench/interop/rebuild.py} rebuilding the export in PyTorch.
 */
class ExportPredictCliTest {
    static final Path SLICE = Path.of("../core/src/test/resources/fashion-mnist-slice");

    @TempDir
    static Path dir;
    static Path csvRun;
    static Path imageRun;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Path train(String yaml, String... extra) throws Exception {
        return train(dir, yaml, extra);
    }

    /** Trains the run of config {@code yaml} (written in {@code dir}) into a runs folder in {@code dir}; its run directory. */
    static Path train(Path dir, String yaml, String... extra) throws Exception {
        Path cfg = Files.writeString(dir.resolve("c" + yaml.hashCode() + ".yaml"), yaml);
        Path runs = dir.resolve("runs" + yaml.hashCode());
        String[] args = Stream.concat(Stream.of("train", "-c", cfg.toString(), "--runs", runs.toString()),
                Stream.of(extra)).toArray(String[]::new);
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        // the run's directory, not what sits beside it (a text run's shared text-cache/): listing order is the
        // file system's, so picking the first entry made this flaky
        try (Stream<Path> s = Files.list(runs)) {
            List<Path> finished = s.filter(p -> Files.isRegularFile(p.resolve("record.json"))).toList();
            assertEquals(1, finished.size(), "finished runs in " + runs + ": " + finished);
            return finished.get(0);
        }
    }

    @BeforeAll
    static void runs() throws Exception {
        OwnDataCliTest.csv(dir.resolve("train.csv"), 60, "p", "q", "r");
        OwnDataCliTest.csv(dir.resolve("test.csv"), 12, "p", "q", "r");
        csvRun = train("""
                data: {source: csv, train: train.csv, test: test.csv, label: kind}
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1, batchSize: 8}}
                student: {model: {type: mlp, hidden: [4]}, train: {epochs: 2, batchSize: 8}, method: {name: kd},
                  baseline: false}
                """);
        imageRun = train("""
                data: {trainLimit: 300, testLimit: 40}
                teacher: {model: {type: mlp, hidden: [16]}, train: {epochs: 1, batchSize: 32}}
                student: {model: {type: cnn, channels: [4], hidden: 8}, train: {epochs: 1, batchSize: 32}, baseline: false}
                """, "--data", SLICE.toString());
    }

    /** The rows of a printed table (between the dashes and the blank line after them). */
    static List<String> rows(String out) {
        List<String> lines = out.lines().toList();
        int start = lines.indexOf(lines.stream().filter(l -> l.startsWith("---")).findFirst().orElseThrow()) + 1;
        int end = start;
        while (end < lines.size() && !lines.get(end).isEmpty()) {
            end++;
        }
        return lines.subList(start, end);
    }

    @Test
    void aCsvRunIsExportedAndPredictedFromTheFolderAsFromTheRun() throws Exception {
        Path out = dir.resolve("csv-export");
        Result e = run("export", csvRun.toString(), "--out", out.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("exporting student-kd (mlp[4]; the run's main student"), e.err());
        assertTrue(e.out().contains("exported student-kd (mlp[4], ") && e.out().contains("input [2], 3 classes"), e.out());
        assertTrue(e.out().contains("self-check: the folder run alone gives the run's network's logits on 16 inputs"),
                e.out());
        for (String f : List.of("manifest.json", "architecture.json", "weights.safetensors", "preprocessing.json",
                "classes.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }

        Path test = dir.resolve("test.csv"); // header x,y,kind: the label column is found by its training name
        Result fromExport = run("predict", out.toString(), "--input", test.toString(), "--top", "2");
        assertEquals(0, fromExport.code(), fromExport.err());
        assertTrue(fromExport.out().contains("label") && fromExport.out().contains("top 2"), fromExport.out());
        List<String> rows = rows(fromExport.out());
        assertEquals(12, rows.size(), fromExport.out());
        for (String row : rows) {
            assertTrue(row.matches("line \\d+\\s+[pqr]\\s+[pqr]\\s+[01]\\.\\d{4}\\s+[pqr] [01]\\.\\d{4}, [pqr] [01]\\.\\d{4}"),
                    row);
        }
        assertTrue(fromExport.out().contains("12 inputs · latency per sample at batch 1")
                && fromExport.out().contains("median") && fromExport.out().contains("p90"), fromExport.out());
        assertTrue(fromExport.out().contains("accuracy against the 12 labels the input gives"), fromExport.out());
        Result fromRun = run("predict", csvRun.toString(), "--input", test.toString(), "--top", "2");
        assertEquals(0, fromRun.code(), fromRun.err());
        assertEquals(rows, rows(fromRun.out()), "the run's network and its export answer alike");

        // Rows of features only (no header, no label column).
        Path bare = Files.writeString(dir.resolve("bare.csv"), "0.5,-1.0\n3.1,-2.2\n");
        Result plain = run("predict", out.toString(), "--input", bare.toString(), "--logits",
                dir.resolve("l.safetensors").toString());
        assertEquals(0, plain.code(), plain.err());
        assertEquals(2, rows(plain.out()).size());
        assertFalse(plain.out().contains("label"), plain.out());
        var logits = SafeTensors.open(dir.resolve("l.safetensors")).tensors();
        assertEquals(List.of("raw", "input", "labels", "logits"), List.copyOf(logits.keySet()));
        assertEquals(-1, logits.get("labels").ints()[0]);
    }

    @Test
    void badInputsDamagedFilesUnknownModelsAndTakenFoldersAreOneLineErrors() throws Exception {
        Path out = dir.resolve("errors-export");
        assertEquals(0, run("export", csvRun.toString(), "--out", out.toString()).code());

        Result again = run("export", csvRun.toString(), "--out", out.toString());
        assertEquals(2, again.code());
        assertEquals("config error: --out: " + out + " exists and is not empty; choose another folder, or replace that"
                + " export with --force", again.err().strip());
        assertEquals(0, run("export", csvRun.toString(), "--out", out.toString(), "--force", "--model", "teacher").code());
        assertEquals("teacher", ExportFolder.read(out).model());

        Result unknown = run("export", csvRun.toString(), "--model", "student-fitnet", "--out", dir.resolve("u").toString());
        assertEquals(2, unknown.code());
        assertEquals("config error: no model 'student-fitnet' in run " + csvRun + "; it has teacher, student-kd",
                unknown.err().strip());
        Result noRun = run("predict", dir.resolve("no-run").toString(), "--input", "x.csv");
        assertEquals(2, noRun.code());
        assertEquals("config error: no run directory " + dir.resolve("no-run"), noRun.err().strip());
        assertFalse(Files.exists(dir.resolve("u")), "nothing written for an unknown model");

        Path bad = Files.writeString(dir.resolve("bad.csv"), "x,y\n1,2\n3,oops\n");
        Result badRow = run("predict", out.toString(), "--input", bad.toString());
        assertEquals(3, badRow.code());
        assertEquals("data error: CSV file " + bad + " line 3, column 1 (\"y\"): \"oops\" is not a number; feature cells"
                + " must be plain decimal numbers", badRow.err().lines().filter(l -> l.startsWith("data error")).findFirst()
                .orElseThrow());

        Path weights = out.resolve(ExportFolder.WEIGHTS);
        byte[] b = Files.readAllBytes(weights);
        b[b.length - 3] ^= 0x10;
        Files.write(weights, b);
        Result damaged = run("predict", out.toString(), "--input", dir.resolve("test.csv").toString());
        assertEquals(4, damaged.code());
        assertTrue(damaged.err().strip().startsWith("file error: " + weights + " is damaged: its SHA-256 is "),
                damaged.err());
        assertEquals(1, damaged.err().strip().lines().count(), damaged.err());
    }

    @Test
    void anImageRunIsExportedWithItsTestSetAndPredictsImages() throws Exception {
        Path out = dir.resolve("image-export");
        Result e = run("export", imageRun.toString(), "--out", out.toString(), "--reference", "all", "--data",
                SLICE.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("on 56 inputs (16 random, 40 test samples)"), e.out());
        ExportFolder.Reference ref = ExportFolder.reference(out);
        assertEquals(40, ref.count());

        // Three test images as PNG files in class folders: predicted with their labels.
        IdxReader.IdxImages images = IdxReader.readImages(SLICE.resolve("t10k-images-idx3-ubyte.gz"));
        byte[] labels = IdxReader.readLabels(SLICE.resolve("t10k-labels-idx1-ubyte.gz"));
        Path folder = dir.resolve("pngs");
        for (int i = 0; i < 3; i++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(28, 28,
                    java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            for (int p = 0; p < 784; p++) {
                img.getRaster().setSample(p % 28, p / 28, 0, images.pixels()[i * 784 + p] & 0xFF);
            }
            Path f = folder.resolve(Integer.toString(labels[i])).resolve(i + ".png");
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "png", f.toFile());
        }
        Result p = run("predict", out.toString(), "--input", folder.toString(), "--logits",
                dir.resolve("img.safetensors").toString());
        assertEquals(0, p.code(), p.err());
        assertEquals(3, rows(p.out()).size(), p.out());
        assertTrue(p.out().contains("accuracy against the 3 labels the input gives"), p.out());
        // The PNGs' logits are the reference's: the same test images through the same preprocessing.
        float[] got = SafeTensors.open(dir.resolve("img.safetensors")).tensors().get("logits").floats();
        for (int i = 0; i < 3 * 10; i++) {
            assertEquals(ref.logits()[i], got[i], 1e-4f, "logit " + i);
        }
    }

    @Test
    void pytorchRebuildsTheExportFromTheFolderAlone() throws Exception {
        Process which = new ProcessBuilder("../bench/interop/python").redirectErrorStream(false).start();
        String python = new String(which.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assumeTrue(which.waitFor() == 0, "no python3 with PyTorch here (Debian: python3-torch); rebuild check skipped");
        Path out = dir.resolve("python-export");
        assertEquals(0, run("export", imageRun.toString(), "--out", out.toString(), "--reference", "all", "--data",
                SLICE.toString()).code());
        Process py = new ProcessBuilder(python, "../bench/interop/rebuild.py", out.toString()).redirectErrorStream(true)
                .start();
        String text = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, py.waitFor(), text);
        assertTrue(text.contains("40 inputs: max |logit difference|") && text.contains("\"ok\": true"), text);
        assertTrue(text.contains("argmax agreement 100.00%"), text);
        // A damaged folder is refused by the Python side too, naming the file.
        Path arch = out.resolve(ExportFolder.ARCHITECTURE);
        Files.writeString(arch, Files.readString(arch).replace("\"relu\"", "\"tanh\""));
        Process bad = new ProcessBuilder(python, "../bench/interop/rebuild.py", out.toString()).redirectErrorStream(true)
                .start();
        String refused = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, bad.waitFor(), refused);
        assertTrue(refused.contains(arch + " is damaged"), refused);
    }
}

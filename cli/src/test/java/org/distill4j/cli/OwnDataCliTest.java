package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.report.RunRecord;
import org.distill4j.run.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill train} on the user's own data: bad input is one line naming the file and row or
 * entry, exit 3, and no run directory; a model that does not fit the data is a config error;
 * {@code --set} changes a key for one run (and the record shows it) or names an unknown path.
 */
class OwnDataCliTest {
    static final String MODELS = """
            teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1, batchSize: 8}}
            student: {model: {type: mlp, hidden: [4]}, train: {epochs: 3, batchSize: 8}, method: {name: kd}}
            """;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code n} rows of 2 features and a string label {@code kind} (features follow the label). */
    static Path csv(Path file, int n, String... classes) throws Exception {
        Random r = new Random(n);
        StringBuilder b = new StringBuilder("x,y,kind\n");
        for (int i = 0; i < n; i++) {
            int c = i % classes.length;
            b.append(String.format(Locale.ROOT, "%.3f,%.3f,%s%n", 3 * c + r.nextGaussian(), -2 * c + r.nextGaussian(),
                    classes[c]));
        }
        return Files.writeString(file, b.toString());
    }

    static void png(Path file, int w, int h) throws Exception {
        Files.createDirectories(file.getParent());
        ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
    }

    /** Trains {@code data} (a YAML flow mapping) and expects exit 3 naming {@code named}, with no run directory. */
    static void dataError(Path dir, String data, String... named) throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.yaml"), "name: bad\ndata: " + data + "\n" + MODELS);
        Result r = run("train", "-c", cfg.toString(), "--runs", dir.resolve("runs").toString());
        assertEquals(3, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("data error: "), lines[0]);
        for (String part : named) {
            assertTrue(lines[0].contains(part), part + " in: " + lines[0]);
        }
        assertFalse(Files.exists(dir.resolve("runs")), "nothing written: " + data);
    }

    @Test
    void raggedAndNonNumericRowsAreDataErrorsNamingFileAndLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("ragged.csv"), "x,y,kind\n1,2,a\n3,4,b\n5,6\n");
        dataError(dir, "{source: csv, train: ragged.csv}", dir.resolve("ragged.csv").toString(), "line 4",
                "has 2 columns");
        Files.writeString(dir.resolve("text.csv"), "x,y,kind\n1,2,a\n3,oops,b\n");
        dataError(dir, "{source: csv, train: text.csv}", dir.resolve("text.csv").toString(), "line 3", "\"oops\"",
                "not a number");
    }

    @Test
    void unseenTestLabelAndDifferentShapesAreDataErrors(@TempDir Path dir) throws Exception {
        csv(dir.resolve("train.csv"), 12, "a", "b");
        Files.writeString(dir.resolve("test.csv"), "x,y,kind\n1,2,a\n3,4,c\n");
        dataError(dir, "{source: csv, train: train.csv, test: test.csv}", dir.resolve("test.csv").toString(),
                "line 3", "label \"c\" never occurs in the training data");
        Files.writeString(dir.resolve("wide.csv"), "x,y,z,kind\n1,2,3,a\n");
        dataError(dir, "{source: csv, train: train.csv, test: wide.csv}", dir.resolve("wide.csv").toString(),
                "3 feature columns", "has 2");
        // images of one size, resized alike, but train in grey and test with other class folders is caught too
        png(dir.resolve("tr/a/0.png"), 4, 4);
        png(dir.resolve("tr/a/1.png"), 4, 4);
        png(dir.resolve("tr/b/0.png"), 4, 4);
        png(dir.resolve("te/c/0.png"), 4, 4);
        dataError(dir, "{source: images, train: tr, test: te, size: [4, 4]}", "c/0.png", "label \"c\" never occurs");
    }

    @Test
    void emptyClassFolderAndUnreadableImageAreDataErrors(@TempDir Path dir) throws Exception {
        png(dir.resolve("imgs/a/0.png"), 5, 3);
        png(dir.resolve("imgs/a/1.png"), 5, 3);
        Files.createDirectories(dir.resolve("imgs/b"));
        dataError(dir, "{source: images, train: imgs, size: [4, 4], channels: 3}", dir.resolve("imgs/b").toString(),
                "holds no PNG or JPEG images");
        png(dir.resolve("imgs/b/0.png"), 5, 3);
        Files.writeString(dir.resolve("imgs/b/1.png"), "not a png");
        dataError(dir, "{source: images, train: imgs, size: [4, 4], channels: 3}",
                dir.resolve("imgs/b/1.png").toString(), "is not in a format ImageIO can decode");
    }

    @Test
    void aCnnOnCsvVectorsIsAConfigErrorBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        csv(dir.resolve("t.csv"), 20, "a", "b");
        Path cfg = Files.writeString(dir.resolve("c.yaml"), "name: cnn-on-csv\ndata: {source: csv, train: t.csv}\n"
                + MODELS.replace("student: {model: {type: mlp, hidden: [4]}", "student: {model: {type: cnn, channels: [4]}"));
        Result r = run("train", "-c", cfg.toString(), "--runs", dir.resolve("runs").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("config error: student.model: cnn[4]/128 needs images of shape [C, H, W]"),
                r.err());
        assertTrue(r.err().contains("[2]"), r.err());
        assertFalse(Files.exists(dir.resolve("runs")));
    }

    @Test
    void setOverridesKeysForOneRunAndTheRecordAndFrozenConfigShowThem(@TempDir Path dir) throws Exception {
        csv(dir.resolve("t.csv"), 40, "b", "a");
        // the file trains on Fashion-MNIST for 3 student epochs; the overrides switch to the CSV and 1 epoch
        Path cfg = Files.writeString(dir.resolve("c.yaml"), "name: set\n" + MODELS);
        Path runs = dir.resolve("runs");
        Result r = run("train", "-c", cfg.toString(), "--runs", runs.toString(), "--set", "student.train.epochs=1",
                "--set", "data.source=csv", "--set", "data.train=t.csv", "--set", "data={source: csv, train: t.csv,"
                        + " label: kind, testFraction: 0.25}");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("· data csv " + dir.resolve("t.csv") + " (30 train / 10 test samples of [2], 2 classes)"),
                r.err());
        Path run;
        try (Stream<Path> s = Files.list(runs)) {
            run = s.findFirst().orElseThrow();
        }
        RunRecord record = RunRecord.read(run.resolve("record.json"));
        assertEquals(1, record.config().student().train().epochs());
        assertEquals(1, record.model("student-kd").history().size());
        assertEquals("csv", record.config().data().source());
        assertEquals(dir.resolve("t.csv").toString(), record.config().data().train(), "resolved against c.yaml's directory");
        assertEquals(java.util.List.of("a", "b"), record.data().normalisation().classNames());
        RunConfigCheck.frozenEquals(run, record);
        // resume compares the frozen config with the file and the same overrides: no drift
        Result again = run("resume", run.toString());
        assertEquals(0, again.code(), again.err());
        assertFalse(again.err().contains("changed since"), again.err());
        // its teacher, loaded for data of another shape, is a config error before a run directory exists
        Files.writeString(dir.resolve("wide.csv"), "x,y,z,kind\n1,2,3,a\n4,5,6,b\n1,2,3,a\n4,5,6,b\n1,2,3,a\n4,5,6,b\n");
        Path load = Files.writeString(dir.resolve("load.yaml"), "name: load\ndata: {source: csv, train: wide.csv,"
                + " testFraction: 0.5}\nteacher: {load: " + run.resolve("teacher.model") + ", model: {type: mlp, hidden:"
                + " [8]}}\nstudent: {model: {type: mlp, hidden: [4]}, train: {epochs: 1}}\n");
        Result misfit = run("train", "-c", load.toString(), "--runs", dir.resolve("runs2").toString());
        assertEquals(2, misfit.code(), misfit.err());
        assertTrue(misfit.err().contains("config error: teacher.load: " + run.resolve("teacher.model")
                + " takes samples of shape [2] with 2 classes but the data (csv) has [3] with 2 classes"), misfit.err());
        assertFalse(Files.exists(dir.resolve("runs2")));
        // the same teacher as the second of several: the key names its place in the list
        Path several = Files.writeString(dir.resolve("several.yaml"), "name: several\ndata: {source: csv, train: wide.csv,"
                + " testFraction: 0.5}\nteachers:\n  - {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}\n"
                + "  - {load: " + run.resolve("teacher.model") + ", model: {type: mlp, hidden: [8]}}\nstudent: {model: "
                + "{type: mlp, hidden: [4]}, train: {epochs: 1}, method: {name: multi-teacher}}\n");
        Result second = run("train", "-c", several.toString(), "--runs", dir.resolve("runs3").toString());
        assertEquals(2, second.code(), second.err());
        assertTrue(second.err().contains("config error: teachers[1].load: " + run.resolve("teacher.model")
                + " takes samples of shape [2]"), second.err());
        assertFalse(Files.exists(dir.resolve("runs3")));
    }

    @Test
    void setOfAnUnknownPathIsAConfigErrorNamingItWithTheNearestKey(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.yaml"), "name: set\n" + MODELS);
        Result r = run("train", "-c", cfg.toString(), "--runs", dir.resolve("runs").toString(), "--set",
                "student.train.epoch=2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("config error: --set student.train.epoch=2: student.train: unknown key 'epoch';"
                + " allowed here: [augment, batchSize, "), r.err());
        assertTrue(r.err().strip().endsWith("; did you mean 'epochs'?"), r.err());
        r = run("train", "-c", cfg.toString(), "--runs", dir.resolve("runs").toString(), "--set", "dta.source=csv");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--set dta.source=csv: (top level): unknown key 'dta'") && r.err().contains(
                "did you mean 'data'?"), r.err());
        r = run("train", "-c", cfg.toString(), "--runs", dir.resolve("runs").toString(), "--set", "seed");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--set seed: expected KEY.PATH=VALUE"), r.err());
        r = run("train", "-c", cfg.toString(), "--runs", dir.resolve("runs").toString(), "--set", "seed.x=1");
        assertEquals(2, r.code(), r.err());
        assertFalse(Files.exists(dir.resolve("runs")));
    }

    static String parseError(String data) {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("name: p\ndata: " + data + "\n" + MODELS, "p.yaml"));
        return e.getMessage();
    }

    @Test
    void dataSourcesParseStrictlyFromYamlAndRoundTrip(@TempDir Path dir) throws Exception {
        org.distill4j.config.RunConfig c = ConfigLoader.parse("name: p\ndata: {source: csv, train: a.csv, label: 2,"
                + " header: false, testSeed: 3}\n" + MODELS, "p.yaml");
        assertEquals("2", c.data().label(), "a 0-based index may be written as a number");
        assertEquals(Boolean.FALSE, c.data().header());
        assertEquals("a.csv", c.data().train(), "parsed text without a file stays relative");
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen"));
        Path file = Files.writeString(dir.resolve("p.yaml"), "name: p\ndata: {source: images, train: imgs, size: [8, 6],"
                + " channels: 3}\n" + MODELS);
        org.distill4j.config.RunConfig loaded = ConfigLoader.load(file);
        assertEquals(dir.resolve("imgs").toString(), loaded.data().train(), "resolved against the file's directory");
        assertEquals(java.util.List.of(8, 6), loaded.data().size());
        assertEquals(loaded, ConfigLoader.load(Files.writeString(dir.resolve("frozen.yaml"), ConfigLoader.toYaml(loaded))));
        assertTrue(parseError("{source: cvs, train: a.csv}").contains(
                "data.source: must be one of fashion-mnist, idx, csv, images, text (got cvs)"), parseError("{source: cvs}"));
        String typo = parseError("{source: csv, trian: a.csv}");
        assertTrue(typo.contains("data: unknown key 'trian'") && typo.contains("did you mean 'train'?"), typo);
        assertTrue(parseError("{train: a.csv}").contains("data.train: only with source idx, csv, images or text"),
                parseError("{train: a.csv}"));
        assertTrue(parseError("{source: images, train: imgs}").contains("data.size: required for source images"),
                parseError("{source: images, train: imgs}"));
        assertTrue(parseError("{source: csv, train: a.csv, channels: 3}").contains("data.channels: only for source images"),
                parseError("{source: csv, train: a.csv, channels: 3}"));
        assertTrue(parseError("{source: idx, train: a}").contains("data.trainLabels: required for source idx"),
                parseError("{source: idx, train: a}"));
        assertTrue(parseError("{source: csv, train: a.csv, test: b.csv, testSeed: 1}").contains("data.test: "),
                parseError("{source: csv, train: a.csv, test: b.csv, testSeed: 1}"));
    }

    /** The frozen config.yaml reads back to the record's (effective) config. */
    static final class RunConfigCheck {
        static void frozenEquals(Path run, RunRecord record) throws Exception {
            assertEquals(record.config(), ConfigLoader.load(run.resolve(RunDirectory.FROZEN_CONFIG)));
            assertTrue(Files.readString(run.resolve(RunDirectory.CONFIG_OVERRIDES)).contains("student.train.epochs=1"));
        }
    }
}

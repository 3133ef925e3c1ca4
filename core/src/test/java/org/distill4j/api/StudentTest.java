package org.distill4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.IdxReader;
import org.distill4j.data.Normalisation;
import org.distill4j.data.Preprocessing;
import org.distill4j.io.DamagedFileException;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.testing.Slice;
import org.distill4j.testing.Weights;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An exported network loaded as a {@link Student}: the same logits as the network it was exported
 * from, images converted as the images source converts them, concurrent calls answered as
 * single-threaded ones, every file verified by the manifest's checksum, bad inputs refused.
 */
class StudentTest {
    static final long[] SHAPE = {1, 28, 28};
    static final Normalisation FASHION = new Normalisation(Normalisation.Layout.PER_CHANNEL, List.of(1L, 28L, 28L),
            List.of(0.286), List.of(0.353), FashionMnist.CLASS_NAMES);
    static final int N = 48;

    static NDManager root;
    static Network net;
    /** The first {@link #N} test images of the slice, raw: pixel / 255. */
    static float[][] raw;
    static byte[] pixels;

    @BeforeAll
    static void network() {
        root = NDManager.newBaseManager();
        Seeds.apply(4);
        net = Network.create(new CnnSpec(List.of(4, 6), 12, true, null), SHAPE, 10, root);
        Weights.randomise(net, 9);
        IdxReader.IdxImages images = IdxReader.readImages(Slice.file("t10k-images-idx3-ubyte.gz"));
        pixels = images.pixels();
        raw = new float[N][784];
        for (int i = 0; i < N; i++) {
            for (int p = 0; p < 784; p++) {
                raw[i][p] = (pixels[i * 784 + p] & 0xFF) / 255f;
            }
        }
    }

    @AfterAll
    static void close() {
        net.close();
        root.close();
    }

    static Path export(Path dir) throws Exception {
        Path out = dir.resolve("export");
        ExportFolder.write(out, "student-test", net, Preprocessing.of("fashion-mnist", FASHION, null),
                FashionMnist.CLASS_NAMES, Map.of("run", "none"), null, false);
        return out;
    }

    /** The zoo network's logits of one raw input, normalised as the student normalises it, at batch 1. */
    static float[] networkLogits(float[] x) {
        try (NDManager scope = root.newSubManager()) {
            return net.forward(scope.create(FASHION.apply(x), new Shape(1, 1, 28, 28)), false).logits().toFloatArray();
        }
    }

    @Test
    void theLoadedExportGivesTheNetworksLogitsExactly(@TempDir Path dir) throws Exception {
        try (Student s = Student.load(export(dir))) {
            assertEquals("student-test", s.name());
            assertArrayEquals(SHAPE, s.inputShape());
            assertEquals(FashionMnist.CLASS_NAMES, s.classNames());
            java.util.Set<String> distinct = new java.util.HashSet<>();
            for (int i = 0; i < N; i++) {
                Prediction p = s.predict(raw[i]);
                float[] want = networkLogits(raw[i]);
                assertArrayEquals(want, p.logits(), 0f, "input " + i);
                assertEquals(argMax(want), p.classIndex());
                assertEquals(FashionMnist.CLASS_NAMES.get(p.classIndex()), p.className());
                double sum = 0;
                for (double q : p.probabilities()) {
                    sum += q;
                }
                assertEquals(1.0, sum, 1e-9);
                distinct.add(java.util.Arrays.toString(p.logits()));
            }
            assertEquals(N, distinct.size(), "every input its own logits: a mix-up between inputs would show");
        }
    }

    static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    @Test
    void imagesArePredictedAsTheImagesSourceReadsThem(@TempDir Path dir) throws Exception {
        try (Student s = Student.load(export(dir))) {
            for (int i = 0; i < 8; i++) {
                BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                BufferedImage rgb = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
                BufferedImage big = new BufferedImage(56, 56, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int p = pixels[i * 784 + y * 28 + x] & 0xFF;
                        grey.getRaster().setSample(x, y, 0, p);
                        rgb.setRGB(x, y, (p << 16) | (p << 8) | p);
                        for (int k = 0; k < 4; k++) {
                            big.getRaster().setSample(2 * x + k % 2, 2 * y + k / 2, 0, p);
                        }
                    }
                }
                // A grey image is its pixels / 255, as the Fashion-MNIST bytes are.
                assertEquals(s.predict(raw[i]), s.predict(grey), "image " + i);
                // Colour is reduced to luminance (0.299 + 0.587 + 0.114 = 1: the same grey up to rounding).
                assertArrayEquals(s.predict(raw[i]).logits(), s.predict(rgb).logits(), 1e-4f);
                // Resized: a 2×2 block of each pixel, bilinear back to 28×28, is the image again.
                assertArrayEquals(s.predict(raw[i]).logits(), s.predict(big).logits(), 1e-4f);
            }
        }
    }

    @Test
    void concurrentCallsGiveTheSingleThreadedAnswersExactly(@TempDir Path dir) throws Exception {
        try (Student s = Student.load(export(dir))) {
            List<Prediction> alone = new ArrayList<>();
            for (float[] x : raw) {
                alone.add(s.predict(x));
            }
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Prediction[]>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int shift = t * 5;
                    futures.add(pool.submit(() -> {
                        start.await();
                        Prediction[] got = new Prediction[N];
                        for (int round = 0; round < 3; round++) {
                            for (int k = 0; k < N; k++) {
                                int i = (k + shift) % N; // each thread its own order
                                got[i] = s.predict(raw[i]);
                            }
                        }
                        return got;
                    }));
                }
                start.countDown();
                for (Future<Prediction[]> f : futures) {
                    Prediction[] got = f.get();
                    for (int i = 0; i < N; i++) {
                        assertEquals(alone.get(i), got[i], "input " + i);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void everyFileIsVerifiedBeforeUseAndADamagedOneIsNamed(@TempDir Path dir) throws Exception {
        Path out = export(dir);
        for (String name : List.of(ExportFolder.WEIGHTS, ExportFolder.ARCHITECTURE, ExportFolder.PREPROCESSING,
                ExportFolder.CLASSES)) {
            Path f = out.resolve(name);
            byte[] good = Files.readAllBytes(f);
            byte[] bad = good.clone();
            bad[bad.length / 2] ^= 0x01;
            Files.write(f, bad);
            DamagedFileException e = assertThrows(DamagedFileException.class, () -> Student.load(out), name);
            assertEquals(f, e.file());
            assertTrue(e.getMessage().startsWith(f + " is damaged: its SHA-256 is "), e.getMessage());
            Files.delete(f);
            DamagedFileException gone = assertThrows(DamagedFileException.class, () -> Student.load(out), name);
            assertTrue(gone.getMessage().startsWith(f + " is missing"), gone.getMessage());
            Files.write(f, good);
        }
        Path manifest = out.resolve(ExportFolder.MANIFEST);
        String text = Files.readString(manifest);
        Files.writeString(manifest, text.substring(0, text.length() / 2));
        DamagedFileException e = assertThrows(DamagedFileException.class, () -> Student.load(out));
        assertEquals(manifest, e.file());
        Files.writeString(manifest, text);
        try (Student s = Student.load(out)) {
            assertArrayEquals(networkLogits(raw[1]), s.predict(raw[1]).logits(), 0f);
        }
    }

    @Test
    void badInputsAreClearErrors(@TempDir Path dir) throws Exception {
        Student s = Student.load(export(dir));
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class, () -> s.predict(new float[10]));
        assertEquals("input has 10 values; this model takes samples of shape [1, 28, 28], 784 values", length.getMessage());
        float[] nan = raw[0].clone();
        nan[5] = Float.NaN;
        assertEquals("input value 5 is NaN; every value must be finite",
                assertThrows(IllegalArgumentException.class, () -> s.predict(nan)).getMessage());
        s.close();
        assertThrows(IllegalStateException.class, () -> s.predict(raw[0]));
        IllegalArgumentException neither = assertThrows(IllegalArgumentException.class, () -> Student.load(dir));
        assertTrue(neither.getMessage().contains("neither an export folder"), neither.getMessage());
    }

    @Test
    void aVectorModelTakesNoImagesAndTheTargetFolderIsNeverOverwrittenSilently(@TempDir Path dir) throws Exception {
        Normalisation vectors = new Normalisation(Normalisation.Layout.PER_FEATURE, List.of(4L), List.of(1.0, 2.0, 3.0, 4.0),
                List.of(1.0, 1.0, 2.0, 2.0), List.of("a", "b", "c"));
        Seeds.apply(2);
        try (Network mlp = Network.create(new MlpSpec(List.of(5), null), new long[] {4}, 3, root)) {
            Path out = dir.resolve("mlp");
            Preprocessing pre = Preprocessing.of("csv", vectors, "kind");
            ExportFolder.write(out, "m", mlp, pre, vectors.classNames(), Map.of(), null, false);
            try (Student s = Student.load(out)) {
                assertEquals("kind", s.preprocessing().csv().label());
                IllegalArgumentException img = assertThrows(IllegalArgumentException.class,
                        () -> s.predict(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB)));
                assertTrue(img.getMessage().contains("not images"), img.getMessage());
                assertEquals(List.of("a", "b", "c"), s.predict(new float[] {1, 2, 3, 4}).classNames());
            }
            // An earlier export is replaced only when asked; a folder holding anything else never.
            FileAlreadyExistsException again = assertThrows(FileAlreadyExistsException.class,
                    () -> ExportFolder.write(out, "m", mlp, pre, vectors.classNames(), Map.of(), null, false));
            assertTrue(again.getReason().contains("not empty") && again.getReason().contains("--force"), again.getReason());
            ExportFolder.write(out, "m2", mlp, pre, vectors.classNames(), Map.of(), null, true);
            assertEquals("m2", ExportFolder.read(out).model());
            Path other = Files.createDirectories(dir.resolve("other"));
            Files.writeString(other.resolve("notes.txt"), "mine");
            FileAlreadyExistsException never = assertThrows(FileAlreadyExistsException.class,
                    () -> ExportFolder.write(other, "m", mlp, pre, vectors.classNames(), Map.of(), null, true));
            assertTrue(never.getReason().contains("never replaced"), never.getReason());
            assertEquals("mine", Files.readString(other.resolve("notes.txt")));
            try (var left = Files.list(dir)) {
                assertEquals(List.of("mlp", "other"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no temporary folder is left behind");
            }
        }
    }

    @Test
    void loadingAndPredictingPrintNothing(@TempDir Path dir) throws Exception {
        Path out = export(dir);
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true);
        System.setOut(capture);
        System.setErr(capture);
        try (Student s = Student.load(out)) {
            s.predict(raw[0]);
            s.predict(new BufferedImage(30, 20, BufferedImage.TYPE_INT_RGB));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        assertEquals("", captured.toString());
    }
}

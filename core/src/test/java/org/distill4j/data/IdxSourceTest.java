package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxSourceTest {

    @TempDir
    Path tmp;

    /** Writes an IDX images file of {@code pixels.length / (rows * cols)} images. */
    static Path images(Path file, int rows, int cols, byte[] pixels, boolean gzip) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(pixels.length / (rows * cols)).putInt(rows).putInt(cols).put(pixels);
        return write(file, b.array(), gzip);
    }

    static Path labels(Path file, byte[] labels, boolean gzip) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length).put(labels);
        return write(file, b.array(), gzip);
    }

    private static Path write(Path file, byte[] bytes, boolean gzip) throws IOException {
        if (!gzip) {
            return Files.write(file, bytes);
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
        return file;
    }

    static byte[] pixels(int n, int seed) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) ((i * 37 + seed * 11) % 256);
        }
        return p;
    }

    private static DataSourceException fails(SourceSpec spec, Path base) {
        return assertThrows(DataSourceException.class, () -> DataSources.load(spec, base));
    }

    private static void assertOneLine(DataSourceException e, String... parts) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "expected '" + p + "' in: " + m);
        }
    }

    @Test
    void roundTripOfANon28x28SizeGzippedAndPlain() throws IOException {
        byte[] trainPixels = pixels(4 * 3 * 5, 1);
        images(tmp.resolve("tr-img.gz"), 3, 5, trainPixels, true);
        labels(tmp.resolve("tr-lab"), new byte[] {2, 0, 1, 2}, false);
        byte[] testPixels = pixels(2 * 3 * 5, 2);
        images(tmp.resolve("te-img"), 3, 5, testPixels, false);
        labels(tmp.resolve("te-lab.gz"), new byte[] {1, 1}, true);
        DataSources.Loaded d = DataSources.load(SourceSpec.idx("tr-img.gz", "tr-lab", "te-img", "te-lab.gz"), tmp);

        assertArrayEquals(new long[] {1, 3, 5}, d.train().sampleShape());
        assertArrayEquals(new long[] {1, 3, 5}, d.test().sampleShape());
        assertArrayEquals(new int[] {2, 0, 1, 2}, d.train().labels());
        assertArrayEquals(new int[] {1, 1}, d.test().labels());
        assertEquals(List.of("0", "1", "2"), d.normalisation().classNames());
        assertEquals("tr-img-train", d.train().name());

        double sum = 0;
        for (byte p : trainPixels) {
            sum += (p & 0xFF) / 255.0;
        }
        double mean = sum / trainPixels.length;
        double sq = 0;
        for (byte p : trainPixels) {
            sq += Math.pow((p & 0xFF) / 255.0 - mean, 2);
        }
        double std = Math.sqrt(sq / trainPixels.length);
        assertEquals(mean, d.normalisation().mean().get(0), 1e-6); // values are float32 p / 255
        assertEquals(std, d.normalisation().std().get(0), 1e-6);

        float[] x = new float[15];
        d.test().copyFeatures(1, x, 0);
        for (int i = 0; i < 15; i++) {
            assertEquals(((testPixels[15 + i] & 0xFF) / 255.0 - mean) / std, x[i], 1e-5);
        }
    }

    @Test
    void carvesATestSplitWithoutTestFiles() throws IOException {
        images(tmp.resolve("img"), 2, 7, pixels(10 * 14, 3), false);
        labels(tmp.resolve("lab"), new byte[] {0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, false);
        DataSources.Loaded d = DataSources.load(
                SourceSpec.idx("img", "lab", null, null).withCarvedTest(0.2, 4, true), tmp);
        assertEquals(8, d.train().size());
        assertEquals(2, d.test().size());
        assertEquals(1, d.test().labels()[0] + d.test().labels()[1]); // one of each class
    }

    @Test
    void differentImageSizesNameBothFiles() throws IOException {
        images(tmp.resolve("a"), 3, 5, pixels(15, 0), false);
        labels(tmp.resolve("al"), new byte[] {0}, false);
        images(tmp.resolve("b"), 5, 3, pixels(15, 0), false);
        labels(tmp.resolve("bl"), new byte[] {0}, false);
        assertOneLine(fails(SourceSpec.idx("a", "al", "b", "bl"), tmp),
                tmp.resolve("a").toString(), tmp.resolve("b").toString(), "[1, 5, 3]", "[1, 3, 5]");
    }

    @Test
    void badFilesNameTheFile() throws IOException {
        images(tmp.resolve("a"), 3, 5, pixels(30, 0), false);
        labels(tmp.resolve("al"), new byte[] {0}, false);
        assertOneLine(fails(SourceSpec.idx("a", "al", null, null), tmp),
                tmp.resolve("al").toString(), "holds 1 labels", "holds 2 images");
        assertOneLine(fails(SourceSpec.idx("a", "missing", null, null), tmp),
                tmp.resolve("missing").toString(), "not found");
        // a labels file given as images: IdxReader's message, as a DataSourceException
        assertOneLine(fails(SourceSpec.idx("al", "al", null, null), tmp), tmp.resolve("al").toString(), "truncated");
    }

    @Test
    void unseenTestLabelNamesLabelsFileAndEntry() throws IOException {
        images(tmp.resolve("a"), 2, 2, pixels(8, 0), false);
        labels(tmp.resolve("al"), new byte[] {0, 1}, false);
        images(tmp.resolve("b"), 2, 2, pixels(12, 0), false);
        labels(tmp.resolve("bl"), new byte[] {1, 0, 7}, false);
        assertOneLine(fails(SourceSpec.idx("a", "al", "b", "bl"), tmp),
                tmp.resolve("bl").toString(), "entry 2", "\"7\" never occurs");
    }
}

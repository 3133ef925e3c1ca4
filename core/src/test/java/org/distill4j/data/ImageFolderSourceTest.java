package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderSourceTest {

    @TempDir
    Path tmp;

    /** A uniform colour image. */
    static BufferedImage rgb(int w, int h, int r, int g, int b) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    /** A uniform grey image (TYPE_BYTE_GRAY, written as a grey PNG). */
    static BufferedImage grey(int w, int h, int v) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        return img;
    }

    static void save(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        String name = file.getFileName().toString();
        String format = name.endsWith(".png") ? "png" : "jpg";
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
    }

    /** Two classes, PNG and JPEG, of two sizes (6x4 and 8x8). */
    private Path folder() throws IOException {
        Path root = tmp.resolve("train");
        save(rgb(6, 4, 200, 0, 0), root.resolve("red/a.png"));
        save(rgb(8, 8, 200, 0, 0), root.resolve("red/b.png"));
        save(rgb(8, 8, 200, 0, 0), root.resolve("red/c.jpg"));
        save(grey(6, 4, 100), root.resolve("grey/a.png"));
        save(grey(8, 8, 100), root.resolve("grey/b.PNG"));
        save(grey(8, 8, 100), root.resolve("grey/c.jpeg"));
        Files.writeString(root.resolve("grey/notes.txt"), "ignored");
        Files.writeString(root.resolve("README"), "ignored, not a folder");
        return root;
    }

    private static float[] sample(DataSources.Loaded d, Dataset part, int position) {
        float[] x = new float[part.featureSize()];
        part.copyFeatures(position, x, 0);
        Normalisation n = d.normalisation();
        int plane = x.length / n.mean().size();
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] * n.std().get(i / plane) + n.mean().get(i / plane));
        }
        return x;
    }

    @Test
    void readsTwoSizesResizedToOneThreeChannels() throws IOException {
        Path root = folder();
        Path test = tmp.resolve("test");
        save(rgb(5, 5, 200, 0, 0), test.resolve("red/x.png"));
        DataSources.Loaded d = DataSources.load(SourceSpec.images("train", "test", 4, 4, 3), tmp);
        assertEquals(List.of("grey", "red"), d.normalisation().classNames());
        assertEquals(Normalisation.Layout.PER_CHANNEL, d.normalisation().layout());
        assertArrayEquals(new long[] {3, 4, 4}, d.train().sampleShape());
        assertEquals(6, d.train().size());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, d.train().labels());
        assertArrayEquals(new int[] {1}, d.test().labels());
        // lossless PNGs keep their exact values through the resize; grey is repeated in R, G, B
        float[] grey = sample(d, d.train(), 0);
        float[] red = sample(d, d.train(), 4);
        for (int i = 0; i < 16; i++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(100 / 255f, grey[c * 16 + i], 1e-5f);
            }
            assertEquals(200 / 255f, red[i], 1e-5f);
            assertEquals(0f, red[16 + i], 1e-5f);
            assertEquals(0f, red[32 + i], 1e-5f);
        }
        // JPEG is lossy, but a flat colour stays close
        float[] jpeg = sample(d, d.train(), 5);
        assertEquals(200 / 255f, jpeg[0], 0.05f);
        assertEquals(200 / 255f, sample(d, d.test(), 0)[0], 1e-5f);
    }

    @Test
    void oneChannelIsLuminance() throws IOException {
        folder();
        DataSources.Loaded d = DataSources.load(
                SourceSpec.images("train", null, 3, 5, 1).withCarvedTest(0.34, 9, true), tmp);
        assertArrayEquals(new long[] {1, 3, 5}, d.train().sampleShape());
        assertEquals(1, d.normalisation().mean().size());
        assertEquals(6, d.train().size() + d.test().size());
        for (Dataset part : List.of(d.train(), d.test())) {
            for (int p = 0; p < part.size(); p++) {
                float[] x = sample(d, part, p);
                boolean png = part.id(p) % 3 != 2; // c.jpg / c.jpeg are the third of each class
                float expected = part.label(p) == 0 ? 100 / 255f : 0.299f * 200 / 255f;
                assertEquals(expected, x[7], png ? 1e-5f : 0.05f, "id " + part.id(p));
            }
        }
    }

    @Test
    void bilinearResizeOnPixelCentres() {
        float[] src = {0, 1, 2, 3};
        float[] up = new float[16];
        ImageFolderSource.resize(src, 2, 2, up, 0, 4, 4);
        assertArrayEquals(new float[] {
            0f, 0.25f, 0.75f, 1f,
            0.5f, 0.75f, 1.25f, 1.5f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2f, 2.25f, 2.75f, 3f}, up, 1e-6f);
        float[] big = new float[16];
        for (int i = 0; i < 16; i++) {
            big[i] = i;
        }
        float[] down = new float[4];
        ImageFolderSource.resize(big, 4, 4, down, 0, 2, 2);
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, down, 1e-6f); // 2x2 block means
    }

    private DataSourceException fails(SourceSpec spec) {
        return assertThrows(DataSourceException.class, () -> DataSources.load(spec, tmp));
    }

    private static void assertOneLineNaming(DataSourceException e, String... parts) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "expected '" + p + "' in: " + m);
        }
    }

    @Test
    void corruptImageNamesTheFile() throws IOException {
        Path root = folder();
        Path garbage = root.resolve("red/zz-garbage.png");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertOneLineNaming(fails(SourceSpec.images("train", null, 4, 4, 1)), garbage.toString());

        Files.delete(garbage);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(rgb(16, 16, 1, 2, 3), "png", bytes);
        Path truncated = root.resolve("grey/truncated.png");
        Files.write(truncated, Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
        assertOneLineNaming(fails(SourceSpec.images("train", null, 4, 4, 1)), truncated.toString());
    }

    @Test
    void emptyClassFolderIsAnError() throws IOException {
        Path root = folder();
        Path empty = Files.createDirectories(root.resolve("nothing"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        assertOneLineNaming(fails(SourceSpec.images("train", null, 4, 4, 1)), empty.toString(),
                "holds no PNG or JPEG images");
    }

    @Test
    void testClassNeverSeenInTraining() throws IOException {
        folder();
        Path stray = tmp.resolve("test/blue/x.png");
        save(rgb(4, 4, 0, 0, 200), stray);
        assertOneLineNaming(fails(SourceSpec.images("train", "test", 4, 4, 3)), tmp.resolve("test").toString(),
                "blue" + java.io.File.separator + "x.png", "\"blue\" never occurs");
    }

    @Test
    void missingFolders() throws IOException {
        assertOneLineNaming(fails(SourceSpec.images("absent", null, 4, 4, 1)), tmp.resolve("absent").toString(),
                "not found");
        Files.createDirectories(tmp.resolve("flat"));
        save(rgb(4, 4, 1, 1, 1), tmp.resolve("flat/loose.png"));
        assertOneLineNaming(fails(SourceSpec.images("flat", null, 4, 4, 1)), tmp.resolve("flat").toString(),
                "no class sub-folders");
    }
}

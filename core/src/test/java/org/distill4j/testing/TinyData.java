package org.distill4j.testing;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Tiny generated data sets of the user's own kinds (CSV, image folders, IDX), separable by class. */
public final class TinyData {
    private TinyData() {
    }

    /**
     * A CSV of {@code n} rows with 4 numeric features (class-dependent means) and a string label
     * column {@code kind} last, classes taken in turn from {@code classes}.
     */
    public static Path csv(Path file, int n, long seed, boolean header, String... classes) throws IOException {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder(header ? "f0,f1,f2,f3,kind\n" : "");
        String[] sorted = classes.clone();
        java.util.Arrays.sort(sorted);
        for (int i = 0; i < n; i++) {
            String name = classes[i % classes.length];
            int c = java.util.Arrays.binarySearch(sorted, name); // the features depend on the name, not the order
            for (int f = 0; f < 4; f++) {
                double v = 10 * f + 3 * c * (f % 2 == 0 ? 1 : -1) + r.nextGaussian();
                b.append(String.format(java.util.Locale.ROOT, "%.3f", v)).append(',');
            }
            b.append(name).append('\n');
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, b.toString());
        return file;
    }

    /** {@code root/<class>/<k>.png}: RGB images of {@code w x h}, each class its own dominant colour plus noise. */
    public static Path pngFolder(Path root, int perClass, int w, int h, long seed, String... classes)
            throws IOException {
        Random r = new Random(seed);
        for (int c = 0; c < classes.length; c++) {
            Path dir = Files.createDirectories(root.resolve(classes[c]));
            for (int k = 0; k < perClass; k++) {
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int[] rgb = new int[3];
                        for (int ch = 0; ch < 3; ch++) {
                            int base = ch == c % 3 ? 200 : 40;
                            rgb[ch] = Math.max(0, Math.min(255, base + r.nextInt(41) - 20));
                        }
                        img.setRGB(x, y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
                    }
                }
                ImageIO.write(img, "png", dir.resolve(k + ".png").toFile());
            }
        }
        return root;
    }

    /** IDX images {@code <prefix>-images} ({@code n} of {@code rows x cols}) and labels {@code <prefix>-labels}. */
    public static Path[] idx(Path dir, String prefix, int n, int rows, int cols, int classes, long seed)
            throws IOException {
        Random r = new Random(seed);
        ByteBuffer images = ByteBuffer.allocate(16 + n * rows * cols);
        images.putInt(0x00000803).putInt(n).putInt(rows).putInt(cols);
        ByteBuffer labels = ByteBuffer.allocate(8 + n);
        labels.putInt(0x00000801).putInt(n);
        for (int i = 0; i < n; i++) {
            int c = i % classes;
            labels.put((byte) c);
            for (int p = 0; p < rows * cols; p++) {
                // class c is bright in its own band of rows
                boolean band = (p / cols) * classes / rows == c;
                images.put((byte) Math.max(0, Math.min(255, (band ? 190 : 40) + r.nextInt(61) - 30)));
            }
        }
        Files.createDirectories(dir);
        Path img = Files.write(dir.resolve(prefix + "-images"), images.array());
        Path lab = Files.write(dir.resolve(prefix + "-labels"), labels.array());
        return new Path[] {img, lab};
    }
}

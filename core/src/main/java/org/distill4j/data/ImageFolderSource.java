package org.distill4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Reads a folder of class sub-folders of PNG or JPEG images (the ImageFolder convention:
 * {@code root/<class>/<image>.png}) into samples of shape {@code [C, H, W]} with values in [0, 1].
 *
 * <p>Class folders are the non-hidden sub-folders of {@code root}, sorted by name; in each, the
 * non-hidden files ending in {@code .png}, {@code .jpg} or {@code .jpeg} (any case) are read in
 * name order; other files and deeper folders are ignored. Grey images are read from their
 * raster as they are; colour images through {@link BufferedImage#getRGB} (sRGB, alpha ignored).
 * One channel is the luminance {@code 0.299 R + 0.587 G + 0.114 B} (ITU-R BT.601, as PIL's
 * {@code "L"}); three channels of a grey image repeat it. Images are resized with bilinear
 * interpolation on pixel centres (as PyTorch's {@code interpolate(..., align_corners=False)},
 * without anti-aliasing).
 */
final class ImageFolderSource {

    private ImageFolderSource() {
    }

    static RawPart read(Path root, int height, int width, int channels) {
        if (!Files.isDirectory(root)) {
            throw new DataSourceException("image folder " + root + " not found (or not a directory)");
        }
        List<Path> classes = new ArrayList<>();
        for (Path p : list(root, root)) {
            if (Files.isDirectory(p) && !hidden(p)) {
                classes.add(p);
            }
        }
        if (classes.isEmpty()) {
            throw new DataSourceException("image folder " + root + " holds no class sub-folders;"
                    + " expected " + root + "/<class>/<image>.png");
        }
        int sampleSize = channels * height * width;
        RawPart.Floats values = new RawPart.Floats();
        List<String> labels = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (Path dir : classes) {
            String name = dir.getFileName().toString();
            int before = labels.size();
            for (Path file : list(root, dir)) {
                if (!Files.isRegularFile(file) || hidden(file) || !isImage(file)) {
                    continue;
                }
                float[] sample = decode(file, height, width, channels);
                assert sample.length == sampleSize;
                values.addAll(sample);
                labels.add(name);
                entries.add(root.relativize(file).toString());
            }
            if (labels.size() == before) {
                throw new DataSourceException("class folder " + dir + " holds no PNG or JPEG images"
                        + " (.png, .jpg, .jpeg); remove the folder or add images to it");
            }
        }
        return new RawPart(root, values.toArray(), new long[] {channels, height, width},
                labels.toArray(String[]::new), entries.toArray(String[]::new));
    }

    static List<Path> list(Path root, Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(out::add);
        } catch (IOException e) {
            throw new DataSourceException("cannot list folder " + dir + " (in image folder " + root + "): " + e, e);
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }

    static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /** Decodes one image to {@code channels} planes of {@code height x width} values in [0, 1]. */
    static float[] decode(Path file, int height, int width, int channels) {
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new DataSourceException("image " + file + " cannot be decoded (" + e.getMessage()
                    + "); the file is corrupt or not a PNG/JPEG — replace or remove it", e);
        }
        if (image == null) {
            throw new DataSourceException("image " + file + " is not in a format ImageIO can decode"
                    + " (PNG or JPEG expected); replace or remove it");
        }
        return sample(image, height, width, channels);
    }

    /** An image as {@code channels} planes of {@code height x width} values in [0, 1], converted as the class says. */
    static float[] sample(BufferedImage image, int height, int width, int channels) {
        int h = image.getHeight();
        int w = image.getWidth();
        float[][] planes = planes(image, channels);
        float[] out = new float[channels * height * width];
        for (int c = 0; c < channels; c++) {
            resize(planes[c], h, w, out, c * height * width, height, width);
        }
        return out;
    }

    private static float[][] planes(BufferedImage image, int channels) {
        int h = image.getHeight();
        int w = image.getWidth();
        boolean grey = image.getColorModel().getColorSpace().getNumComponents() == 1;
        float[][] planes = new float[channels][h * w];
        if (grey) {
            Raster raster = image.getRaster();
            double max = (1L << image.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = (float) (raster.getSample(x, y, 0) / max);
                    for (int c = 0; c < channels; c++) {
                        planes[c][y * w + x] = v;
                    }
                }
            }
            return planes;
        }
        int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < rgb.length; i++) {
            float r = ((rgb[i] >> 16) & 0xFF) / 255f;
            float g = ((rgb[i] >> 8) & 0xFF) / 255f;
            float b = (rgb[i] & 0xFF) / 255f;
            if (channels == 1) {
                planes[0][i] = 0.299f * r + 0.587f * g + 0.114f * b;
            } else {
                planes[0][i] = r;
                planes[1][i] = g;
                planes[2][i] = b;
            }
        }
        return planes;
    }

    /** Bilinear resize of one plane on pixel centres; an equal size copies the plane. */
    static void resize(float[] src, int sh, int sw, float[] dst, int offset, int dh, int dw) {
        if (sh == dh && sw == dw) {
            System.arraycopy(src, 0, dst, offset, src.length);
            return;
        }
        double sy = (double) sh / dh;
        double sx = (double) sw / dw;
        for (int y = 0; y < dh; y++) {
            double fy = Math.max((y + 0.5) * sy - 0.5, 0);
            int y0 = Math.min((int) fy, sh - 1);
            int y1 = Math.min(y0 + 1, sh - 1);
            double wy = fy - y0;
            for (int x = 0; x < dw; x++) {
                double fx = Math.max((x + 0.5) * sx - 0.5, 0);
                int x0 = Math.min((int) fx, sw - 1);
                int x1 = Math.min(x0 + 1, sw - 1);
                double wx = fx - x0;
                double top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
                double bottom = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
                dst[offset + y * dw + x] = (float) (top * (1 - wy) + bottom * wy);
            }
        }
    }
}

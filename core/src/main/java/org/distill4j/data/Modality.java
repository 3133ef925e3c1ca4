package org.distill4j.data;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;

/**
 * A second modality derived from single-channel images (Fashion-MNIST), for cross-modal
 * distillation ({@link PairedData}): each sample's other view, computed from the (normalised)
 * image and then standardised with the mean and standard deviation of the training split's
 * derived values, so every modality enters a network on the same scale.
 *
 * <ul>
 * <li>{@code edges}: the Sobel gradient magnitude {@code sqrt(gx² + gy²)} (3×3 kernels, zero
 *     padding), same size as the image: outlines without the texture and shading of the fill.</li>
 * <li>{@code downsampled}: 4×4 block means, a 7×7 view of a 28×28 image (sixteen times fewer
 *     pixels): the coarse shape only.</li>
 * <li>{@code fft}: {@code log(1 + |F|)} of the 2-D discrete Fourier transform, centred (zero
 *     frequency in the middle), same size: a frequency-magnitude view without the phase, hence
 *     without where things are.</li>
 * </ul>
 */
public enum Modality {
    @JsonProperty("edges") EDGES,
    @JsonProperty("downsampled") DOWNSAMPLED,
    @JsonProperty("fft") FFT;

    /** Side of the blocks averaged by {@code downsampled}. */
    public static final int BLOCK = 4;

    /** The standardisation of a derived modality: {@code (v − mean) / std}. */
    public record Scale(double mean, double std) {
        public Scale {
            if (!(std > 0) || !Double.isFinite(mean)) {
                throw new IllegalArgumentException("modality scale: std must be > 0 and mean finite (got " + mean + ", "
                        + std + ")");
            }
        }
    }

    /** The YAML name. */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The shape of one derived sample from an image of shape (1, H, W). */
    public long[] shape(long[] image) {
        check(image);
        return this == DOWNSAMPLED ? new long[] {1, image[1] / BLOCK, image[2] / BLOCK} : image.clone();
    }

    /** The mean and standard deviation of the derived values of {@code train}, to standardise every split with. */
    public Scale scaleOf(Dataset train) {
        float[] v = raw(train);
        double sum = 0;
        for (float x : v) {
            sum += x;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (float x : v) {
            sq += (x - mean) * (x - mean);
        }
        return new Scale(mean, Math.sqrt(sq / v.length));
    }

    /** {@code data} in this modality, standardised with {@code scale}: the same samples, labels and ids. */
    public Dataset derive(Dataset data, Scale scale) {
        float[] v = raw(data);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((v[i] - scale.mean()) / scale.std());
        }
        return data.view(data.name() + "-" + yamlName(), v, shape(data.sampleShape()));
    }

    /** The derived values of every sample, before standardisation. */
    float[] raw(Dataset data) {
        long[] s = data.sampleShape();
        check(s);
        int h = (int) s[1];
        int w = (int) s[2];
        int out = (int) Arrays.stream(shape(s)).reduce(1, (a, b) -> a * b);
        float[] image = new float[h * w];
        float[] values = new float[Math.multiplyExact(data.size(), out)];
        for (int n = 0; n < data.size(); n++) {
            data.copyFeatures(n, image, 0);
            float[] d = switch (this) {
                case EDGES -> sobel(image, h, w);
                case DOWNSAMPLED -> blockMeans(image, h, w);
                case FFT -> logMagnitude(image, h, w);
            };
            System.arraycopy(d, 0, values, n * out, out);
        }
        return values;
    }

    private void check(long[] s) {
        if (s.length != 3 || s[0] != 1 || (this == DOWNSAMPLED && (s[1] % BLOCK != 0 || s[2] % BLOCK != 0))) {
            throw new IllegalArgumentException("modality " + yamlName() + ": needs single-channel images (1, H, W)"
                    + (this == DOWNSAMPLED ? " with H and W multiples of " + BLOCK : "") + ", got "
                    + Arrays.toString(s));
        }
    }

    /** Sobel gradient magnitude, zero padding. */
    static float[] sobel(float[] x, int h, int w) {
        float[] out = new float[h * w];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double gx = at(x, h, w, i - 1, j + 1) + 2 * at(x, h, w, i, j + 1) + at(x, h, w, i + 1, j + 1)
                        - at(x, h, w, i - 1, j - 1) - 2 * at(x, h, w, i, j - 1) - at(x, h, w, i + 1, j - 1);
                double gy = at(x, h, w, i + 1, j - 1) + 2 * at(x, h, w, i + 1, j) + at(x, h, w, i + 1, j + 1)
                        - at(x, h, w, i - 1, j - 1) - 2 * at(x, h, w, i - 1, j) - at(x, h, w, i - 1, j + 1);
                out[i * w + j] = (float) Math.sqrt(gx * gx + gy * gy);
            }
        }
        return out;
    }

    private static double at(float[] x, int h, int w, int i, int j) {
        return i < 0 || j < 0 || i >= h || j >= w ? 0 : x[i * w + j];
    }

    /** Means of BLOCK×BLOCK blocks. */
    static float[] blockMeans(float[] x, int h, int w) {
        int oh = h / BLOCK;
        int ow = w / BLOCK;
        float[] out = new float[oh * ow];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                out[(i / BLOCK) * ow + j / BLOCK] += x[i * w + j] / (BLOCK * BLOCK);
            }
        }
        return out;
    }

    /** log(1 + |DFT2(x)|), zero frequency moved to the centre; separable DFT (rows, then columns). */
    static float[] logMagnitude(float[] x, int h, int w) {
        double[] re = new double[h * w];
        double[] im = new double[h * w];
        for (int i = 0; i < h; i++) { // rows: along j
            for (int v = 0; v < w; v++) {
                double r = 0;
                double m = 0;
                for (int j = 0; j < w; j++) {
                    double a = -2 * Math.PI * v * j / w;
                    r += x[i * w + j] * Math.cos(a);
                    m += x[i * w + j] * Math.sin(a);
                }
                re[i * w + v] = r;
                im[i * w + v] = m;
            }
        }
        float[] out = new float[h * w];
        for (int v = 0; v < w; v++) { // columns: along i
            for (int u = 0; u < h; u++) {
                double r = 0;
                double m = 0;
                for (int i = 0; i < h; i++) {
                    double a = -2 * Math.PI * u * i / h;
                    double c = Math.cos(a);
                    double s = Math.sin(a);
                    r += re[i * w + v] * c - im[i * w + v] * s;
                    m += re[i * w + v] * s + im[i * w + v] * c;
                }
                int su = (u + h / 2) % h;
                int sv = (v + w / 2) % w;
                out[su * w + sv] = (float) Math.log1p(Math.hypot(r, m));
            }
        }
        return out;
    }
}

package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The derived modalities against hand computations on tiny images. */
class ModalityTest {
    @Test
    void sobelMagnitudeByHand() {
        // 3×3 image with a vertical step: 0 0 1 / 0 0 1 / 0 0 1; centre gx = (1+2+1) − 0 = 4, gy = 0
        float[] x = {0, 0, 1, 0, 0, 1, 0, 0, 1};
        float[] e = Modality.sobel(x, 3, 3);
        assertEquals(4, e[4], 1e-6);
        // top-left corner (zero padding): gx = 2·x[0][1] + x[1][1] − 0 = 0, gy = 2·x[1][0] + x[1][1] − 0 = 0
        assertEquals(0, e[0], 1e-6);
        // top-right corner: gx = −(2·x[0][1] + x[1][1]) = 0, gy = x[1][1] + 2·x[1][2] = 2
        assertEquals(2, e[2], 1e-6);
    }

    @Test
    void blockMeansByHand() {
        float[] x = new float[8 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = i; // row-major 8 rows × 4 columns
        }
        // block (0,0): rows 0-3, cols 0-3: mean of 0..15 = 7.5; block (1,0): 16..31 → 23.5
        assertArrayEquals(new float[] {7.5f, 23.5f}, Modality.blockMeans(x, 8, 4), 1e-6f);
    }

    @Test
    void fftMagnitudeIsTheDirectDftCentred() {
        int h = 4;
        int w = 4;
        float[] x = new float[h * w];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] f = Modality.logMagnitude(x, h, w);
        for (int u = 0; u < h; u++) {
            for (int v = 0; v < w; v++) {
                double re = 0;
                double im = 0;
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        double a = -2 * Math.PI * ((double) u * i / h + (double) v * j / w);
                        re += x[i * w + j] * Math.cos(a);
                        im += x[i * w + j] * Math.sin(a);
                    }
                }
                int su = (u + h / 2) % h;
                int sv = (v + w / 2) % w;
                assertEquals(Math.log1p(Math.hypot(re, im)), f[su * w + sv], 1e-5, "frequency " + u + ", " + v);
            }
        }
        double sum = 0;
        for (float v : x) {
            sum += v;
        }
        assertEquals(Math.log1p(Math.abs(sum)), f[2 * w + 2], 1e-5, "zero frequency in the centre");
    }

    @Test
    void derivedViewsKeepIdsAndLabelsAndAreStandardised() {
        Dataset d = Dataset.of("d", new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 1, 1, 1, 1,
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new int[] {3, 5}, new long[] {1, 4, 4}, 10);
        Dataset sub = d.subset("s", new int[] {1, 0});
        Modality.Scale scale = Modality.DOWNSAMPLED.scaleOf(sub);
        Dataset b = Modality.DOWNSAMPLED.derive(sub, scale);
        assertArrayEquals(new long[] {1, 1, 1}, b.sampleShape());
        assertArrayEquals(sub.ids(), b.ids());
        assertArrayEquals(sub.labels(), b.labels());
        float[] v = new float[2];
        b.copyFeatures(0, v, 0);
        b.copyFeatures(1, v, 1);
        // block means 1 and 7.5: mean 4.25, std 3.25 → −1, +1
        assertArrayEquals(new float[] {-1, 1}, v, 1e-6f);
        assertEquals("modality downsampled: needs single-channel images (1, H, W) with H and W multiples of 4, got "
                + "[1, 3, 3]", assertThrows(IllegalArgumentException.class, () -> Modality.DOWNSAMPLED.shape(
                        new long[] {1, 3, 3})).getMessage());
    }
}

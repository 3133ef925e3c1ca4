package org.distill4j.data;

import java.util.Random;

/**
 * Random training-time augmentation of image batches: translation by up to {@code shift} pixels
 * in each direction (the vacated border takes the image's minimum value, i.e. background) and
 * a left-right flip with probability ½. Draws come from a seed per batch, so an augmented run
 * replays exactly after a resume.
 *
 * @param shift largest translation in pixels, in [0, 8] (0 = none)
 * @param flip whether to flip left-right at random
 */
public record Augmentation(Integer shift, Boolean flip) {
    public static final Augmentation NONE = new Augmentation(0, false);

    public Augmentation {
        shift = shift == null ? 0 : shift;
        flip = flip == null ? Boolean.FALSE : flip;
        if (shift < 0 || shift > 8) {
            throw new IllegalArgumentException("shift: must be in [0, 8] pixels (got " + shift + ")");
        }
    }

    public boolean active() {
        return shift > 0 || flip;
    }

    /** Augments each sample of a (n, c, h, w) buffer in place. */
    void apply(float[] x, int n, int c, int h, int w, long seed) {
        Random r = new Random(seed);
        float[] plane = new float[h * w];
        for (int s = 0; s < n; s++) {
            int dx = shift > 0 ? r.nextInt(2 * shift + 1) - shift : 0;
            int dy = shift > 0 ? r.nextInt(2 * shift + 1) - shift : 0;
            boolean mirror = flip && r.nextBoolean();
            for (int ch = 0; ch < c; ch++) {
                int base = (s * c + ch) * h * w;
                float background = Float.POSITIVE_INFINITY;
                for (int i = 0; i < h * w; i++) {
                    background = Math.min(background, x[base + i]);
                }
                for (int y = 0; y < h; y++) {
                    for (int xx = 0; xx < w; xx++) {
                        int sy = y - dy;
                        int sx = (mirror ? w - 1 - xx : xx) - dx;
                        plane[y * w + xx] = sy >= 0 && sy < h && sx >= 0 && sx < w ? x[base + sy * w + sx] : background;
                    }
                }
                System.arraycopy(plane, 0, x, base, h * w);
            }
        }
    }
}

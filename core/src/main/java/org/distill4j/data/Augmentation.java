package org.distill4j.data;

import java.util.Random;

/**
 * Random training-time augmentation of image batches: translation by up to {@code shift} pixels
 * in each direction (the vacated border takes the image's minimum value, i.e. background) and
 * a left-right flip with probability ½. Draws come from a seed per batch, so an augmented run
 * replays exactly after a resume.
 *
 * <p>With {@code mixup} each sample is then blended with another of its batch (Zhang et al. 2018,
 * "mixup"; the enlarged distillation set of Stanton et al. 2021): {@code x_s ← λ·x_s + (1−λ)·x_π(s)}
 * with π a random permutation of the batch and {@code λ = max(u, 1−u)}, u uniform in [0, 1] (mixup's
 * Beta(1, 1), folded so the sample keeps the larger share and its label stays the majority one; a
 * <i>choice</i>). The teacher runs live on the blended inputs, so it relabels them: use it with a
 * distillation loss ({@code kd} with {@code alpha: 1} learns from the teacher alone).
 *
 * @param shift largest translation in pixels, in [0, 8] (0 = none)
 * @param flip whether to flip left-right at random
 * @param mixup whether to blend each sample with another of its batch (left out of the JSON when
 *     false, so configs without it digest as before)
 */
public record Augmentation(Integer shift, Boolean flip,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        Boolean mixup) {
    public static final Augmentation NONE = new Augmentation(0, false);

    public Augmentation(Integer shift, Boolean flip) {
        this(shift, flip, null);
    }

    public Augmentation {
        shift = shift == null ? 0 : shift;
        flip = flip == null ? Boolean.FALSE : flip;
        mixup = Boolean.TRUE.equals(mixup) ? Boolean.TRUE : null;
        if (shift < 0 || shift > 8) {
            throw new IllegalArgumentException("shift: must be in [0, 8] pixels (got " + shift + ")");
        }
    }

    public boolean active() {
        return shift > 0 || flip || mixes();
    }

    /** Whether samples are blended with mixup. */
    public boolean mixes() {
        return mixup != null;
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
        if (mixes()) {
            mix(x, n, c * h * w, r);
        }
    }

    /** Blends sample s with sample π(s) of the same (shifted, flipped) buffer, λ = max(u, 1−u). */
    static void mix(float[] x, int n, int size, Random r) {
        int[] partner = new int[n];
        for (int i = 0; i < n; i++) {
            partner[i] = i;
        }
        for (int i = n - 1; i > 0; i--) { // Fisher–Yates
            int j = r.nextInt(i + 1);
            int t = partner[i];
            partner[i] = partner[j];
            partner[j] = t;
        }
        float[] source = x.clone();
        for (int s = 0; s < n; s++) {
            double u = r.nextDouble();
            float lambda = (float) Math.max(u, 1 - u);
            int a = s * size;
            int b = partner[s] * size;
            for (int i = 0; i < size; i++) {
                x[a + i] = lambda * source[a + i] + (1 - lambda) * source[b + i];
            }
        }
    }
}

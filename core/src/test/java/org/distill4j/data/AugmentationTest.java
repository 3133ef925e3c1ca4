package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AugmentationTest {
    @Test
    void flipMirrorsAndShiftTranslatesWithBackgroundFill() {
        // one 1×2×3 image: rows [1 2 3], [4 5 6]
        float[] x = {1, 2, 3, 4, 5, 6};
        new Augmentation(0, true).apply(x, 1, 1, 2, 3, seedWhereFlipHappens());
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, x);
        // shift: draws dx then dy in [-1, 1] from the seed; vacated cells take the minimum (1)
        float[] img = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // 3×3
        for (long seed = 0; seed < 20; seed++) {
            java.util.Random r = new java.util.Random(seed);
            int dx = r.nextInt(3) - 1;
            int dy = r.nextInt(3) - 1;
            float[] expected = new float[9];
            for (int yy = 0; yy < 3; yy++) {
                for (int xx = 0; xx < 3; xx++) {
                    int sy = yy - dy;
                    int sx = xx - dx;
                    expected[yy * 3 + xx] = sy >= 0 && sy < 3 && sx >= 0 && sx < 3 ? img[sy * 3 + sx] : 1;
                }
            }
            float[] got = img.clone();
            new Augmentation(1, false).apply(got, 1, 1, 3, 3, seed);
            assertArrayEquals(expected, got, "seed " + seed + " dx " + dx + " dy " + dy);
        }
    }

    private static long seedWhereFlipHappens() {
        for (long s = 0; ; s++) {
            java.util.Random r = new java.util.Random(s);
            if (r.nextBoolean()) {
                return s;
            }
        }
    }

    @Test
    void rejectsLargeShifts() {
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(9, null));
        assertFalse(Augmentation.NONE.active());
    }

    /** Four constant 1×1×2 images 0, 1, 2, 3 blended by mixup from a seed. */
    static float[] mixed(long seed) {
        float[] x = {0, 0, 1, 1, 2, 2, 3, 3};
        new Augmentation(0, false, true).apply(x, 4, 1, 1, 2, seed);
        return x;
    }

    @Test
    void mixupBlendsEachSampleWithOneOfItsBatchDeterministicallyFromTheSeed() {
        assertArrayEquals(mixed(11), mixed(11), "the same seed, the same blends");
        assertFalse(java.util.Arrays.equals(mixed(11), mixed(12)), "another seed, other blends");
        int blended = 0;
        for (long seed = 1; seed <= 20; seed++) {
            float[] x = mixed(seed);
            java.util.Set<Integer> partners = new java.util.HashSet<>();
            for (int s = 0; s < 4; s++) {
                assertEquals(x[2 * s], x[2 * s + 1], "one λ per sample");
                // x_s' = λ·s + (1−λ)·p with λ in [0.5, 1]: p = (x_s' − λ·s)/(1−λ) must be a sample of the batch
                double v = x[2 * s];
                boolean found = false;
                for (int p = 0; p < 4; p++) {
                    double lambda = p == s ? 1 : (v - p) / (s - p);
                    if (p == s ? Math.abs(v - s) < 1e-6 : lambda >= 0.5 - 1e-6 && lambda <= 1 + 1e-6) {
                        if (p != s || Math.abs(v - s) < 1e-6) {
                            found = true;
                            partners.add(p);
                            break;
                        }
                    }
                }
                assertTrue(found, "seed " + seed + " sample " + s + " = " + v + " keeps the larger share");
                blended += Math.abs(v - s) > 1e-6 ? 1 : 0;
            }
        }
        assertTrue(blended > 40, "most samples are blended: " + blended + " of 80");
        assertTrue(new Augmentation(0, false, true).active());
        assertFalse(new Augmentation(1, true, false).mixes());
    }

    @Test
    void mixupIsLeftOutOfTheConfigWhenOff() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals("{\"shift\":1,\"flip\":true}", json.writeValueAsString(new Augmentation(1, true, false)));
        assertEquals("{\"shift\":0,\"flip\":false,\"mixup\":true}", json.writeValueAsString(
                new Augmentation(0, false, true)));
    }
}

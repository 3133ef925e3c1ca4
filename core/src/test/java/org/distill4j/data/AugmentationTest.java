package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}

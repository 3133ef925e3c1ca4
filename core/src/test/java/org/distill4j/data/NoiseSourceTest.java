package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Latent codes: a function of their sample alone, standard normal, no labels. */
class NoiseSourceTest {
    @Test
    void codesDependOnTheirSampleAlone() {
        NoiseSource codes = new NoiseSource(new long[] {3}, 2, 4, 11);
        assertEquals(4, codes.batchesPerEpoch());
        assertArrayEquals(new int[] {8 + 4, 8 + 5}, codes.plan(1)[2], "ids count on over the epochs");
        try (NDManager m = NDManager.newBaseManager()) {
            Batch a = codes.load(m, codes.plan(1)[2], Augmentation.NONE, 1);
            Batch b = codes.load(m, codes.plan(1)[2], Augmentation.NONE, 99);
            assertEquals(new Shape(2, 3), a.input(NoiseSource.NOISE).getShape());
            assertFalse(a.hasLabels());
            assertArrayEquals(a.input(NoiseSource.NOISE).toFloatArray(), b.input(NoiseSource.NOISE).toFloatArray(),
                    "the step's seed does not matter: every update of a step reads the same codes");
            Batch single = codes.load(m, new int[] {13}, Augmentation.NONE, 5);
            float[] pair = a.input(NoiseSource.NOISE).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(pair, 3, 6), single.input(NoiseSource.NOISE).toFloatArray(),
                    "a sample's code does not depend on its batch");
            Batch other = new NoiseSource(new long[] {3}, 2, 4, 12).load(m, codes.plan(1)[2], Augmentation.NONE, 1);
            assertNotEquals(a.input(NoiseSource.NOISE).getFloat(0, 0), other.input(NoiseSource.NOISE).getFloat(0, 0));
            assertThrows(IllegalArgumentException.class, a::input, "codes are not an input a network reads");
        }
    }

    @Test
    void codesAreStandardNormal() {
        NoiseSource codes = new NoiseSource(new long[] {100}, 100, 1, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] z = codes.load(m, codes.plan(0)[0], Augmentation.NONE, 0).input(NoiseSource.NOISE).toFloatArray();
            double mean = 0;
            double sq = 0;
            for (float v : z) {
                mean += v;
                sq += v * v;
            }
            mean /= z.length;
            // 10,000 draws: the sample mean within 0.05 and the variance within 0.05 of 0 and 1 (5σ and ~4σ)
            assertEquals(0, mean, 0.05);
            assertEquals(1, sq / z.length - mean * mean, 0.05);
        }
    }

    @Test
    void badShapesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new NoiseSource(new long[] {0}, 2, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> new NoiseSource(new long[] {2}, 0, 2, 0));
    }
}

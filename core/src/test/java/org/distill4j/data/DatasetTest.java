package org.distill4j.data;

import org.distill4j.testing.Slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DatasetTest {

    /** {@code n} synthetic 2x3 images whose pixels encode the sample index; labels i % 10. */
    static Dataset synthetic(int n) {
        byte[] pixels = new byte[n * 6];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 6; k++) {
                pixels[i * 6 + k] = (byte) ((i + k) % 256);
            }
            labels[i] = (byte) (i % 10);
        }
        return Dataset.fromIdx("synthetic", new IdxReader.IdxImages(n, 2, 3, pixels), labels, 10);
    }

    @Test
    void buildsFromIdx() {
        Dataset d = synthetic(20);
        assertEquals("synthetic", d.name());
        assertEquals(20, d.size());
        assertEquals(6, d.featureSize());
        assertArrayEquals(new long[] {1, 2, 3}, d.sampleShape());
        assertEquals(10, d.numClasses());
        assertEquals(7, d.label(17));
        assertEquals(17, d.id(17));
        assertArrayEquals(IntStream.range(0, 20).toArray(), d.ids());
    }

    @Test
    void rejectsCountMismatch() {
        IdxReader.IdxImages images = new IdxReader.IdxImages(5, 2, 3, new byte[30]);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Dataset.fromIdx("x", images, new byte[4], 10));
        assertTrue(e.getMessage().contains("5 images"), e.getMessage());
        assertTrue(e.getMessage().contains("4 labels"), e.getMessage());
    }

    @Test
    void rejectsLabelOutOfRange() {
        IdxReader.IdxImages images = new IdxReader.IdxImages(3, 2, 3, new byte[18]);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Dataset.fromIdx("x", images, new byte[] {0, 10, 1}, 10));
        assertTrue(e.getMessage().contains("label 10 at position 1"), e.getMessage());
        assertTrue(e.getMessage().contains("[0, 10)"), e.getMessage());
        // bytes are unsigned: 0xFF is label 255, not -1
        e = assertThrows(DatasetException.class,
                () -> Dataset.fromIdx("x", images, new byte[] {0, 1, (byte) 0xFF}, 10));
        assertTrue(e.getMessage().contains("label 255"), e.getMessage());
    }

    @Test
    void normalisesPixels() {
        byte[] pixels = {0, (byte) 255, 73, (byte) 128};
        Dataset d = Dataset.fromIdx("x", new IdxReader.IdxImages(1, 2, 2, pixels), new byte[] {3}, 10);
        float[] f = new float[4];
        d.copyFeatures(0, f, 0);
        assertEquals((0f - 0.2860f) / 0.3530f, f[0], 1e-6f);
        assertEquals((1f - 0.2860f) / 0.3530f, f[1], 1e-6f);
        assertEquals((73 / 255f - Dataset.MEAN) / Dataset.STD, f[2], 1e-6f);
        assertEquals(0.000777647f, f[2], 1e-6f); // 73/255 = 0.286275: just above the mean
        assertEquals((128 / 255f - 0.2860f) / 0.3530f, f[3], 1e-6f);
    }

    @Test
    void normalisesRealSlicePixel() {
        FashionMnist.Splits s = FashionMnist.load(Slice.dir());
        float[] f = new float[s.train().featureSize()];
        s.train().copyFeatures(0, f, 0);
        assertEquals((73 / 255f - Dataset.MEAN) / Dataset.STD, f[100], 1e-6f);
        assertEquals(-Dataset.MEAN / Dataset.STD, f[0], 1e-6f);
    }

    @Test
    void splitsDeterministicallyAndDisjointly() {
        Dataset d = synthetic(100);
        Dataset.Split a = d.split(0.2, 42);
        assertEquals(80, a.train().size());
        assertEquals(20, a.validation().size());
        assertEquals("synthetic-train", a.train().name());
        assertEquals("synthetic-val", a.validation().name());

        Set<Integer> all = new HashSet<>();
        for (int id : a.train().ids()) {
            assertTrue(all.add(id));
        }
        for (int id : a.validation().ids()) {
            assertTrue(all.add(id), "id " + id + " is in both parts");
        }
        assertEquals(100, all.size());

        Dataset.Split same = d.split(0.2, 42);
        assertArrayEquals(a.validation().ids(), same.validation().ids());
        assertEquals(a.train().digest(), same.train().digest());
        Dataset.Split other = d.split(0.2, 43);
        assertFalse(Arrays.equals(a.validation().ids(), other.validation().ids()));
    }

    @Test
    void splitFractionBounds() {
        Dataset d = synthetic(10);
        Dataset.Split none = d.split(0.0, 1);
        assertEquals(10, none.train().size());
        assertEquals(0, none.validation().size());
        assertEquals(9, d.split(0.99, 1).validation().size()); // never an empty training part
        assertThrows(IllegalArgumentException.class, () -> d.split(1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> d.split(-0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> d.split(Double.NaN, 1));
    }

    @Test
    void subsetKeepsOriginalIdsAndData() {
        Dataset d = synthetic(30);
        Dataset sub = d.subset("sub", new int[] {25, 3, 11});
        assertArrayEquals(new int[] {25, 3, 11}, sub.ids());
        assertArrayEquals(new int[] {5, 3, 1}, sub.labels());
        Dataset subSub = sub.subset("subsub", new int[] {2, 0});
        assertArrayEquals(new int[] {11, 25}, subSub.ids());

        float[] expected = new float[6];
        float[] actual = new float[6];
        d.copyFeatures(11, expected, 0);
        subSub.copyFeatures(0, actual, 0);
        assertArrayEquals(expected, actual);

        assertThrows(IndexOutOfBoundsException.class, () -> d.subset("bad", new int[] {30}));
    }

    @Test
    void headTakesFirstSamples() {
        Dataset d = synthetic(30);
        Dataset h = d.head(7);
        assertEquals(7, h.size());
        assertArrayEquals(IntStream.range(0, 7).toArray(), h.ids());
        assertSame(d, d.head(30));
        assertSame(d, d.head(1000));
        assertThrows(IllegalArgumentException.class, () -> d.head(-1));
    }

    @Test
    void accessorsReturnCopies() {
        Dataset d = synthetic(5);
        String digest = d.digest();
        d.labels()[0] = 9;
        d.ids()[0] = 99;
        d.sampleShape()[0] = 7;
        assertEquals(0, d.label(0));
        assertEquals(0, d.id(0));
        assertEquals(1, d.sampleShape()[0]);
        assertEquals(digest, synthetic(5).digest());
    }

    @Test
    void digestIsStableAndContentSensitive() {
        byte[] pixels = new byte[4 * 6];
        byte[] labels = {1, 2, 3, 4};
        IdxReader.IdxImages images = new IdxReader.IdxImages(4, 2, 3, pixels);
        Dataset d = Dataset.fromIdx("a", images, labels, 10);
        String digest = d.digest();
        assertEquals(64, digest.length());
        assertTrue(digest.matches("[0-9a-f]{64}"));
        assertEquals(digest, d.digest());
        assertEquals(digest, Dataset.fromIdx("renamed", images, labels.clone(), 10).digest());

        byte[] changedLabel = {1, 2, 3, 5};
        assertNotEquals(digest, Dataset.fromIdx("a", images, changedLabel, 10).digest());
        byte[] changedPixels = pixels.clone();
        changedPixels[13] = 1;
        assertNotEquals(digest, Dataset.fromIdx("a",
                new IdxReader.IdxImages(4, 2, 3, changedPixels), labels, 10).digest());
        // same samples with other ids are a different dataset for alignment purposes
        assertNotEquals(d.subset("b", new int[] {1, 2}).digest(),
                Dataset.fromIdx("b", new IdxReader.IdxImages(2, 2, 3, new byte[12]),
                        new byte[] {2, 3}, 10).digest());
    }

    @Test
    void ofCopiesAndValidates() {
        float[] features = {1, 2, 3, 4};
        Dataset d = Dataset.of("of", features, new int[] {0, 1}, new long[] {2}, 2);
        features[0] = 100;
        float[] f = new float[2];
        d.copyFeatures(0, f, 0);
        assertArrayEquals(new float[] {1, 2}, f);
        assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("of", new float[3], new int[] {0, 1}, new long[] {2}, 2));
        assertThrows(DatasetException.class,
                () -> Dataset.of("of", new float[4], new int[] {0, 2}, new long[] {2}, 2));
    }

    @Test
    void aSealedDatasetRefusesEveryReadOfItsSamplesAndLabels() {
        Dataset d = Dataset.of("real", new float[] {1, 2, 3, 4}, new int[] {0, 1}, new long[] {2}, 2);
        String digest = d.digest();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                Dataset.Seal seal = d.seal("phase student-x is data-free")) {
            assertTrue(d.sealed());
            assertEquals("phase student-x is data-free", seal.why());
            for (Runnable read : java.util.List.<Runnable>of(() -> d.copyFeatures(0, new float[2], 0),
                    () -> d.label(1), d::labels, () -> d.subset("s", new int[] {0}), () -> d.head(1),
                    () -> d.split(0.5, 1), () -> new BatchLoader(d, 1, false, 0, false).load(m, new int[] {0}))) {
                SealedDataException e = assertThrows(SealedDataException.class, read::run);
                assertTrue(e.getMessage().contains("dataset real") && e.getMessage().contains("student-x is data-free"),
                        e.getMessage());
            }
            // what tells nothing about a sample stays readable
            assertEquals(2, d.size());
            assertEquals(digest, d.digest());
            assertArrayEquals(new int[] {0, 1}, d.ids());
        }
        assertFalse(d.sealed());
        assertEquals(1, d.label(1));
        // a seal covers the family: what was cut from the same source, and the source itself
        Dataset.Split split = d.split(0.5, 1);
        try (Dataset.Seal outer = split.train().seal("outer")) {
            assertTrue(d.sealed() && split.validation().sealed());
            assertThrows(SealedDataException.class, () -> split.validation().label(0));
            try (Dataset.Seal inner = d.seal("inner")) {
                assertTrue(assertThrows(SealedDataException.class, () -> d.label(0)).getMessage().contains("outer; inner"));
            }
            assertThrows(SealedDataException.class, () -> d.label(0), "the outer seal still holds");
        }
        assertEquals(0, d.label(0));
        Dataset other = Dataset.of("other", new float[] {1, 2}, new int[] {0}, new long[] {2}, 2);
        try (Dataset.Seal s = d.seal("x")) {
            assertEquals(0, other.label(0), "another source is not sealed");
        }
    }
}

package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {

    /** 23 synthetic samples whose ids differ from their positions (a reversed subset). */
    private static Dataset data() {
        Dataset all = DatasetTest.synthetic(40);
        int[] positions = IntStream.range(0, 23).map(i -> 39 - i).toArray();
        return all.subset("reversed", positions);
    }

    private static int[] flatten(int[][] plan) {
        return Arrays.stream(plan).flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void planCoversEveryPositionOncePerEpoch() {
        BatchLoader loader = new BatchLoader(data(), 5, true, 7, false);
        assertEquals(5, loader.batchesPerEpoch());
        for (int epoch = 0; epoch < 3; epoch++) {
            int[][] plan = loader.plan(epoch);
            assertEquals(5, plan.length);
            assertEquals(3, plan[4].length);
            int[] sorted = flatten(plan);
            Arrays.sort(sorted);
            assertArrayEquals(IntStream.range(0, 23).toArray(), sorted);
        }
    }

    @Test
    void planIsAPureFunctionOfSeedAndEpoch() {
        Dataset d = data();
        BatchLoader a = new BatchLoader(d, 4, true, 11, false);
        BatchLoader b = new BatchLoader(d, 4, true, 11, false);
        // epoch 3 of a fresh loader equals epoch 3 after visiting earlier epochs
        a.plan(0);
        a.plan(1);
        assertArrayEquals(flatten(a.plan(3)), flatten(b.plan(3)));
        assertFalse(Arrays.equals(flatten(a.plan(3)), flatten(a.plan(4))));
        assertFalse(Arrays.equals(flatten(a.plan(3)),
                flatten(new BatchLoader(d, 4, true, 12, false).plan(3))));
    }

    @Test
    void withoutShuffleOrderIsSequential() {
        BatchLoader loader = new BatchLoader(data(), 10, false, 1, false);
        int[][] plan = loader.plan(5);
        assertEquals(3, plan.length);
        assertArrayEquals(IntStream.range(0, 23).toArray(), flatten(plan));
    }

    @Test
    void dropLastDropsPartialBatch() {
        BatchLoader loader = new BatchLoader(data(), 5, true, 3, true);
        assertEquals(4, loader.batchesPerEpoch());
        int[][] plan = loader.plan(0);
        assertEquals(4, plan.length);
        for (int[] batch : plan) {
            assertEquals(5, batch.length);
        }
        assertEquals(0, new BatchLoader(data(), 50, false, 0, true).plan(0).length);
        assertEquals(1, new BatchLoader(data(), 23, false, 0, true).plan(0).length);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(data(), 0, true, 1, false));
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(data(), 2, true, 1, false).plan(-1));
    }

    @Test
    void loadBuildsArraysMatchingTheDataset() {
        Dataset d = data();
        BatchLoader loader = new BatchLoader(d, 4, true, 5, false);
        int[] positions = loader.plan(0)[0];
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = loader.load(manager, positions);
            assertEquals(4, batch.size());
            assertEquals(new Shape(4, 1, 2, 3), batch.input().getShape());
            assertEquals(DataType.FLOAT32, batch.input().getDataType());
            assertEquals(new Shape(4), batch.labels().getShape());
            assertEquals(DataType.INT32, batch.labels().getDataType());

            float[] inputs = batch.input().toFloatArray();
            int[] labels = batch.labels().toIntArray();
            float[] expected = new float[d.featureSize()];
            for (int i = 0; i < positions.length; i++) {
                int p = positions[i];
                assertEquals(d.id(p), batch.ids()[i]);
                assertEquals(39 - p, batch.ids()[i]);
                assertEquals(d.label(p), labels[i]);
                assertEquals(d.label(p), batch.labelValues()[i]);
                d.copyFeatures(p, expected, 0);
                assertArrayEquals(expected,
                        Arrays.copyOfRange(inputs, i * d.featureSize(), (i + 1) * d.featureSize()));
            }
            assertThrows(IllegalArgumentException.class, () -> loader.load(manager, new int[0]));
        }
    }

    @Test
    void prefetchedBatchesEqualDirectlyLoadedOnes() {
        Dataset d = data();
        BatchLoader loader = new BatchLoader(d, 4, true, 5, false);
        int[][] plan = loader.plan(1);
        Augmentation aug = new Augmentation(1, true);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int b = 0; b < plan.length; b++) {
                Batch direct = loader.load(manager, plan[b], aug, 100 + b);
                loader.prefetch(plan[b], aug, 100 + b);
                Batch ahead = loader.load(manager, plan[b], aug, 100 + b);
                assertArrayEquals(direct.input().toFloatArray(), ahead.input().toFloatArray());
                assertArrayEquals(direct.ids(), ahead.ids());
                assertArrayEquals(direct.labelValues(), ahead.labelValues());
            }
            // a prefetch for other positions or another seed is never handed out
            loader.prefetch(plan[1], aug, 7);
            Batch other = loader.load(manager, plan[0], aug, 7);
            assertArrayEquals(loader.load(manager, plan[0], aug, 7).input().toFloatArray(), other.input().toFloatArray());
            loader.prefetch(plan[0], aug, 8);
            assertArrayEquals(loader.load(manager, plan[0], aug, 7).input().toFloatArray(),
                    loader.load(manager, plan[0], aug, 7).input().toFloatArray());
            loader.prefetch(plan[0], aug, 8);
            Batch seed7 = loader.load(manager, plan[0], aug, 7);
            assertArrayEquals(loader.load(manager, plan[0], aug, 7).input().toFloatArray(), seed7.input().toFloatArray());
        }
    }
}

package org.distill4j.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.testing.SoloTraining;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnowledgeStoreTest {
    static final long[] SHAPE = {1, 28, 28};

    static Network teacher(NDManager m, long seed) {
        Seeds.apply(seed);
        return Network.create(new CnnSpec(List.of(4), 16, true, null), SHAPE, 10, m);
    }

    @Test
    void aStoreFromTheFidelityReferencesLogitsIsTheSameFileAsOneFromTheTeacher(@TempDir Path dir) throws IOException {
        // 550 samples, ids 50…599 (rows ≠ ids): two evaluation batches of 500 and 50, as the store's own
        // build batches them
        Dataset data = FashionMnist.load(Slice.dir()).train().subset("tail", java.util.stream.IntStream.range(50, 600)
                .toArray());
        try (NDManager m = NDManager.newBaseManager(); Network t = teacher(m, 1)) {
            float[] logits = org.distill4j.metric.Predictions.of(t, data, m).logits();
            List<String> notices = new ArrayList<>();
            KnowledgeStore.openOrBuild(dir.resolve("run.safetensors"), t, data, List.of("logits"), "p", m,
                    notices::add);
            KnowledgeStore.openOrBuild(dir.resolve("given.safetensors"), t, data, List.of("logits"), "p", m,
                    notices::add, logits);
            assertArrayEquals(Files.readAllBytes(dir.resolve("run.safetensors")),
                    Files.readAllBytes(dir.resolve("given.safetensors")));
            // taps beyond the logits are not in the predictions: the teacher runs
            KnowledgeStore taps = KnowledgeStore.openOrBuild(dir.resolve("taps.safetensors"), t, data,
                    List.of("logits", "conv1"), "p", m, notices::add, logits);
            assertEquals(List.of("logits", "conv1"), List.copyOf(taps.tapShapes().shapes().keySet()));
            float[] short1 = java.util.Arrays.copyOf(logits, logits.length - 10);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KnowledgeStore.openOrBuild(
                    dir.resolve("bad.safetensors"), t, data, List.of("logits"), "p", m, notices::add, short1));
            assertTrue(e.getMessage().contains("5490 logits given for 550 samples of 10 classes"), e.getMessage());
            assertTrue(Files.notExists(dir.resolve("bad.safetensors")));
        }
    }

    @Test
    void shuffledBatchesGetTheirOwnSamplesRows(@TempDir Path dir) throws IOException {
        Dataset data = FashionMnist.load(Slice.dir()).train().subset("odd", java.util.stream.IntStream.range(0, 300)
                .map(i -> 2 * i + 1).toArray()); // ids 1, 3, 5 …: rows ≠ ids
        try (NDManager m = NDManager.newBaseManager(); Network t = teacher(m, 1)) {
            List<String> notices = new ArrayList<>();
            KnowledgeStore store = KnowledgeStore.openOrBuild(dir.resolve("k.safetensors"), t, data,
                    List.of("logits", "conv1"), "p", m, notices::add);
            assertTrue(notices.get(0).contains("computed once for 300 samples"), notices.toString());
            BatchLoader shuffled = new BatchLoader(data, 32, true, 9, false);
            for (int[] positions : shuffled.plan(3)) {
                try (NDManager scope = m.newSubManager()) {
                    Batch b = shuffled.load(scope, positions);
                    Knowledge stored = store.lookup(b);
                    Knowledge live = new LiveTeacher(t).lookup(b);
                    for (String tap : List.of("logits", "conv1")) {
                        assertEquals(live.outputs().get(tap).getShape(), stored.outputs().get(tap).getShape());
                        assertArrayEquals(live.outputs().get(tap).toFloatArray(), stored.outputs().get(tap).toFloatArray(),
                                1e-5f, tap);
                    }
                }
            }
        }
    }

    /** The point of the store: training from it is the same computation as with the live teacher. */
    @Test
    void aShuffledRunFromTheStoreHasTheLiveTeachersLossSequence(@TempDir Path dir) throws IOException {
        Dataset data = FashionMnist.load(Slice.dir()).train().head(320);
        try (NDManager m = NDManager.newBaseManager(); Network t = teacher(m, 2)) {
            KnowledgeStore store = KnowledgeStore.openOrBuild(dir.resolve("k.safetensors"), t, data, List.of("logits"),
                    "p", m, s -> {});
            List<Double> live = losses(m, data, new LiveTeacher(t));
            List<Double> stored = losses(m, data, store);
            assertEquals(live.size(), stored.size());
            double worst = 0;
            for (int i = 0; i < live.size(); i++) {
                worst = Math.max(worst, Math.abs(live.get(i) - stored.get(i)) / Math.abs(live.get(i)));
            }
            assertEquals(live, stored, "largest relative difference " + worst);
        }
    }

    static List<Double> losses(NDManager m, Dataset data, KnowledgeSource source) throws IOException {
        Seeds.apply(5);
        try (Network student = Network.create(new MlpSpec(List.of(16), null), SHAPE, 10, m)) {
            List<Double> out = new ArrayList<>();
            new SoloTraining(m, new TrainListener() {
                @Override
                public void onStep(int epoch, int batch, double loss, double lr) {
                    out.add(loss);
                }
            }).train("s", student, new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null),
                    new HintonKd(4.0, 0.9).objective(), source, data, data.head(0), 77);
            return out;
        }
    }

    @Test
    void staleCorruptAndTruncatedStoresAreNeverUsed(@TempDir Path dir) throws IOException {
        Dataset data = FashionMnist.load(Slice.dir()).train().head(100);
        Path f = dir.resolve("k.safetensors");
        try (NDManager m = NDManager.newBaseManager(); Network a = teacher(m, 1); Network b = teacher(m, 2)) {
            KnowledgeStore.openOrBuild(f, a, data, List.of("logits"), "p", m, s -> {});
            var keyB = new KnowledgeStore.Key(b.weightsDigest(), data.digest(), "p");
            IOException stale = assertThrows(IOException.class, () -> KnowledgeStore.open(f, keyB));
            assertTrue(stale.getMessage().contains("stale") && stale.getMessage().contains("teacher weights"), stale.getMessage());
            var otherData = new KnowledgeStore.Key(a.weightsDigest(), data.head(50).digest(), "q");
            assertTrue(assertThrows(IOException.class, () -> KnowledgeStore.open(f, otherData)).getMessage()
                    .contains("data, preprocessing"));
            List<String> notices = new ArrayList<>();
            KnowledgeStore.openOrBuild(f, b, data, List.of("logits"), "p", m, notices::add);
            assertTrue(notices.get(0).contains("stale") && notices.get(0).contains("rebuilding"), notices.toString());
            KnowledgeStore.open(f, keyB); // now built for b

            byte[] bytes = Files.readAllBytes(f);
            bytes[bytes.length - 10] ^= 0x01;
            Files.write(f, bytes);
            assertTrue(assertThrows(IOException.class, () -> KnowledgeStore.open(f, keyB)).getMessage().contains("corrupt"));
            Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 100));
            assertTrue(assertThrows(IOException.class, () -> KnowledgeStore.open(f, keyB)).getMessage().contains("truncated"));
        }
    }
}

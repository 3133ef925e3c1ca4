package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TapsTest {
    static final long[] SAMPLE = {1, 28, 28};

    private static Outputs forward(Network n, NDManager m, int batch) {
        return n.forward(m.randomNormal(new Shape(batch, 1, 28, 28)), false);
    }

    @Test
    void everyZooModelExposesItsNamedTapsInOneForward() {
        Map<ModelSpec, Map<String, Shape>> expected = Map.of(
                new MlpSpec(List.of(32, 16), null), Map.of("fc1", new Shape(3, 32), "fc2", new Shape(3, 16),
                        "embedding", new Shape(3, 16), "logits", new Shape(3, 10)),
                new CnnSpec(List.of(4, 8, 8), 12, true, 0.1), Map.of("conv1", new Shape(3, 4, 14, 14),
                        "conv2", new Shape(3, 8, 7, 7), "conv3", new Shape(3, 8, 3, 3), "fc", new Shape(3, 12),
                        "embedding", new Shape(3, 12), "logits", new Shape(3, 10)),
                new ResNetSpec(8, 1), Map.of("stem", new Shape(3, 16, 28, 28), "stage1", new Shape(3, 16, 28, 28),
                        "stage2", new Shape(3, 32, 14, 14), "stage3", new Shape(3, 64, 7, 7),
                        "pool", new Shape(3, 64), "embedding", new Shape(3, 64), "logits", new Shape(3, 10)));
        try (NDManager m = NDManager.newBaseManager()) {
            for (var e : expected.entrySet()) {
                try (Network n = Network.create(e.getKey(), SAMPLE, 10, m)) {
                    Outputs out = forward(n, m, 3);
                    assertEquals(e.getValue().keySet(), out.names(), e.getKey().describe());
                    assertEquals(n.tapNames(), List.copyOf(out.names()), "tapNames lists what forward returns, in order");
                    e.getValue().forEach((tap, shape) -> assertEquals(shape, out.get(tap).getShape(), e.getKey().describe() + " " + tap));
                    List<String> names = n.tapNames();
                    String penultimate = names.get(names.size() - 3);
                    assertArrayEquals(out.get(penultimate).toFloatArray(), out.get("embedding").toFloatArray());
                }
            }
        }
    }

    @Test
    void tapsAreTheValuesTheNetworkComputes() {
        // logits tap equals the block's own forward output (the taps are not a separate computation)
        try (NDManager m = NDManager.newBaseManager();
                Network n = Network.create(new CnnSpec(List.of(4), 8, false, null), SAMPLE, 10, m)) {
            NDArray x = m.randomNormal(new Shape(2, 1, 28, 28));
            Outputs out = n.forward(x, false);
            assertEquals(List.of("conv1", "fc", "embedding", "logits"), n.tapNames());
            assertEquals(new Shape(2, 10), out.logits().getShape());
        }
    }

    @Test
    void unknownTapNamesTheAvailableOnes() {
        try (NDManager m = NDManager.newBaseManager();
                Network n = Network.create(new MlpSpec(List.of(8), null), SAMPLE, 10, m)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> forward(n, m, 1).get("stage9"));
            assertTrue(e.getMessage().contains("stage9") && e.getMessage().contains("fc1"), e.getMessage());
        }
    }

    @Test
    void saveAndLoadRoundTripsWeightsAndSpec(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(1);
            ModelSpec spec = new ResNetSpec(8, 1);
            try (Network a = Network.create(spec, SAMPLE, 10, m)) {
                a.save(dir.resolve("a.model"));
                try (Network b = Network.load(dir.resolve("a.model"), spec, m)) {
                    assertEquals(a.weightsDigest(), b.weightsDigest());
                    NDArray x = m.randomNormal(new Shape(2, 1, 28, 28));
                    assertArrayEquals(a.forward(x, false).logits().toFloatArray(), b.forward(x, false).logits().toFloatArray());
                }
                IOException wrong = assertThrows(IOException.class,
                        () -> Network.load(dir.resolve("a.model"), new MlpSpec(List.of(8), null), m));
                assertTrue(wrong.getMessage().contains("resnet8") && wrong.getMessage().contains("mlp[8]"), wrong.getMessage());
            }
            Path cut = dir.resolve("cut.model");
            byte[] bytes = Files.readAllBytes(dir.resolve("a.model"));
            Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            IOException truncated = assertThrows(IOException.class, () -> Network.load(cut, null, m));
            assertTrue(truncated.getMessage().contains("damaged or truncated"), truncated.getMessage());
            Files.writeString(dir.resolve("junk.model"), "hello");
            assertThrows(IOException.class, () -> Network.load(dir.resolve("junk.model"), null, m));
        }
    }

    @Test
    void sameSeedSameInitialWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(5);
            String a;
            try (Network n = Network.create(new CnnSpec(null, null, null, null), SAMPLE, 10, m)) {
                a = n.weightsDigest();
            }
            Seeds.apply(5);
            try (Network n = Network.create(new CnnSpec(null, null, null, null), SAMPLE, 10, m)) {
                assertEquals(a, n.weightsDigest());
            }
        }
    }

    @Test
    void specsRejectOutOfRangeValues() {
        assertThrows(IllegalArgumentException.class, () -> new ResNetSpec(10, 1));
        assertThrows(IllegalArgumentException.class, () -> new MlpSpec(List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new CnnSpec(List.of(8, 8, 8, 8, 8), null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new CnnSpec(null, null, null, 1.0));
    }
}

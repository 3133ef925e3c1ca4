package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.testing.Weights;
import org.distill4j.train.Seeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every zoo architecture described layer by layer ({@link Architecture#of}) and run from that
 * description alone ({@link ExportedNetwork}) gives the zoo network's taps exactly: the
 * description cannot drift from what {@link ModelSpec#build} builds without this failing.
 */
class ArchitectureTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> zoo() {
        return Stream.of(
                Arguments.of(new MlpSpec(List.of(12, 8), 0.2), new long[] {1, 28, 28}),
                Arguments.of(new MlpSpec(List.of(6), null), new long[] {4}),
                Arguments.of(new CnnSpec(List.of(4, 6), 16, true, 0.1), new long[] {1, 28, 28}),
                Arguments.of(new CnnSpec(List.of(3), 8, false, null), new long[] {3, 12, 10}),
                Arguments.of(new ResNetSpec(8, 1), new long[] {1, 28, 28}),
                Arguments.of(new ResNetSpec(14, 1), new long[] {3, 9, 9}),
                Arguments.of(new MultiExitSpec(new ResNetSpec(8, 1)), new long[] {1, 28, 28}),
                Arguments.of(new BlocksSpec(List.of(new BlocksSpec.Stage(3, 5, 2, 4), new BlocksSpec.Stage(2, 3, 1, 6)),
                        8), new long[] {1, 28, 28}),
                Arguments.of(new TextCnnSpec(300, 6, 5, 3, 7), new long[] {12}),
                Arguments.of(new NgramMlpSpec(97, 6, 7), new long[] {12}));
    }

    /** Token ids for a text student: 5 texts of {@code len} ids, the i-th padded (id 0) from position 2 + 2i on. */
    static NDArray tokenIds(NDManager m, int len) {
        java.util.Random r = new java.util.Random(3);
        float[] ids = new float[5 * len];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % len < 2 + 2 * (i / len) ? 1 + r.nextInt(30000) : 0;
        }
        return m.create(ids, new Shape(5, len));
    }

    @ParameterizedTest
    @MethodSource("zoo")
    void theDescriptionRunAloneGivesTheZooNetworksTapsExactly(ModelSpec spec, long[] shape) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(5);
            try (Network net = Network.create(spec, shape, 3, m)) {
                Weights.randomise(net, 11);
                Architecture.Bound bound = Architecture.of(net);
                assertEquals(net.parameters().size(), bound.tensors().size(), "every parameter is a named tensor");
                // Through JSON, as an export folder holds it.
                Architecture back = JSON.readValue(JSON.writeValueAsString(bound.architecture()), Architecture.class);
                assertEquals(bound.architecture(), back);
                long[] dims = new long[shape.length + 1];
                dims[0] = 5;
                System.arraycopy(shape, 0, dims, 1, shape.length);
                try (ExportedNetwork exported = ExportedNetwork.of(back, ExportedNetwork.tensorsOf(bound), m, "test");
                        NDManager scope = m.newSubManager()) {
                    NDArray x = net.takesTokens() ? tokenIds(scope, (int) shape[0]) : scope.randomNormal(new Shape(dims));
                    Outputs zoo = net.forward(x, false);
                    Map<String, NDArray> taps = exported.forwardTaps(x);
                    assertFalse(taps.isEmpty());
                    for (var e : taps.entrySet()) {
                        assertArrayEquals(zoo.get(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), 0f,
                                spec.describe() + " tap " + e.getKey());
                    }
                    assertArrayEquals(zoo.logits().toFloatArray(), exported.forward(x).toFloatArray(), 0f);
                    if (spec instanceof MultiExitSpec me) {
                        assertTrue(taps.keySet().containsAll(me.exitTaps()), taps.keySet().toString());
                    }
                }
            }
        }
    }

    @Test
    void specsSerialiseWithoutTheirLayerPlan() throws Exception {
        // A config's digest is its JSON: describing layers must not change it.
        String json = JSON.writeValueAsString(new CnnSpec(List.of(4), 8, true, null));
        assertFalse(json.contains("layers") || json.contains("stages"), json);
        assertEquals("{\"type\":\"cnn\",\"channels\":[4],\"hidden\":8,\"batchNorm\":true,\"dropout\":0.0}", json);
    }

    @Test
    void weightsThatDoNotFitTheDescriptionAreRefusedNamingTheTensor() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(5);
            try (Network net = Network.create(new CnnSpec(List.of(4), 8, true, null), new long[] {1, 8, 8}, 3, m)) {
                Architecture.Bound bound = Architecture.of(net);
                Map<String, ExportedNetwork.Tensor> tensors = new LinkedHashMap<>(ExportedNetwork.tensorsOf(bound));
                tensors.put("conv1.0.weight", new ExportedNetwork.Tensor(new long[] {4, 1, 2, 2}, new float[16]));
                IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                        () -> ExportedNetwork.of(bound.architecture(), tensors, m, "w.safetensors"));
                assertTrue(wrong.getMessage().contains("'conv1.0.weight' has shape [4, 1, 2, 2]")
                        && wrong.getMessage().contains("[4, 1, 3, 3]") && wrong.getMessage().startsWith("w.safetensors"),
                        wrong.getMessage());
                tensors.remove("conv1.0.weight");
                IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                        () -> ExportedNetwork.of(bound.architecture(), tensors, m, "w.safetensors"));
                assertEquals("w.safetensors has no tensor 'conv1.0.weight'", missing.getMessage());
            }
        }
    }
}

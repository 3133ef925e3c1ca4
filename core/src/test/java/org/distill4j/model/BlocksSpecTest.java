package org.distill4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The network of searched blocks: its taps match a CNN teacher's stages, its size is counted without building it. */
class BlocksSpecTest {
    static final long[] IMAGE = {1, 28, 28};

    @Test
    void parameterCountAndTapsAreThoseOfTheBuiltNetwork() {
        BlocksSpec spec = new BlocksSpec(List.of(new BlocksSpec.Stage(3, 5, 2, 4), new BlocksSpec.Stage(6, 3, 1, 8)), 16);
        try (NDManager m = NDManager.newBaseManager(); Network net = Network.create(spec, IMAGE, 10, m)) {
            assertEquals(net.parameterCount(), spec.parameters(IMAGE, 10));
            // by hand: 1·3·25+6 + 3·3·25+6 + 3·4+8 | 4·6·9+12 + 6·8+16 | (8·49+1)·16 | 17·10
            assertEquals(75 + 6 + 225 + 6 + 20 + 216 + 12 + 64 + 393 * 16 + 170, spec.parameters(IMAGE, 10));
            TapShapes taps = net.tapShapes("student");
            assertEquals(new Shape(4, 14, 14), taps.shape("conv1"));
            assertEquals(new Shape(8, 7, 7), taps.shape("conv2"));
            assertEquals(new Shape(16), taps.shape("fc"));
            assertEquals(spec.stages().get(1).parameters(4), 216 + 12 + 64);
        }
    }

    @Test
    void rejectsBadBlocksNamingTheKey() {
        IllegalArgumentException even = assertThrows(IllegalArgumentException.class,
                () -> new BlocksSpec.Stage(4, 4, 1, 8));
        assertTrue(even.getMessage().startsWith("kernel: must be odd"), even.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BlocksSpec.Stage(4, 3, 0, 8)).getMessage()
                .startsWith("depth:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BlocksSpec(List.of(), 8)).getMessage()
                .startsWith("stages:"));
    }
}

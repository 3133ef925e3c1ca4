package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeProfileTest {
    @Test
    void profilesExactlyTheAskedStepsIntoAChromeTrace(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("sub/steps.json");
        NativeProfile profile = new NativeProfile(2, 2, trace);
        try (NDManager m = NDManager.newBaseManager()) {
            for (long step = 0; step < 6; step++) {
                profile.beforeStep(null, step);
                try (NDArray a = m.ones(new Shape(4, 4)); NDArray b = step == 3 ? a.matMul(a) : a.exp()) {
                    b.sum().close();
                }
                profile.afterStep(null, step, 0);
                assertEquals(step >= 3, Files.exists(trace), "the trace is written after step 3, not before");
            }
        }
        String text = Files.readString(trace);
        assertTrue(text.contains("aten::mm"), "step 3's matrix product is in the profile");
        assertTrue(text.contains("aten::exp"), "step 2's exp is in the profile");
        // steps 0, 1, 4, 5 are outside it: 1 exp (step 2) and no more
        assertEquals(1, text.split("\"aten::exp\"", -1).length - 1, "exp calls profiled");
    }

    @Test
    void aBadSettingNamesThePropertyAndNoSettingIsOff() {
        String old = System.getProperty(NativeProfile.PROPERTY);
        try {
            System.clearProperty(NativeProfile.PROPERTY);
            assertNull(NativeProfile.fromSystemProperties());
            System.setProperty(NativeProfile.PROPERTY, "10:x:/tmp/t.json");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeProfile::fromSystemProperties);
            assertTrue(e.getMessage().startsWith("distill4j.profile: "), e.getMessage());
            System.setProperty(NativeProfile.PROPERTY, "5:0:/tmp/t.json");
            e = assertThrows(IllegalArgumentException.class, NativeProfile::fromSystemProperties);
            assertFalse(e.getMessage().isBlank());
        } finally {
            if (old == null) {
                System.clearProperty(NativeProfile.PROPERTY);
            } else {
                System.setProperty(NativeProfile.PROPERTY, old);
            }
        }
    }
}

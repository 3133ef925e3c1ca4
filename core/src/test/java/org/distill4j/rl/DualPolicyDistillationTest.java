package org.distill4j.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.train.CheckpointStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPD's cycles on a tiny pendulum run: stopped mid-run and resumed, it ends where an uninterrupted run does. */
class DualPolicyDistillationTest {
    static DpdSpec tiny(boolean dual, long seed) {
        return new DpdSpec("pendulum", dual ? 2 : 1, dual, 256L, 2, 32, 1, 32, null, null, null, null, null, null, null,
                1, List.of(8), 2, seed);
    }

    @Test
    void resumedMidRunEndsWhereAnUninterruptedRunDoes(@TempDir Path dir) throws Exception {
        DpdSpec spec = tiny(true, 3);
        assertEquals(4, spec.cycles());
        DualPolicyDistillation.Result whole = DualPolicyDistillation.run(spec, dir.resolve("whole"));
        DualPolicyDistillation.Result first = DualPolicyDistillation.run(spec, dir.resolve("split"), 2);
        assertEquals(2, first.curves().get("a").size());
        DualPolicyDistillation.Result rest = DualPolicyDistillation.run(spec, dir.resolve("split"));
        assertTrue(rest.resumed());
        assertFalse(whole.resumed());
        assertEquals(whole.curves(), rest.curves(), "returns after every cycle, both learners");
        assertEquals(4, rest.curves().get("b").size());
        CheckpointStore.Loaded a = new CheckpointStore(dir.resolve("whole"), DualPolicyDistillation.digest(spec), 2)
                .latest();
        CheckpointStore.Loaded b = new CheckpointStore(dir.resolve("split"), DualPolicyDistillation.digest(spec), 2)
                .latest();
        for (String slot : List.of("a-policy", "a-value", "b-policy", "b-value")) {
            assertArrayEquals(a.slot(slot).weights(), b.slot(slot).weights(), slot);
        }
        assertArrayEquals(a.slot("a-envs").adapters(), b.slot("a-envs").adapters(), "environments and RNG states");
    }

    @Test
    void distillationChangesTheLearners(@TempDir Path dir) throws Exception {
        // the same seeds with and without the imitation phase: identical until distillation moves the policies
        DualPolicyDistillation.Result dual = DualPolicyDistillation.run(tiny(true, 5), dir.resolve("dual"));
        DpdSpec apart = new DpdSpec("pendulum", 2, false, 256L, 2, 32, 1, 32, null, null, null, null, null, null, null,
                1, List.of(8), 2, 5L);
        DualPolicyDistillation.Result independent = DualPolicyDistillation.run(apart, dir.resolve("apart"));
        assertFalse(dual.curves().equals(independent.curves()));
        assertTrue(Double.isFinite(dual.finalReturn()));
    }

    @Test
    void resumingWithAnotherConfigurationIsRefused(@TempDir Path dir) throws Exception {
        DualPolicyDistillation.run(tiny(false, 1), dir, 1);
        assertTrue(assertThrows(java.io.IOException.class, () -> DualPolicyDistillation.run(tiny(false, 2), dir))
                .getMessage().contains("another configuration"));
    }

    @Test
    void badParametersAreRejectedNamingTheKey() {
        assertEquals("beta: must be > 0 (got -1.0)", assertThrows(IllegalArgumentException.class,
                () -> new DpdSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                        -1.0, null, null, null, null)).getMessage());
        assertEquals("learners: must be 1 or 2 (got 3)", assertThrows(IllegalArgumentException.class,
                () -> new DpdSpec(null, 3, null, null, null, null, null, null, null, null, null, null, null, null,
                        null, null, null, null, null)).getMessage());
        assertEquals("batchSize: must be in [1, envs × rolloutSteps = 64] (got 128)",
                assertThrows(IllegalArgumentException.class, () -> new DpdSpec(null, null, null, null, 2, 32, null,
                        128, null, null, null, null, null, null, null, null, null, null, null)).getMessage());
        assertEquals("clip: must be in (0, 1) (got 1.5)", assertThrows(IllegalArgumentException.class,
                () -> new DpdSpec(null, null, null, null, null, null, null, null, null, null, null, 1.5, null, null,
                        null, null, null, null, null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DpdSpec("acrobot", null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null)).getMessage()
                .startsWith("env: unknown environment 'acrobot'"));
    }
}

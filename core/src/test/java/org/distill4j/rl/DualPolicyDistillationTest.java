package org.distill4j.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.train.CheckpointStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPD's cycles on a tiny pendulum run: stopped mid-run and resumed, it ends where an uninterrupted run does. */
class DualPolicyDistillationTest {
    static DpdSpec tiny(boolean dual, long seed) {
        return DpdSpec.parse(tinyKeys("ppo", dual ? 2 : 1, dual, seed));
    }

    static Map<String, Object> tinyKeys(String algorithm, int learners, boolean distill, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algorithm", algorithm);
        m.put("learners", learners);
        m.put("distill", distill);
        m.put("steps", 256);
        m.put("envs", 2);
        m.put("rolloutSteps", 32);
        m.put("ppoEpochs", 1);
        m.put("batchSize", 32);
        m.put("distillEpochs", 1);
        m.put("hidden", List.of(8));
        m.put("evalEpisodes", 2);
        m.put("seed", seed);
        if (algorithm.equals("ddpg")) { // warm-up in the first cycle, updates from the second
            m.put("warmup", 64);
            m.put("bufferSize", 192);
            m.put("updateRatio", 0.25);
        }
        return m;
    }

    private static void assertSameState(Path x, Path y, DpdSpec spec, List<String> weights, List<String> other)
            throws Exception {
        CheckpointStore.Loaded a = new CheckpointStore(x, DualPolicyDistillation.digest(spec), 2).latest();
        CheckpointStore.Loaded b = new CheckpointStore(y, DualPolicyDistillation.digest(spec), 2).latest();
        for (String slot : weights) {
            assertArrayEquals(a.slot(slot).weights(), b.slot(slot).weights(), slot);
        }
        for (String slot : other) {
            assertArrayEquals(a.slot(slot).adapters(), b.slot(slot).adapters(), slot);
        }
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
        assertSameState(dir.resolve("whole"), dir.resolve("split"), spec,
                List.of("a-policy", "a-value", "b-policy", "b-value"), List.of("a-envs", "b-envs"));
    }

    @Test
    void ddpgResumedMidRunEndsWhereAnUninterruptedRunDoes(@TempDir Path dir) throws Exception {
        DpdSpec spec = DpdSpec.parse(tinyKeys("ddpg", 2, true, 4));
        assertEquals(0.75, spec.beta(), "the paper's β for DDPG");
        DualPolicyDistillation.Result whole = DualPolicyDistillation.run(spec, dir.resolve("whole"));
        DualPolicyDistillation.run(spec, dir.resolve("split"), 2);
        DualPolicyDistillation.Result rest = DualPolicyDistillation.run(spec, dir.resolve("split"));
        assertEquals(whole.curves(), rest.curves());
        // the replay buffer is full and wrapped by the end (4 × 64 transitions into 192)
        assertSameState(dir.resolve("whole"), dir.resolve("split"), spec,
                List.of("a-actor", "a-critic", "a-actor-target", "a-critic-target", "b-actor", "b-critic-target"),
                List.of("a-envs", "a-replay", "b-envs", "b-replay"));
        assertTrue(Double.isFinite(whole.finalReturn()));
    }

    @Test
    void distillationChangesTheLearners(@TempDir Path dir) throws Exception {
        // the same seeds with and without the imitation phase: identical until distillation moves the policies
        DualPolicyDistillation.Result dual = DualPolicyDistillation.run(tiny(true, 5), dir.resolve("dual"));
        DualPolicyDistillation.Result independent = DualPolicyDistillation.run(DpdSpec.parse(tinyKeys("ppo", 2, false,
                5)), dir.resolve("apart"));
        assertFalse(dual.curves().equals(independent.curves()));
        DualPolicyDistillation.Result together = DualPolicyDistillation.run(tiny(true, 5).withTogether(),
                dir.resolve("together"));
        assertFalse(together.curves().equals(dual.curves()), "in turn, b imitates a as a is after its imitation");
        assertEquals(together.curves().get("a").get(0).evalReturn(), dual.curves().get("a").get(0).evalReturn(),
                "a's first imitation is the same either way");
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
        assertEquals("beta: must be > 0 (got -1.0)", bad(Map.of("beta", -1)));
        assertEquals("learners: must be 1 or 2 (got 3)", bad(Map.of("learners", 3)));
        assertEquals("batchSize: must be in [1, envs × rolloutSteps = 64] (got 128)",
                bad(Map.of("envs", 2, "rolloutSteps", 32, "batchSize", 128)));
        assertEquals("clip: must be in (0, 1) (got 1.5)", bad(Map.of("clip", 1.5)));
        assertEquals("tau: must be in (0, 1] (got 0.0)", bad(Map.of("algorithm", "ddpg", "tau", 0)));
        assertTrue(bad(Map.of("env", "acrobot")).startsWith("env: unknown environment 'acrobot'"));
        assertTrue(bad(Map.of("betta", 1)).startsWith("betta: unknown key (known: [env, learners,"));
        assertEquals("algorithm: cannot read sac as Algorithm", bad(Map.of("algorithm", "sac")));
    }

    private static String bad(Map<String, Object> keys) {
        return assertThrows(IllegalArgumentException.class, () -> DpdSpec.parse(keys)).getMessage();
    }
}

package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EngineThreadsTest {
    private int before;

    @BeforeEach
    void remember() {
        ai.djl.engine.Engine.getInstance();
        before = JniUtils.getNumThreads();
        EngineThreads.forget();
    }

    @AfterEach
    void restore() {
        JniUtils.setNumThreads(before);
        EngineThreads.forget();
    }

    @Test
    void aMeasurementTimesOneAndAllThreadsAndSetsTheCountItChose() {
        EngineThreads t = EngineThreads.measure(2);
        assertTrue(t.intraOp() == 1 || t.intraOp() == 2, t.describe());
        assertEquals(t.intraOp(), JniUtils.getNumThreads(), "the engine runs with the count chosen");
        assertEquals(java.util.Set.of("1", "2"), t.probeMs().keySet());
        t.probeMs().values().forEach(ms -> assertTrue(ms > 0, t.describe()));
        // the larger count by the rule below (the suite's launcher does not measure: the 10% rule)
        assertEquals(EngineThreads.pick(t.probeMs().get("1"), t.probeMs().get("2"), 2,
                EngineThreads.launcherFoundIdle()), t.intraOp(), t.describe());
        assertEquals("measurement", EngineThreads.inEffect().chosenBy());
        assertTrue(EngineThreads.managed());
    }

    /**
     * Busy (or not measured): all cores only if they save 10%. Idle: unless they are slower; the
     * quickstart's probe 1 → 16.36 ms, 2 → 15.09 ms kept 1 thread under the 10% rule.
     */
    @Test
    void onAnIdleMachineAllCoresAreKeptUnlessSlower() {
        assertEquals(1, EngineThreads.pick(16.36, 15.09, 2, false));
        assertEquals(2, EngineThreads.pick(16.36, 15.09, 2, true));
        assertEquals(2, EngineThreads.pick(12.08, 7.12, 2, false));
        assertEquals(2, EngineThreads.pick(10.0, 10.0, 2, true));
        assertEquals(1, EngineThreads.pick(10.0, 10.01, 2, true));
        assertEquals(4, EngineThreads.pick(10.0, 9.0, 4, false));
        assertEquals(1, EngineThreads.pick(10.0, 9.01, 4, false));
    }

    /** resume and reproduce do not measure: they take the run's recorded count. */
    @Test
    void managedWithoutMeasuringAResumeStillTakesTheRunsCount() {
        JniUtils.setNumThreads(1);
        EngineThreads now = EngineThreads.manage();
        assertEquals(1, now.intraOp());
        assertTrue(now.probeMs().isEmpty(), "nothing was measured");
        assertTrue(EngineThreads.managed());
        EngineThreads as = EngineThreads.resumeWith(new EngineThreads(2, 1, "measurement", null, null));
        assertEquals(2, as.intraOp());
        assertEquals(2, JniUtils.getNumThreads());
    }

    @Test
    void aResumeTakesTheRunsCountUnlessTheUserChoseOne() {
        EngineThreads run = new EngineThreads(2, 1, "measurement", null, null);
        assertNull(EngineThreads.resumeWith(run), "nothing changes when nobody manages the counts (the Java API)");
        EngineThreads.measure(1); // managed now, with 1 thread
        assertEquals(1, JniUtils.getNumThreads());
        EngineThreads as = EngineThreads.resumeWith(run);
        assertEquals(2, as.intraOp());
        assertEquals("resumed", as.chosenBy());
        assertEquals(2, JniUtils.getNumThreads());
        assertNull(EngineThreads.resumeWith(run), "already the run's count");
        EngineThreads.user(1);
        assertNull(EngineThreads.resumeWith(run), "the user's choice stands");
        assertEquals(1, JniUtils.getNumThreads());
        assertEquals("user", EngineThreads.inEffect().chosenBy());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> EngineThreads.user(0));
        assertEquals("threads: must be ≥ 1 (got 0)", bad.getMessage());
    }
}

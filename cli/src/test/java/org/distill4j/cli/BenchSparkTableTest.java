package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The bench spark table says the machine was loaded only when its load averages show it. */
class BenchSparkTableTest {
    private static ObjectNode results(String load1, String load2) {
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.putObject("local[1]").put("samples", 600).put("seconds", 1.0).put("partitions", 4).put("loadAverage", load1);
        r.putObject("local[2]").put("samples", 600).put("seconds", 0.5).put("partitions", 4).put("loadAverage", load2);
        return r;
    }

    @Test
    void loadedOnlyAboveTheJobsOwnTasks() {
        assertFalse(BenchSparkCommand.loaded(results("0.97", "1.13")), "an idle machine: its own 1 and 2 tasks");
        assertFalse(BenchSparkCommand.loaded(results("1.50", "2.50")), "at the bound");
        assertTrue(BenchSparkCommand.loaded(results("1.51", "1.13")), "other work beside local[1]");
        assertTrue(BenchSparkCommand.loaded(results("0.97", "20.39")), "other work beside local[2]");
        assertTrue(BenchSparkCommand.loaded(results("n/a", "1.0")), "a load average not recorded counts as loaded");
        String idle = BenchSparkCommand.table(results("0.97", "1.13"), "0123456789abcdef", "", 3);
        assertTrue(idle.contains("the machine was otherwise idle") && !idle.contains("loaded by other work"), idle);
        String busy = BenchSparkCommand.table(results("22.0", "20.4"), "0123456789abcdef", "", 3);
        assertTrue(busy.contains("loaded by other work"), busy);
    }
}

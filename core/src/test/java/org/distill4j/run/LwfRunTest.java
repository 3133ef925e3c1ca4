package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.distill4j.config.CheckpointSpec;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.metric.Predictions;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.LwfScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learning without Forgetting on the committed Fashion-MNIST slice: three tasks of two classes,
 * a tiny MLP, one epoch per task; LwF beside fine-tuning and joint training.
 */
class LwfRunTest {
    static final TrainSpec TWO = new TrainSpec(2, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    static final List<List<Integer>> TASKS = List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5));

    static FashionMnist.Splits data;
    static Path first;
    static RunRecord whole;

    static RunConfig config() {
        return new RunConfig("lwf", 5L, new DataSpec(0.2, null, null), null,
                new StudentSpec(new MlpSpec(List.of(16), null), TWO, null, null), new CheckpointSpec(3, 2),
                new LwfScheme(TASKS, 1.0, 2.0, true));
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        first = dir;
        whole = new Experiment(config(), data, dir, TrainListener.NONE).run();
    }

    @Test
    void eachSequenceAfterEachTaskWithAccuracyPerTaskAndForgetting() {
        assertEquals(List.of("task1", "lwf-task2", "finetune-task2", "joint-task2", "lwf-task3", "finetune-task3",
                "joint-task3", "lwf-average", "lwf-forgetting", "finetune-average", "finetune-forgetting",
                "joint-average", "joint-forgetting"), whole.models().stream().map(ModelResult::name).toList());
        // "ce" is the 10-way cross-entropy at weight 0, reported as every objective does
        assertEquals(Set.of("ce", "ce-new", "old"), whole.model("lwf-task2").history().get(0).trainTerms().keySet());
        assertEquals(0.0, whole.model("lwf-task2").history().get(0).trainTerms().get("ce"));
        assertEquals(Set.of("ce", "ce-new"), whole.model("finetune-task2").history().get(0).trainTerms().keySet());
        assertEquals(Set.of("ce", "ce-new"), whole.model("joint-task3").history().get(0).trainTerms().keySet());
        assertEquals(Set.of("ce", "ce-new"), whole.model("task1").history().get(0).trainTerms().keySet());
        assertNotEquals(whole.model("lwf-task2").weightsDigest(), whole.model("finetune-task2").weightsDigest());
        JsonNode acc = whole.schemeResults().path("accuracy");
        for (String s : List.of("lwf", "finetune", "joint")) {
            JsonNode rows = acc.path(s);
            assertEquals(3, rows.size(), s);
            double[][] a = new double[3][];
            for (int t = 0; t < 3; t++) {
                JsonNode per = rows.get(t).path("perTask");
                assertEquals(t + 1, per.size(), s + " after task " + (t + 1));
                a[t] = new double[t + 1];
                double sum = 0;
                for (int j = 0; j <= t; j++) {
                    a[t][j] = per.get(j).asDouble();
                    assertTrue(a[t][j] >= 0 && a[t][j] <= 1);
                    sum += a[t][j];
                }
                assertEquals(sum / (t + 1), rows.get(t).path("average").asDouble(), 1e-12);
            }
            // forgetting by hand: after task 3, mean over tasks 1, 2 of (best earlier − now)
            double f = (Math.max(a[0][0], a[1][0]) - a[2][0] + a[1][1] - a[2][1]) / 2;
            assertEquals(f, rows.get(2).path("forgetting").asDouble(), 1e-12);
            assertEquals(f, whole.model(s + "-forgetting").metrics().testAccuracy(), 1e-12);
            assertEquals(rows.get(2).path("average").asDouble(), whole.model(s + "-average").metrics().testAccuracy(),
                    1e-12);
        }
        // task 1 is one network for all three sequences
        assertEquals(acc.path("lwf").get(0), acc.path("finetune").get(0));
    }

    /** The task-aware accuracy of a saved network on the test samples of {@code task}, counted here. */
    static double taskAccuracy(Path model, List<Integer> task) throws Exception {
        return taskAccuracy(model, task, data.test());
    }

    /** The task-aware accuracy of a saved network on the samples of {@code task} in {@code test}, counted here. */
    static double taskAccuracy(Path model, List<Integer> task, Dataset test) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Network n = Network.load(model, null, m)) {
            Predictions p = Predictions.of(n, test, m);
            int right = 0;
            int count = 0;
            for (int i = 0; i < test.size(); i++) {
                if (!task.contains(test.label(i))) {
                    continue;
                }
                count++;
                int best = task.get(0);
                for (int c : task) {
                    best = p.logits()[i * 10 + c] > p.logits()[i * 10 + best] ? c : best;
                }
                right += best == test.label(i) ? 1 : 0;
            }
            return (double) right / count;
        }
    }

    @Test
    void theReportedAccuraciesAreTheSavedNetworksTaskAwareAccuracies() throws Exception {
        JsonNode row = whole.schemeResults().path("accuracy").path("lwf").get(2).path("perTask");
        for (int j = 0; j < 3; j++) {
            assertEquals(taskAccuracy(first.resolve("lwf-task3.model"), TASKS.get(j)), row.get(j).asDouble(), 1e-12);
        }
    }

    @Test
    void withoutAValidationSplitThereIsNoValidationTable(@TempDir Path dir) throws Exception {
        RunConfig c = config();
        RunConfig none = new RunConfig("lwf", 5L, new DataSpec(0.0, null, null), null, c.student(), c.checkpoint(),
                new LwfScheme(TASKS, 1.0, 2.0, false));
        JsonNode results = new Experiment(none, data, dir, TrainListener.NONE).run().schemeResults();
        assertEquals(3, results.path("accuracy").path("lwf").size());
        assertTrue(results.path("validationAccuracy").isMissingNode(), results.toString());
    }

    @Test
    void theValidationTableIsTheSavedNetworksTaskAwareAccuracyOnTheValidationSamples() throws Exception {
        Dataset validation = Experiment.trainingSplit(config(), RunData.of(data)).validation();
        JsonNode val = whole.schemeResults().path("validationAccuracy");
        for (String s : List.of("lwf", "finetune", "joint")) {
            JsonNode row = val.path(s).get(2);
            for (int j = 0; j < 3; j++) {
                assertEquals(taskAccuracy(first.resolve(s + "-task3.model"), TASKS.get(j), validation),
                        row.path("perTask").get(j).asDouble(), 1e-12, s + " task " + (j + 1));
            }
            assertEquals(3, val.path(s).size());
        }
        // not the test table: the validation samples are other images
        assertNotEquals(whole.schemeResults().path("accuracy").path("lwf").get(2).path("perTask"),
                val.path("lwf").get(2).path("perTask"));
    }

    @Test
    void theOldHeadsOutputsAreRecordedFromTheNetworkBeforeTheNewTask() throws Exception {
        for (int t = 1; t < 3; t++) {
            var store = SafeTensors.open(first.resolve("knowledge").resolve(LwfScheme.record(t) + ".safetensors"));
            var idsView = store.tensors().get("ids");
            int n = (int) idsView.shape()[0];
            int[] ids = new int[n];
            idsView.data().asIntBuffer().get(ids);
            float[] recorded = new float[n * 10];
            store.tensors().get("tap.logits").data().asFloatBuffer().get(recorded);
            Dataset samples = data.train().subset("recorded", ids);
            for (int i = 0; i < n; i++) {
                assertTrue(TASKS.get(t).contains(samples.label(i)), "recorded on the new task's data only");
            }
            String before = t == 1 ? "task1" : "lwf-task" + t;
            String after = "lwf-task" + (t + 1);
            float[] old = logits(first.resolve(before + ".model"), samples);
            float[] trained = logits(first.resolve(after + ".model"), samples);
            double maxOld = 0;
            double maxNew = 0;
            for (int i = 0; i < recorded.length; i++) {
                maxOld = Math.max(maxOld, Math.abs(recorded[i] - old[i]));
                maxNew = Math.max(maxNew, Math.abs(recorded[i] - trained[i]));
            }
            assertTrue(maxOld < 1e-5, "the record is " + before + "'s outputs (max difference " + maxOld + ")");
            assertTrue(maxNew > 1e-2, "not the outputs after training on task " + (t + 1) + " (" + maxNew + ")");
        }
    }

    static float[] logits(Path model, Dataset d) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Network n = Network.load(model, null, m)) {
            return Predictions.of(n, d, m).logits();
        }
    }

    @Test
    void aRunResumedMidTaskEndsWhereTheUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        // lwf-task3: 2 epochs of 6 steps; crash at step 5 of epoch 2, its last checkpoint at step 9 overall.
        StagedRunTest.CrashAt crash = new StagedRunTest.CrashAt("lwf-task3", 1, 4);
        assertThrows(IllegalStateException.class, () -> new Experiment(config(), data, dir, crash).run());
        StagedRunTest.CrashAt watch = new StagedRunTest.CrashAt("none", -1, -1);
        RunRecord resumed = new Experiment(config(), data, dir, watch).run();
        assertTrue(watch.messages.contains("lwf-task2: finished before the interruption, loaded lwf-task2.model"),
                watch.messages.toString());
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        assertEquals(whole.schemeResults(), resumed.schemeResults());
    }

    @Test
    void badParametersAreRefusedNamingTheKey() {
        assertEquals("tasks: class 1 is in two tasks (got [[0, 1], [1, 2]])", assertThrows(
                IllegalArgumentException.class, () -> new LwfScheme(List.of(List.of(0, 1), List.of(1, 2)), null, null,
                        null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LwfScheme(List.of(List.of(0, 1)), null,
                null, null)).getMessage().startsWith("tasks: must list 2 to 100 tasks"));
        assertEquals("lambda: must be in [0, 1e6] (got -1.0)", assertThrows(IllegalArgumentException.class,
                () -> new LwfScheme(null, -1.0, null, null)).getMessage());
        assertEquals("temperature: must be in (0, 1000] (got 0.0)", assertThrows(IllegalArgumentException.class,
                () -> new LwfScheme(null, null, 0.0, null)).getMessage());
        RunConfig tooMany = new RunConfig("lwf", 5L, new DataSpec(0.2, null, null), null,
                new StudentSpec(new MlpSpec(List.of(4), null), TWO, null, null), null,
                new LwfScheme(List.of(List.of(0), List.of(12)), null, null, null));
        assertEquals("tasks: class 12 is not a class of the data (0 … 9)", assertThrows(IllegalArgumentException.class,
                () -> new Experiment(tooMany, data, first.resolve("bad"), TrainListener.NONE).run()).getMessage());
    }
}

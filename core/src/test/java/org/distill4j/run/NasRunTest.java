package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.api.Distill;
import org.distill4j.config.CheckpointSpec;
import org.distill4j.config.ConfigException;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.metric.KendallTau;
import org.distill4j.model.BlocksSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.NasScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNA-style search on the committed slice: a 2-stage CNN teacher, 4 candidate blocks per stage
 * (widths 2/4 × depths 1/2), the hand-designed student cnn[4, 8]/8 setting the budget (10 of the
 * 16 architectures fit). The ranking and τ are recomputed here from the record's block scores and
 * accuracies; a run of the same seed stopped mid-search and again mid-candidate ends exactly
 * where the uninterrupted one does (the search is a function of its seed, and resumes exactly);
 * another seed searches differently.
 */
class NasRunTest {
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    static final CnnSpec TEACHER = new CnnSpec(List.of(4, 8), 16, true, null);
    static final CnnSpec HAND = new CnnSpec(List.of(4, 8), 8, true, null);
    static final List<String> MODELS = List.of("teacher", "candidate-r1", "candidate-r6", "candidate-r10",
            "student-searched", "student-hand");

    static FashionMnist.Splits data;
    static RunRecord whole;

    static NasScheme scheme(Long budget) {
        return new NasScheme(List.of(2, 4), List.of(3), List.of(1, 2), null, null, budget, 3, null, null, false);
    }

    static RunConfig config(long seed, NasScheme scheme) {
        return new RunConfig("nas", seed, new DataSpec(0.2, null, 100), new TeacherSpec(TEACHER, ONE, null),
                new StudentSpec(HAND, ONE, null, null), new CheckpointSpec(4, 2), scheme);
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        whole = new Experiment(config(9, scheme(null)), data, dir, TrainListener.NONE).run();
    }

    static Map<String, Double> scores(RunRecord r) {
        Map<String, Double> out = new HashMap<>();
        r.schemeResults().path("blocks").forEach(b -> out.put(b.path("name").asText(), b.path("score").asDouble()));
        return out;
    }

    @Test
    void theSearchedStudentIsTheBestScoringArchitectureWithinBudgetAndTauIsTheRecords() {
        assertEquals(MODELS, whole.models().stream().map(ModelResult::name).toList());
        JsonNode r = whole.schemeResults();
        long budget = whole.model("student-hand").parameters();
        assertEquals(budget, r.path("space").path("budget").asLong(), "the budget is the hand-designed student's size");
        Map<String, Double> score = scores(whole);
        assertEquals(8, score.size());
        // every pair of blocks, by hand: the best sum of scores among those within the budget
        long[] image = {1, 28, 28};
        double best = Double.MAX_VALUE;
        String bestName = null;
        int fitting = 0;
        for (int w1 : new int[] {2, 4}) {
            for (int d1 : new int[] {1, 2}) {
                for (int w2 : new int[] {2, 4}) {
                    for (int d2 : new int[] {1, 2}) {
                        BlocksSpec spec = new BlocksSpec(List.of(new BlocksSpec.Stage(w1, 3, d1, 4),
                                new BlocksSpec.Stage(w2, 3, d2, 8)), 8);
                        if (spec.parameters(image, 10) > budget) {
                            continue;
                        }
                        fitting++;
                        double s = score.get("s1-w" + w1 + "k3d" + d1) + score.get("s2-w" + w2 + "k3d" + d2);
                        if (s < best) {
                            best = s;
                            bestName = spec.describe();
                        }
                    }
                }
            }
        }
        assertEquals(10, fitting);
        assertEquals(fitting, r.path("space").path("withinBudget").asInt());
        assertEquals(bestName, r.path("searched").path("architecture").asText());
        assertEquals(bestName, whole.model("student-searched").architecture().replaceAll(" \\(.*", ""));
        assertTrue(whole.model("student-searched").parameters() <= budget);
        assertEquals(best, r.path("searched").path("score").asDouble(), 1e-12);
        // tau from the stand-alone candidates' scores and the record's accuracies
        JsonNode alone = r.path("standalone");
        assertEquals(3, alone.size());
        double[] goodness = new double[3];
        double[] accuracy = new double[3];
        for (int i = 0; i < 3; i++) {
            JsonNode c = alone.get(i);
            goodness[i] = -c.path("score").asDouble();
            accuracy[i] = whole.model(c.path("model").asText()).metrics().testAccuracy();
            assertEquals(accuracy[i], c.path("testAccuracy").asDouble(), 0);
        }
        assertEquals(List.of(1, 6, 10), List.of(alone.get(0).path("rank").asInt(), alone.get(1).path("rank").asInt(),
                alone.get(2).path("rank").asInt()));
        assertTrue(goodness[0] >= goodness[1] && goodness[1] >= goodness[2], "ranked by score");
        double tau = KendallTau.of(goodness, accuracy);
        assertEquals(tau, r.path("kendallTau").asDouble(), 0);
    }

    @Test
    void stoppedMidSearchAndMidCandidateItEndsWhereTheWholeRunDoes(@TempDir Path dir) throws Exception {
        RunConfig cfg = config(9, scheme(null));
        StopMidPhase inSearch = new StopMidPhase(NasScheme.PHASE, 7); // 15 steps of 8 updates
        assertThrows(StoppedException.class,
                () -> new Experiment(cfg, data, dir, inSearch).stoppedBy(inSearch.request).run());
        assertFalse(Files.exists(dir.resolve(NasScheme.RESULT_FILE)), "stopped before the search ended");
        StopMidPhase inCandidate = new StopMidPhase("candidate-r6", 5);
        assertThrows(StoppedException.class,
                () -> new Experiment(cfg, data, dir, inCandidate).stoppedBy(inCandidate.request).run());
        assertTrue(Files.exists(dir.resolve(NasScheme.RESULT_FILE)), "the search's scores were saved");
        RunRecord resumed = new Experiment(cfg, data, dir, TrainListener.NONE).run();
        assertEquals(scores(whole), scores(resumed), "the same block scores to the last bit");
        assertEquals(scores(whole), saved(dir));
        for (String m : MODELS) {
            assertEquals(whole.model(m).weightsDigest(), resumed.model(m).weightsDigest(), m);
        }
        assertEquals(whole.schemeResults().path("kendallTau"), resumed.schemeResults().path("kendallTau"));
    }

    @Test
    void anotherSeedSearchesDifferently(@TempDir Path dir) throws Exception {
        // stopped right after the search (the same seed's scores are the resumed test's): they are in the run directory
        StopMidPhase after = new StopMidPhase("candidate-r1", 1);
        assertThrows(StoppedException.class, () -> new Experiment(config(10, scheme(null)), data, dir, after)
                .stoppedBy(after.request).run());
        Map<String, Double> other = saved(dir);
        assertEquals(scores(whole).keySet(), other.keySet());
        assertNotEquals(scores(whole), other, "seed 10: other initial weights and batches, other scores");
    }

    static Map<String, Double> saved(Path run) throws Exception {
        Map<String, Double> out = new HashMap<>();
        RunRecord.JSON.readTree(run.resolve(NasScheme.RESULT_FILE).toFile()).path("scores").fields()
                .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }

    @Test
    void badParametersAreRejectedNamingTheKey(@TempDir Path dir) throws Exception {
        List<String> errors = new ArrayList<>();
        errors.add(assertThrows(IllegalArgumentException.class,
                () -> new NasScheme(List.of(2), List.of(4), null, null, null, null, null, null, null, null)).getMessage());
        errors.add(assertThrows(IllegalArgumentException.class,
                () -> new NasScheme(List.of(0), null, null, null, null, null, null, null, null, null)).getMessage());
        errors.add(assertThrows(IllegalArgumentException.class,
                () -> new NasScheme(null, null, List.of(1, 1), null, null, null, null, null, null, null)).getMessage());
        errors.add(assertThrows(IllegalArgumentException.class,
                () -> new NasScheme(null, null, null, null, null, 0L, null, null, null, null)).getMessage());
        errors.add(assertThrows(IllegalArgumentException.class,
                () -> new NasScheme(null, null, null, null, null, null, 2, null, null, null)).getMessage());
        errors.add(assertThrows(IllegalArgumentException.class, () -> new NasScheme(null, null, null, null, null, null,
                null, null, new org.distill4j.method.NoDistillation(), null)).getMessage());
        List<String> keys = List.of("kernels:", "widths:", "depths:", "budget:", "standalone:", "method:");
        for (int i = 0; i < keys.size(); i++) {
            assertTrue(errors.get(i).startsWith(keys.get(i)), errors.get(i));
        }
        // in YAML, the key's path
        ConfigException yaml = assertThrows(ConfigException.class, () -> Distill.yaml("""
                name: nas
                teacher: {model: {type: cnn, channels: [4, 8], hidden: 16}, train: {epochs: 1}}
                student: {model: {type: cnn, channels: [4, 8], hidden: 8}, train: {epochs: 1}}
                scheme: {name: nas, kernels: [3, 4]}
                """));
        assertTrue(yaml.getMessage().contains("scheme") && yaml.getMessage().contains("kernels"), yaml.getMessage());
        // checked against the teacher before anything trains
        Path tiny = dir.resolve("tiny");
        IllegalArgumentException budget = assertThrows(IllegalArgumentException.class,
                () -> new Experiment(config(9, scheme(3300L)), data, tiny, TrainListener.NONE).run());
        assertTrue(budget.getMessage().startsWith("scheme.budget: "), budget.getMessage());
        Path taps = dir.resolve("taps");
        IllegalArgumentException tap = assertThrows(IllegalArgumentException.class, () -> new Experiment(config(9,
                new NasScheme(null, null, null, List.of("conv2"), null, null, null, null, null, null)), data, taps,
                TrainListener.NONE).run());
        assertTrue(tap.getMessage().startsWith("scheme.taps: ") && tap.getMessage().contains("'conv2'"),
                tap.getMessage());
        assertFalse(Files.exists(tiny.resolve("teacher.model")) || Files.exists(taps.resolve("teacher.model")),
                "nothing trained");
    }
}

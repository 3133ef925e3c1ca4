package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;
import org.junit.jupiter.api.Test;

/** The loop's step policies on tiny cases computed by hand. */
class LoopTest {
    static final double LR = 0.1;

    /** Two samples, one feed: a step of batch 2 (only the step structure matters here). */
    static Feed feed(String name) {
        Dataset data = Dataset.of("two", new float[] {0, 0}, new int[] {0, 1}, new long[] {1}, 2);
        return Feed.shuffled(name, data, 2, 1, org.distill4j.data.Augmentation.NONE, 1, "", false);
    }

    static TrainSpec sgd() {
        return new TrainSpec(1, 2, new OptimizerSpec.Sgd(LR, 0.0, 0.0), new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null));
    }

    static double value(Adapters a, String name) {
        try (NDManager m = NDManager.newBaseManager()) {
            return a.tensor(name, m).getFloat();
        }
    }

    /**
     * One two-player min–max step: f(s, a) = (s·a − 1)². The adversary a ascends on f first (sign
     * −1), then the student s descends on f with the adversary's new value; plain SGD, one step.
     * By hand: a' = a + η·2(s·a − 1)·s, s' = s − η·2(s·a' − 1)·a', and the losses each update
     * reports are f(s, a) and f(s, a'). The adversary's update also leaves a gradient on s (it is
     * in the graph): the student's step must not see it.
     */
    @Test
    void minMaxStepMatchesAHandComputation() throws Exception {
        double s0 = 0.5;
        double a0 = 1.5;
        double a1 = a0 + LR * 2 * (s0 * a0 - 1) * s0;
        double s1 = s0 - LR * 2 * (s0 * a1 - 1) * a1;
        double f0 = Math.pow(s0 * a0 - 1, 2);
        double f1 = Math.pow(s0 * a1 - 1, 2);
        try (NDManager m = NDManager.newBaseManager(); Adapters student = new Adapters(m);
                Adapters adversary = new Adapters(m)) {
            student.tensor("s", new Shape(1), (float) s0);
            adversary.tensor("a", new Shape(1), (float) a0);
            Objective f = step -> {
                NDManager scope = step.batch().input().getManager();
                NDArray s = step.adapters("student").tensor("s", scope);
                NDArray a = step.adapters("adversary").tensor("a", scope);
                return LossValue.of("f", s.mul(a).sub(1f).square().sum());
            };
            Participant ps = Participant.adapters("student", student, sgd());
            Participant pa = Participant.adapters("adversary", adversary, sgd());
            List<Double> losses = new ArrayList<>();
            LoopListener record = new LoopListener() {
                @Override
                public boolean onGradients(LoopState state, UpdateReport r) {
                    losses.add(r.loss());
                    return true;
                }
            };
            StepPolicy minMax = (step, epoch, batch) -> List.of(new Update("adversary", "data", Map.of(), f, -1),
                    new Update("student", "data", Map.of(), f, 1));
            Phase phase = new Phase("min-max", List.of(ps, pa), List.of(feed("data")), minMax, 1, null);
            Map<String, TrainingProgress> end = new Loop(m, List.of(record)).run(phase);

            assertEquals(List.of(f0, f1).size(), losses.size());
            assertEquals(f0, losses.get(0), 1e-6, "the adversary's update sees f(s, a)");
            assertEquals(f1, losses.get(1), 1e-6, "the student's update sees f(s, a')");
            assertEquals(a1, value(adversary, "a"), 1e-6, "a ascended");
            assertEquals(s1, value(student, "s"), 1e-6, "s descended with the new a and its own gradient only");
            assertEquals(f1, end.get("student").history().get(0).trainLoss(), 1e-6);
            assertEquals(f0, end.get("adversary").history().get(0).trainLoss(), 1e-6);
        }
    }

    /** Knowledge is keyed by source name: one update reads two teachers. */
    @Test
    void twoTeachersServeOneUpdate() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Adapters student = new Adapters(m)) {
            student.tensor("w", new Shape(1), 2f);
            Map<String, KnowledgeSource> sources = new LinkedHashMap<>();
            sources.put("left", constant(3f));
            sources.put("right", constant(5f));
            List<Double> losses = new ArrayList<>();
            Objective twoTeachers = step -> {
                NDArray w = step.adapters("student").tensor("w", step.batch().input().getManager());
                NDArray l = step.knowledge().outputs("left").logits().get(0, 0);
                NDArray r = step.knowledge().outputs("right").logits().get(0, 0);
                assertEquals(List.of("left", "right"), List.copyOf(step.knowledge().byTeacher().keySet()));
                assertThrows(IllegalArgumentException.class, () -> step.knowledge().outputs("teacher"));
                return LossValue.of("two", w.sub(l).square().add(w.sub(r).square()).sum());
            };
            Phase phase = new Phase("two", List.of(Participant.adapters("student", student, sgd())),
                    List.of(feed("data")), StepPolicy.every(new Update("student", "data", sources, twoTeachers, 1)), 1,
                    null);
            new Loop(m, List.of(new LoopListener() {
                @Override
                public boolean onGradients(LoopState state, UpdateReport r) {
                    losses.add(r.loss());
                    return true;
                }
            })).run(phase);
            assertEquals((2 - 3) * (2 - 3) + (2 - 5) * (2 - 5), losses.get(0), 1e-6);
            // w' = w − η·(2(w − 3) + 2(w − 5)) = 2 − 0.1·(−2 − 6) = 2.8
            assertEquals(2.8, value(student, "w"), 1e-6);
        }
    }

    static KnowledgeSource constant(float v) {
        return new KnowledgeSource() {
            @Override
            public Knowledge lookup(Batch batch) {
                NDManager scope = batch.input().getManager();
                return new Knowledge(Outputs.ofLogits(scope.full(new Shape(batch.size(), 2), v)));
            }

            @Override
            public TapShapes tapShapes() {
                return new TapShapes("constant", Map.of(Outputs.LOGITS, new Shape(2)));
            }
        };
    }

    @Test
    void aBatchCarriesNamedInputsAndMayHaveNoLabels() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(2, 3));
            NDArray edges = m.ones(new Shape(2, 3));
            Batch b = new Batch(Map.of(Batch.INPUT, x), null, new int[] {4, 7}, null).with("edges", edges);
            assertEquals(2, b.size());
            assertEquals(edges, b.input("edges"));
            assertEquals(x, b.input());
            assertTrue(!b.hasLabels());
            IllegalStateException e = assertThrows(IllegalStateException.class, b::labels);
            assertTrue(e.getMessage().contains("no labels"), e.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> b.input("depth"));
            assertTrue(missing.getMessage().contains("edges"), missing.getMessage());
        }
    }
}

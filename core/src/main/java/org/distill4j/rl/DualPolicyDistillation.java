package org.distill4j.rl;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.train.CheckpointMeta;
import org.distill4j.train.CheckpointSlot;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.Loop;

/**
 * Dual policy distillation (Lai, Zha, Li, Hu, IJCAI 2020): two learners (PPO or DDPG),
 * no teacher, each in its own copy of the environment; every cycle each collects experience and
 * takes its RL steps, then each imitates its peer on its own states where the peer's value
 * estimate says the peer is better ({@link PpoLoss#dpdWeight}; PPO compares V(s), DDPG
 * Q(s, μ(s)), each learner's own estimate) — in turn by default (a from b, then b from a as a is
 * now), or both at once from the peers as they were ({@code together}). With one learner (or
 * {@code distill: false}) the same cycles without the imitation: the baselines. Every phase runs
 * on the core's {@link Loop}; after every cycle the participants (policy and value networks,
 * DDPG's targets), the environments with their random sources, the action samplers, DDPG's
 * replay buffers and the learning curves so far are written to a {@link CheckpointStore}, and a
 * run in the same directory resumes from the last one exactly.
 */
public final class DualPolicyDistillation {
    /** One point of a learner's curve: after {@code cycle}, {@code steps} environment steps of its own. */
    public record Point(int cycle, long steps, double evalReturn, double trainReturn) {}

    /** Each learner's curve, by name ("a", "b"); the last point holds its final return. */
    public record Result(DpdSpec spec, Map<String, List<Point>> curves, boolean resumed) {
        /** The mean over learners of their final deterministic return. */
        public double finalReturn() {
            return curves.values().stream().mapToDouble(c -> c.get(c.size() - 1).evalReturn()).average().orElseThrow();
        }
    }

    private static final String HISTORY = "history";

    private DualPolicyDistillation() {}

    /** Runs (or resumes) {@code spec} in {@code dir}. */
    public static Result run(DpdSpec spec, Path dir) throws IOException {
        return run(spec, dir, Integer.MAX_VALUE);
    }

    /**
     * As {@link #run(DpdSpec, Path)}, stopping after {@code stopAfter} cycles of this sitting
     * (a stand-in for a process killed there: the state on disk is what it would leave).
     */
    public static Result run(DpdSpec spec, Path dir, int stopAfter) throws IOException {
        CheckpointStore store = new CheckpointStore(dir, digest(spec), 2);
        CheckpointStore.Loaded last = store.latest();
        if (last != null && !last.configDigest().equals(digest(spec))) {
            throw new IOException(dir + " holds a run of another configuration: use a new directory");
        }
        Map<String, List<Point>> curves = new LinkedHashMap<>();
        List<String> names = spec.learners() == 2 ? List.of("a", "b") : List.of("a");
        try (NDManager root = NDManager.newBaseManager()) {
            List<Learner> learners = new ArrayList<>();
            try {
                for (String n : names) {
                    learners.add(spec.algorithm() == DpdSpec.Algorithm.DDPG ? new DdpgLearner(n, spec, root)
                            : new PpoLearner(n, spec, root));
                    curves.put(n, new ArrayList<>());
                }
                int start = 0;
                if (last != null) {
                    store.protect(last.file());
                    for (Learner l : learners) {
                        l.restore(last);
                    }
                    Map<String, List<Point>> saved = CheckpointStore.JSON.readValue(last.slot(HISTORY).adapters(),
                            new TypeReference<Map<String, List<Point>>>() {});
                    saved.forEach((k, v) -> curves.get(k).addAll(v));
                    start = curves.get("a").size();
                }
                Loop loop = new Loop(root, List.of());
                int sat = 0;
                for (int c = start; c < spec.cycles() && sat < stopAfter; c++, sat++) {
                    for (Learner l : learners) {
                        l.learn(loop, root, c);
                    }
                    if (spec.dual()) {
                        // together: both phases are made (the peer's actions and values read) before either
                        // runs; in turn, b's is made after a's has run. Together made PPO learners swap
                        // policies every cycle on the pendulum (bench/results/dpd.md).
                        List<org.distill4j.train.Phase> made = new ArrayList<>();
                        for (int i = 0; i < 2; i++) {
                            org.distill4j.train.Phase p = learners.get(i).distillPhase(learners.get(1 - i), root, c);
                            if (p != null && spec.together()) {
                                made.add(p);
                            } else if (p != null) { // null: too little experience yet
                                loop.run(p);
                            }
                        }
                        for (org.distill4j.train.Phase p : made) {
                            loop.run(p);
                        }
                    }
                    long steps = (long) (c + 1) * spec.perCycle();
                    for (Learner l : learners) {
                        List<Double> train = l.finishedReturns();
                        double mean = train.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
                        curves.get(l.name()).add(new Point(c + 1, steps, l.evaluate(root, spec.evalEpisodes()), mean));
                    }
                    save(store, learners, curves);
                }
            } finally {
                for (Learner l : learners) {
                    l.close();
                }
            }
        }
        return new Result(spec, curves, last != null);
    }

    private static void save(CheckpointStore store, List<Learner> learners, Map<String, List<Point>> curves)
            throws IOException {
        List<CheckpointSlot> slots = new ArrayList<>();
        for (Learner l : learners) {
            slots.addAll(l.slots());
        }
        slots.add(new CheckpointSlot(HISTORY, new byte[0], new byte[0], CheckpointStore.JSON.writeValueAsBytes(curves)));
        store.save(new CheckpointMeta("dpd", Double.NaN, Map.of(), List.of()), slots);
    }

    /** The digest a checkpoint carries: a run resumes only with the configuration that wrote it. */
    static String digest(DpdSpec spec) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(spec.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

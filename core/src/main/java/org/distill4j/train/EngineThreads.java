package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's thread counts a sitting trained with, and how they were chosen. Every sitting of
 * a run records them (the record's {@code sittings}, the checkpoints' too), and a resumed run
 * trains with the counts it started with: PyTorch's parallel reductions split their work by the
 * intra-op thread count, so another count gives other last bits and no exact resume.
 *
 * <p>The launcher ({@code distill}) picks the intra-op count by {@linkplain #measure measurement}
 * unless the user sets one ({@code --threads N}, {@code DISTILL4J_THREADS}, or DJL's own
 * {@code -Dai.djl.pytorch.num_threads}). It also chooses {@code OMP_WAIT_POLICY} by measuring how
 * busy the machine is at start (PASSIVE when others use it: spinning while waiting then made a small
 * run 4.6× slower; OpenMP's spinning default when idle, where it was up to 1.6× faster;
 * bench/results/perf-fixes.md), recorded here with its reason. A program using the Java API keeps
 * whatever counts it set: nothing here runs unless it is called.
 *
 * @param intraOp PyTorch's intra-op threads
 * @param interOp PyTorch's inter-op threads
 * @param chosenBy {@code measurement}, {@code user}, {@code resumed} (as the run's earlier
 *     sitting), or {@code engine default}
 * @param probeMs the measured milliseconds of the probe per thread count (empty unless measured)
 * @param ompWaitPolicy the process's {@code OMP_WAIT_POLICY} (null: OpenMP's default)
 */
public record EngineThreads(int intraOp, int interOp, String chosenBy, Map<String, Double> probeMs,
        String ompWaitPolicy) {
    public EngineThreads {
        probeMs = probeMs == null ? Map.of() : new LinkedHashMap<>(probeMs);
        chosenBy = chosenBy == null ? "engine default" : chosenBy;
    }

    /** How the counts in effect were chosen; null until the launcher chose them. */
    private static volatile EngineThreads chosen;

    /** The counts in effect now, and how they came about as far as this process knows. */
    public static EngineThreads inEffect() {
        engine();
        int intra = JniUtils.getNumThreads();
        int inter = JniUtils.getNumInteropThreads();
        EngineThreads c = chosen;
        String policy = ompWaitPolicyNow();
        if (c != null && c.intraOp == intra) {
            return new EngineThreads(intra, inter, c.chosenBy, c.probeMs, policy);
        }
        return new EngineThreads(intra, inter, "engine default", Map.of(), policy);
    }

    /** Forgets how the counts were chosen (for tests that set them and put them back). */
    public static void forget() {
        chosen = null;
    }

    /** Whether the launcher manages the counts (then a resume may set them back to the run's). */
    public static boolean managed() {
        return chosen != null;
    }

    /**
     * Takes the counts in effect as the launcher's without measuring them: for {@code resume} and
     * {@code reproduce}, which then train with the run's recorded counts ({@link #resumeWith}).
     */
    public static EngineThreads manage() {
        EngineThreads t = inEffect();
        chosen = t;
        return t;
    }

    /** Sets the intra-op count as the user asked. */
    public static EngineThreads user(int intraOp) {
        if (intraOp < 1) {
            throw new IllegalArgumentException("threads: must be ≥ 1 (got " + intraOp + ")");
        }
        return apply(intraOp, "user", Map.of());
    }

    /**
     * The count a resumed run continues with: the one its last sitting recorded, when the launcher
     * manages the counts and the user did not choose one; null when nothing changes.
     */
    public static EngineThreads resumeWith(EngineThreads before) {
        EngineThreads c = chosen;
        engine();
        if (before == null || c == null || "user".equals(c.chosenBy) || before.intraOp == JniUtils.getNumThreads()) {
            return null;
        }
        return apply(before.intraOp, "resumed", Map.of());
    }

    /**
     * The process's {@code OMP_WAIT_POLICY} and, when the launcher chose it, why (it measures how
     * busy the machine is at start); null when neither is set.
     */
    static String ompWaitPolicyNow() {
        String policy = System.getenv("OMP_WAIT_POLICY");
        String reason = System.getenv("DISTILL4J_OMP_REASON");
        if (reason == null || reason.isBlank()) {
            return policy;
        }
        return (policy == null ? "default" : policy) + " (" + reason + ")";
    }

    /** Loads the engine's native library (JniUtils needs it) if nothing has yet. */
    private static void engine() {
        ai.djl.engine.Engine.getInstance();
    }

    private static EngineThreads apply(int intraOp, String how, Map<String, Double> probe) {
        engine();
        JniUtils.setNumThreads(intraOp);
        EngineThreads t = new EngineThreads(intraOp, JniUtils.getNumInteropThreads(), how, probe,
                ompWaitPolicyNow());
        chosen = t;
        return t;
    }

    /**
     * Times a probe shaped like a training step (a batch of 128 through a 1200-wide layer forward
     * and backward, and an elementwise update) at 1 and at {@code max} intra-op threads, alternating,
     * and keeps the faster. On a machine the launcher found busy at start (or when nobody measured it)
     * the larger count must save at least 10%, since there a second thread mostly waits; on a machine
     * it found idle ({@code DISTILL4J_BUSY_PERCENT} below {@value #BUSY_PERCENT}) the larger count is
     * kept unless it is slower: the probe is small, and on idle cores the real work gains more than it
     * does (a quickstart --fast whose probe gave 1 → 16.4 ms, 2 → 15.1 ms chose 1 thread under the 10%
     * rule and trained its teacher at 15–22 s an epoch, where 2 threads took 10–11 s). About half a
     * second.
     */
    public static EngineThreads measure(int max) {
        if (max <= 1) {
            return apply(1, "measurement", Map.of());
        }
        engine();
        int[] counts = {1, max};
        List<List<Double>> times = new ArrayList<>();
        for (int ignored : counts) {
            times.add(new ArrayList<>());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomUniform(-1, 1, new Shape(128, 1200));
            NDArray w = m.randomUniform(-1, 1, new Shape(1200, 1200));
            for (int round = 0; round < 5; round++) {
                for (int k = 0; k < counts.length; k++) {
                    int c = counts[(k + round) % counts.length];
                    JniUtils.setNumThreads(c);
                    long t0 = System.nanoTime();
                    for (int r = 0; r < 3; r++) {
                        try (NDManager s = m.newSubManager()) {
                            NDArray y = x.matMul(w);
                            y.attach(s);
                            NDArray gw = x.transpose().matMul(y);
                            gw.attach(s);
                            NDArray gx = y.matMul(w.transpose());
                            gx.attach(s);
                            NDArray u = gw.square();
                            u.attach(s);
                            u.addi(gw).sqrt().attach(s);
                        }
                    }
                    if (round > 0) { // the first round warms both up
                        times.get(c == 1 ? 0 : 1).add((System.nanoTime() - t0) / 1e6 / 3);
                    }
                }
            }
        }
        Map<String, Double> probe = new LinkedHashMap<>();
        double[] med = new double[counts.length];
        for (int k = 0; k < counts.length; k++) {
            double[] t = times.get(k).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            med[k] = t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
            probe.put(String.valueOf(counts[k]), Math.round(med[k] * 100) / 100.0);
        }
        return apply(pick(med[0], med[1], max, launcherFoundIdle()), "measurement", probe);
    }

    /** The launcher's {@code DISTILL4J_BUSY_PERCENT} at or above which the machine counts as busy. */
    public static final int BUSY_PERCENT = 30;

    /**
     * The count {@link #measure} keeps: {@code max} if its probe took at most {@code oneMs} (idle
     * machine) or at most 90% of it (busy, or not measured), else 1.
     */
    static int pick(double oneMs, double maxMs, int max, boolean idle) {
        return maxMs <= (idle ? 1.0 : 0.9) * oneMs ? max : 1;
    }

    /** Whether the launcher measured the machine idle at start (false when it did not measure). */
    static boolean launcherFoundIdle() {
        String pct = System.getenv("DISTILL4J_BUSY_PERCENT");
        try {
            return pct != null && Integer.parseInt(pct.strip()) < BUSY_PERCENT;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** One line for the console: {@code 2 intra-op threads (measured: 1 → 9.1 ms, 2 → 5.2 ms)}. */
    public String describe() {
        String how = switch (chosenBy) {
            case "measurement" -> "measured: " + String.join(", ", probeMs.entrySet().stream()
                    .map(e -> e.getKey() + " → " + e.getValue() + " ms").toList());
            case "resumed" -> "as the run's earlier sitting, for an exact resume";
            default -> chosenBy;
        };
        return intraOp + " intra-op thread" + (intraOp == 1 ? "" : "s") + " (" + how + ")"
                + (ompWaitPolicy == null ? "" : ", OMP_WAIT_POLICY=" + ompWaitPolicy);
    }
}

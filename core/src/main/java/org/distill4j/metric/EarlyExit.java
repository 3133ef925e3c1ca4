package org.distill4j.metric;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.model.Network;

/**
 * Early-exit inference for multi-exit networks (Zhang et al. 2019, "Be Your Own Teacher"):
 * each sample is answered by the first exit whose top softmax probability reaches a confidence
 * threshold, or by the deepest exit when none does. Threshold 0 always answers from the first
 * exit; a threshold above 1 always from the last. Reports accuracy, mean exit depth (1 = the
 * first exit) and the latency of inference that really stops at the answering exit.
 */
public final class EarlyExit {
    private static final int EVAL_BATCH = 500;

    private EarlyExit() {}

    /**
     * What early exit at one threshold gives on a dataset.
     *
     * @param meanExitDepth mean 1-based index of the answering exit
     * @param exitCounts how many samples each exit answered, shallowest first
     * @param msPerSample mean time per sample of batch-1 inference that stops at the answering exit
     *     (NaN when not measured)
     */
    public record Result(double threshold, double accuracy, double meanExitDepth, int[] exitCounts,
            double msPerSample) {}

    /** Every exit's logits over a dataset in inference mode (one forward pass per batch). */
    public static List<Predictions> perExit(Network net, List<String> exits, Dataset data, NDManager root) {
        int classes = net.numClasses();
        List<float[]> out = new ArrayList<>();
        for (int k = 0; k < exits.size(); k++) {
            out.add(new float[data.size() * classes]);
        }
        BatchLoader loader = new BatchLoader(data, EVAL_BATCH, false, 0, false);
        int offset = 0;
        for (int[] positions : loader.plan(0)) {
            try (NDManager scope = root.newSubManager()) {
                Batch batch = loader.load(scope, positions);
                var taps = net.forward(batch.input(), false);
                int length = 0;
                for (int k = 0; k < exits.size(); k++) {
                    float[] part = taps.get(exits.get(k)).toFloatArray();
                    System.arraycopy(part, 0, out.get(k), offset, part.length);
                    length = part.length;
                }
                offset += length;
            }
        }
        return out.stream().map(l -> new Predictions(l, classes)).toList();
    }

    /** For each sample, the 0-based exit that answers: the first whose top probability ≥ threshold, else the last. */
    public static int[] exitTaken(List<Predictions> exits, double threshold) {
        int n = exits.get(0).size();
        int[] taken = new int[n];
        for (int i = 0; i < n; i++) {
            int k = 0;
            while (k < exits.size() - 1 && maxProbability(exits.get(k).probabilities(i)) < threshold) {
                k++;
            }
            taken[i] = k;
        }
        return taken;
    }

    /** Accuracy, mean depth and exit counts at {@code threshold} from precomputed per-exit logits (no latency). */
    public static Result of(List<Predictions> exits, int[] labels, double threshold) {
        int[] taken = exitTaken(exits, threshold);
        int[] counts = new int[exits.size()];
        long correct = 0;
        double depth = 0;
        for (int i = 0; i < taken.length; i++) {
            counts[taken[i]]++;
            depth += taken[i] + 1;
            correct += exits.get(taken[i]).argMax(i) == labels[i] ? 1 : 0;
        }
        return new Result(threshold, (double) correct / taken.length, depth / taken.length, counts, Double.NaN);
    }

    /**
     * {@link #of} plus the latency of real early-exit inference, one sample at a time over the
     * first {@code latencySamples} samples of {@code data} (after a short warm-up): the forward
     * pass stops at the first exit that is confident enough.
     */
    public static Result evaluate(Network net, List<String> exits, List<Predictions> perExit, Dataset data,
            double threshold, int latencySamples, NDManager root) {
        Result r = of(perExit, data.labels(), threshold);
        int n = Math.min(latencySamples, data.size());
        if (n == 0) {
            return r;
        }
        BatchLoader loader = new BatchLoader(data, 1, false, 0, false);
        int[][] plan = loader.plan(0);
        int warmup = Math.min(n, 5);
        long nanos = 0;
        for (int i = -warmup; i < n; i++) {
            try (NDManager scope = root.newSubManager()) {
                Batch one = loader.load(scope, plan[i < 0 ? i + warmup : i]);
                long t0 = System.nanoTime();
                answer(net, exits, one.input(), threshold);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    nanos += t1 - t0;
                }
            }
        }
        return new Result(r.threshold(), r.accuracy(), r.meanExitDepth(), r.exitCounts(), nanos / 1e6 / n);
    }

    /**
     * Runs the network on one sample until an exit is confident enough and returns that exit's
     * predicted class (as a deployed early-exit network would).
     */
    public static int answer(Network net, List<String> exits, NDArray oneSample, double threshold) {
        String last = exits.get(exits.size() - 1);
        NDArray[] answer = new NDArray[1];
        net.forwardUntil(oneSample, (tap, value) -> {
            if (!exits.contains(tap)) {
                return false;
            }
            NDArray p = value.softmax(1);
            if (tap.equals(last) || p.max().getFloat() >= threshold) {
                answer[0] = value;
                return true;
            }
            return false;
        });
        return (int) answer[0].argMax(1).getLong(0);
    }

    /** Batch-1 and batch-256 latency of the network up to one exit (the median of timed passes). */
    public static double millisPerSample(Network net, String exit, NDManager root, int batchSize, int repeats) {
        return Latency.millisPerSample(net, root, batchSize, repeats,
                x -> net.forwardUntil(x, (tap, v) -> tap.equals(exit)).get(exit));
    }

    private static double maxProbability(double[] p) {
        double best = 0;
        for (double v : p) {
            best = Math.max(best, v);
        }
        return best;
    }
}

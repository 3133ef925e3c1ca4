package org.distill4j.metric;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.model.Network;
import org.distill4j.train.Optimizer;
import org.distill4j.train.StepRunner;
import org.distill4j.train.TrainSpec;

/**
 * Speed of training steps as the training loop runs them (the shared {@link StepRunner}), the
 * machine's practical peak (a large matrix multiply in the same process) and the process's
 * resident memory, for {@code distill bench perf}.
 */
public final class Throughput {
    private Throughput() {}

    /**
     * Median samples per second over {@code repeats} timed blocks of {@code steps} training
     * steps each, after {@code warmup} untimed steps.
     */
    public static double samplesPerSecond(Network student, Optimizer optimizer, DistillationLoss loss,
            KnowledgeSource teacher, Dataset data, TrainSpec spec, NDManager root, int warmup, int steps, int repeats) {
        BatchLoader loader = new BatchLoader(data, spec.batchSize(), true, 1, true);
        StepRunner runner = new StepRunner(root);
        int[][] plan = loader.plan(0);
        int b = 0;
        for (int i = 0; i < warmup; i++, b++) {
            loader.prefetch(plan[(b + 1) % plan.length], spec.augment(), b + 1);
            runner.step("bench", student, optimizer, loss, teacher, loader, spec, plan[b % plan.length], 0, b, 1e-3, b);
        }
        double[] rates = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            long samples = 0;
            for (int i = 0; i < steps; i++, b++) {
                loader.prefetch(plan[(b + 1) % plan.length], spec.augment(), b + 1); // as Offline does
                samples += runner.step("bench", student, optimizer, loss, teacher, loader, spec, plan[b % plan.length], 0,
                        b, 1e-3, b).samples();
            }
            rates[r] = samples / ((System.nanoTime() - t0) / 1e9);
        }
        return median(rates);
    }

    /** GFLOP/s of an n×n by n×n float32 matrix multiply: median of {@code repeats} after warm-up. */
    public static double matmulGflops(NDManager root, int n, int repeats) {
        try (NDManager m = root.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double[] rates = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // force completion
                }
                rates[r] = 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9) / 1e9;
            }
            return median(rates);
        }
    }

    /** Resident set size now and at its peak, in MiB, from /proc/self/status (Linux). */
    public static double[] residentMiB() {
        try {
            double rss = Double.NaN;
            double peak = Double.NaN;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line) / 1024;
                } else if (line.startsWith("VmHWM:")) {
                    peak = kib(line) / 1024;
                }
            }
            return new double[] {rss, peak};
        } catch (IOException e) {
            return new double[] {Double.NaN, Double.NaN};
        }
    }

    private static double kib(String line) {
        return Double.parseDouble(line.replaceAll("[^0-9]", ""));
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

package org.distill4j.metric;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.model.Network;
import org.distill4j.train.Feed;
import org.distill4j.train.Loop;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.Update;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import java.util.List;
import org.distill4j.train.TrainSpec;

/**
 * Speed of training steps as the training loop runs them (the one {@link Loop}), the
 * machine's practical peak (a large matrix multiply in the same process) and the process's
 * resident memory, for {@code distill bench perf}.
 */
public final class Throughput {
    private Throughput() {}

    /**
     * Median samples per second of the training loop itself ({@link Loop}, as every scheme runs
     * it): {@code repeats} timed epochs of {@code steps} steps each, after one untimed epoch of
     * {@code warmup} steps (none if 0), without validation or checkpoints. Each epoch is one
     * {@link Loop#run} of a fresh participant over the same student (a fresh optimizer).
     */
    public static double samplesPerSecond(Network student, DistillationLoss loss, KnowledgeSource teacher,
            Dataset data, TrainSpec spec, NDManager root, int warmup, int steps, int repeats) throws IOException {
        if (warmup > 0) {
            epochRate(student, loss, teacher, data, spec, root, warmup);
        }
        double[] rates = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            rates[r] = epochRate(student, loss, teacher, data, spec, root, steps);
        }
        return median(rates);
    }

    private static double epochRate(Network student, DistillationLoss loss, KnowledgeSource teacher, Dataset data,
            TrainSpec spec, NDManager root, int steps) throws IOException {
        Dataset part = data.head(Math.min(data.size(), steps * spec.batchSize()));
        try (Adapters adapters = new Adapters(student.manager())) {
            loss.bind(new Binding(student.tapShapes("student"), teacher == null ? null : teacher.tapShapes(),
                    data.size(), data.idBound(), adapters));
            Participant p = Participant.learner("bench", student, adapters, spec.withEpochs(1));
            Feed feed = Feed.shuffled("bench", part, spec.batchSize(), 1, spec.augment(), 1, "", true);
            Phase phase = new Phase("bench", List.of(p), List.of(feed),
                    StepPolicy.every(Update.minimise("bench", "bench", loss, loss.needsTeacher() ? teacher : null)), 1,
                    null);
            long[] samples = new long[1];
            LoopListener count = new LoopListener() {
                @Override
                public void afterStep(LoopState state, long step, double meanLoss) {
                    samples[0] += spec.batchSize();
                }
            };
            long t0 = System.nanoTime();
            new Loop(root, List.of(count)).run(phase);
            return samples[0] / ((System.nanoTime() - t0) / 1e9);
        }
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

package org.distill4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigException;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.io.AtomicFile;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Throughput;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Optimizer;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill bench perf}: training speed close to the hardware. For the quickstart's
 * teacher and student and an MLP 784-1200-1200-10, at batch 128: samples/s of (a) the model
 * alone, (b) KD with the live teacher, (c) KD from the knowledge store; achieved GFLOP/s of the
 * training step (analytic FLOPs) against a large matrix multiply timed in the same process;
 * peak resident memory; resident memory growth from epoch 1 to epoch 5. Medians of repeats.
 */
@Command(name = "perf", mixinStandardHelpOptions = true, description = "Training throughput, GFLOP/s against a matmul, memory.")
final class BenchPerfCommand implements Callable<Integer> {
    static final ModelSpec TEACHER = new CnnSpec(List.of(32, 64, 128), 256, true, 0.3);
    static final ModelSpec STUDENT = new CnnSpec(List.of(8, 16), 64, true, null);
    static final ModelSpec MLP = new MlpSpec(List.of(1200, 1200), null);
    static final int BATCH = 128;

    @Option(names = "--repeats", defaultValue = "5", description = "timed blocks per measurement (median) (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--steps", defaultValue = "20", description = "training steps per timed block (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--memory-epochs-samples", defaultValue = "12800",
            description = "samples per epoch in the 5-epoch memory-growth run (default: ${DEFAULT-VALUE})")
    int memorySamples;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR")
    Path outDir;

    @Option(names = "--data", paramLabel = "DIR")
    Path data;

    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch intra-op threads (default: the engine's choice, one per core)")
    Integer threads;

    @ParentCommand
    BenchCommand bench;

    /**
     * @param timeVsAlone median over rounds of this mode's step time divided by the same round's
     *     step time of mode (a): a paired ratio, robust to the machine's speed drifting
     */
    record Row(String model, String mode, double samplesPerSecond, double gflops, double ofPeak, double timeVsAlone) {}

    /** One way of training a network: its loss, where teacher knowledge comes from, FLOPs per sample. */
    record Mode(String name, DistillationLoss loss, KnowledgeSource source, long flopsPerSample) {}

    @Override
    public Integer call() throws Exception {
        if (repeats < 1 || steps < 1) {
            throw new ConfigException("--repeats and --steps must be ≥ 1");
        }
        PrintStream err = bench.main.err;
        PrintStream out = bench.main.out;
        FashionMnist.Splits splits = FashionMnist.load(DataLocator.locate(data, err));
        Dataset train = splits.train();
        long[] shape = train.sampleShape();
        TrainSpec spec = new TrainSpec(1, BATCH, new OptimizerSpec.Sgd(0.01, 0.9, 5e-4), null);
        List<Row> rows = new ArrayList<>();
        Map<String, Object> json = new LinkedHashMap<>();
        Engine.getInstance(); // loads the native library the thread calls below go into
        if (threads != null) {
            if (threads < 1) {
                throw new ConfigException("--threads must be ≥ 1");
            }
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
        json.put("intraOpThreads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        json.put("interOpThreads", ai.djl.pytorch.jni.JniUtils.getNumInteropThreads());
        try (NDManager root = NDManager.newBaseManager()) {
            double peak = Throughput.matmulGflops(root, 2048, repeats);
            err.printf(Locale.ROOT, "matrix multiply 2048×2048: %.1f GFLOP/s (median of %d)%n", peak, repeats);
            json.put("matmulGflops", peak);
            Seeds.apply(1);
            try (Network teacher = Network.create(TEACHER, shape, 10, root)) {
                rows.addAll(interleaved("teacher " + TEACHER.describe(), teacher, List.of(
                        new Mode("a: alone", new NoDistillation().objective(), null, 3 * TEACHER.forwardFlops(shape, 10))),
                        train, spec, root));
                teacher.freeze();
                Path storeFile = Files.createTempDirectory("distill4j-perf").resolve("teacher.safetensors");
                long t0 = System.nanoTime();
                KnowledgeStore store = KnowledgeStore.openOrBuild(storeFile, teacher, train, List.of("logits"), "perf",
                        root, err::println);
                json.put("storeBuildSeconds", (System.nanoTime() - t0) / 1e9);
                for (ModelSpec s : List.of(STUDENT, MLP)) {
                    try (Network student = Network.create(s, shape, 10, root)) {
                        long f = 3 * s.forwardFlops(shape, 10);
                        rows.addAll(interleaved("student " + s.describe(), student, List.of(
                                new Mode("a: alone", new NoDistillation().objective(), null, f),
                                new Mode("b: KD, live teacher", new HintonKd(4.0, 0.9).objective(), new LiveTeacher(teacher),
                                        f + TEACHER.forwardFlops(shape, 10)),
                                new Mode("c: KD, store", new HintonKd(4.0, 0.9).objective(), store, f)), train, spec, root));
                    }
                }
                Files.deleteIfExists(storeFile);
                json.put("memory", memoryGrowth(store, train, spec, root, err));
            }
        }
        json.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("batch", BATCH);
        json.put("repeats", repeats);
        json.put("stepsPerRepeat", steps);
        json.put("rows", rows);
        String md = markdown(rows, json);
        AtomicFile.createDirectories(outDir);
        AtomicFile.writeString(outDir.resolve("perf.md"), md);
        AtomicFile.write(outDir.resolve("perf.json"), o -> RunRecord.JSON.writeValue(o, json));
        out.println(md);
        out.println("written " + outDir.resolve("perf.md") + " and " + outDir.resolve("perf.json"));
        return 0;
    }

    /**
     * Times the modes block by block in rounds (matmul, a, b, c, matmul, a, b, c …), so drift in
     * the machine's speed affects all alike. Per mode: the median samples/s, and the median over
     * rounds of its GFLOP/s divided by the same round's matmul GFLOP/s.
     */
    private List<Row> interleaved(String name, Network net, List<Mode> modes, Dataset train, TrainSpec spec,
            NDManager root) throws java.io.IOException {
        int n = modes.size();
        double[][] rates = new double[n][repeats];
        double[][] ratios = new double[n][repeats];
        try (Optimizer opt = spec.optimizer().create(net.trainableParameters(), net.manager())) {
            for (Mode m : modes) { // warm-up
                Throughput.samplesPerSecond(net, m.loss(), m.source(), train, spec, root, 0, steps, 1);
            }
            for (int r = 0; r < repeats; r++) {
                double matmul = Throughput.matmulGflops(root, 2048, 1);
                for (int i = 0; i < n; i++) {
                    Mode m = modes.get(i);
                    rates[i][r] = Throughput.samplesPerSecond(net, m.loss(), m.source(), train, spec, root, 0, steps, 1);
                    ratios[i][r] = rates[i][r] * m.flopsPerSample() / 1e9 / matmul;
                }
            }
        }
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double sps = Throughput.median(rates[i]);
            double gflops = sps * modes.get(i).flopsPerSample() / 1e9;
            double ofPeak = Throughput.median(ratios[i]);
            double[] paired = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                paired[r] = rates[0][r] / rates[i][r];
            }
            double timeVsAlone = Throughput.median(paired);
            bench.main.err.printf(Locale.ROOT, "%-32s %-22s %9.0f samples/s %7.1f GFLOP/s %4.0f%% of matmul %5.3f× (a)'s time%n",
                    name, modes.get(i).name(), sps, gflops, 100 * ofPeak, timeVsAlone);
            out.add(new Row(name, modes.get(i).name(), sps, gflops, ofPeak, timeVsAlone));
        }
        return out;
    }

    /** Five epochs of KD from the store on a subset: resident memory after each. */
    private Map<String, Object> memoryGrowth(KnowledgeStore store, Dataset train, TrainSpec spec,
            NDManager root, PrintStream err) throws java.io.IOException {
        Dataset subset = train.head(memorySamples);
        int perEpoch = memorySamples / BATCH;
        List<Double> rss = new ArrayList<>();
        try (Network student = Network.create(STUDENT, train.sampleShape(), 10, root);
                Optimizer opt = spec.optimizer().create(student.trainableParameters(), student.manager())) {
            for (int epoch = 0; epoch < 5; epoch++) {
                Throughput.samplesPerSecond(student, new HintonKd(4.0, 0.9).objective(), store, subset, spec, root, 0,
                        perEpoch, 1);
                System.gc();
                rss.add(Throughput.residentMiB()[0]);
            }
        }
        double growth = (rss.get(4) - rss.get(0)) / rss.get(0);
        err.printf(Locale.ROOT, "resident memory after epochs 1..5 (MiB): %s; growth %.2f%%%n", rss, 100 * growth);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("residentMiBAfterEpoch", rss);
        m.put("growthEpoch1To5", growth);
        m.put("peakResidentMiB", Throughput.residentMiB()[1]);
        return m;
    }

    @SuppressWarnings("unchecked")
    static String markdown(List<Row> rows, Map<String, Object> json) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s, %s cores, %s intra-op / %s inter-op threads, batch %s; medians of %s "
                + "rounds, each timing a block of %s steps per mode in turn (matmul, a, b, c). "
                + "Matrix multiply 2048×2048 in the same process: **%.1f GFLOP/s**.%n%n", json.get("engine"),
                json.get("cores"), json.get("intraOpThreads"), json.get("interOpThreads"), json.get("batch"),
                json.get("repeats"), json.get("stepsPerRepeat"), (Double) json.get("matmulGflops")));
        b.append("| model | mode | samples/s | GFLOP/s | % of matmul | time ÷ (a)'s |\n|---|---|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.1f | %.0f%% | %.3f |%n", r.model(), r.mode(),
                    r.samplesPerSecond(), r.gflops(), 100 * r.ofPeak(), r.timeVsAlone()));
        }
        b.append("\nTargets (issue #4): ");
        for (Row r : rows) {
            if (r.mode().startsWith("c:")) {
                b.append(String.format(Locale.ROOT, "%s (c) ≤ 1.05 × (a): %.3f %s; ", r.model(), r.timeVsAlone(),
                        r.timeVsAlone() <= 1.05 ? "✓" : "✗"));
            }
        }
        for (Row r : rows) {
            if (r.mode().startsWith("a:") && (r.model().contains("mlp") || r.model().startsWith("teacher"))) {
                double target = r.model().contains("mlp") ? 0.60 : 0.40;
                b.append(String.format(Locale.ROOT, "%s step ≥ %.0f%% of matmul: %.0f%% %s; ", r.model(), 100 * target,
                        100 * r.ofPeak(), r.ofPeak() >= target ? "✓" : "✗"));
            }
        }
        b.append("\n");
        Map<String, Object> mem = (Map<String, Object>) json.get("memory");
        b.append(String.format(Locale.ROOT, "%nStore built once in %.1f s. Resident memory after KD epochs 1–5 (MiB): %s; "
                + "growth %.2f%% (target ≤ 3%%); peak resident %.0f MiB.%n", (Double) json.get("storeBuildSeconds"),
                mem.get("residentMiBAfterEpoch"), 100 * (Double) mem.get("growthEpoch1To5"),
                (Double) mem.get("peakResidentMiB")));
        return b.toString();
    }
}

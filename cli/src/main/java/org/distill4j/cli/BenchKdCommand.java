package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;
import org.distill4j.io.AtomicFile;
import org.distill4j.report.ModelMetrics;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code distill bench kd}: the quickstart (or a given config) over several seeds on the full
 * test set; writes a Markdown table and JSON of mean ± sample std per model.
 */
@Command(name = "kd", mixinStandardHelpOptions = true,
        description = "Teacher, scratch student and KD student over several seeds: mean ± std table.")
final class BenchKdCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "config (default: the quickstart's)")
    Path config;

    @Option(names = "--seeds", defaultValue = "3", description = "number of seeds, 1…N (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR", description = "where kd.md and kd.json go")
    Path outDir;

    @Mixin
    RunOptions options;

    @picocli.CommandLine.ParentCommand
    BenchCommand bench;

    @Override
    public Integer call() throws Exception {
        if (seeds < 1) {
            throw new ConfigException("--seeds: must be ≥ 1 (got " + seeds + ")");
        }
        java.io.PrintStream out = bench.main.out;
        java.io.PrintStream err = bench.main.err;
        RunConfig base = config == null ? QuickstartCommand.config(false) : ConfigLoader.load(config);
        AtomicFile.createDirectories(outDir); // a bad --out fails now, not after the runs
        options.setUpThreads(err);
        RunData data = DataLoader.load(base, options.data, err);
        List<RunRecord> records = new ArrayList<>();
        for (int s = 1; s <= seeds; s++) {
            RunConfig cfg = base.withSeed(s);
            Path dir = options.newRunDir(base.name() + "-seed" + s);
            RunDirectory.freeze(dir, cfg, config == null ? "builtin:quickstart" : config.toAbsolutePath().toString());
            err.println("seed " + s + "/" + seeds + " → " + dir);
            RunRecord r;
            try (org.distill4j.io.RunLock lock = TrainCommand.locked(dir, bench.main);
                    ProgressListener progress = new ProgressListener(err)) {
                r = new Experiment(cfg, data, dir, progress).run();
            }
            RunPrinter.print(r, dir, out);
            records.add(r);
        }
        String md = markdown(base, records);
        AtomicFile.writeString(outDir.resolve("kd.md"), md);
        AtomicFile.write(outDir.resolve("kd.json"), o -> RunRecord.JSON.writeValue(o, summary(records)));
        out.println(md);
        out.println("written " + outDir.resolve("kd.md") + " and " + outDir.resolve("kd.json"));
        return 0;
    }

    private static final Map<String, ToDoubleFunction<ModelMetrics>> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("test accuracy %", m -> 100 * m.testAccuracy());
        COLUMNS.put("agreement test %", m -> m.agreementTest() == null ? Double.NaN : 100 * m.agreementTest());
        COLUMNS.put("agreement train %", m -> m.agreementTrain() == null ? Double.NaN : 100 * m.agreementTrain());
        COLUMNS.put("KL(t‖s) test", m -> m.klTest() == null ? Double.NaN : m.klTest());
        COLUMNS.put("ECE", ModelMetrics::expectedCalibrationError);
    }

    static Map<String, Object> summary(List<RunRecord> records) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("seeds", records.stream().map(RunRecord::seed).toList());
        out.put("runs", records.stream().map(RunRecord::runId).toList());
        Map<String, Object> models = new LinkedHashMap<>();
        for (ModelResult m : records.get(0).models()) {
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("architecture", m.architecture());
            cols.put("parameters", m.parameters());
            for (var col : COLUMNS.entrySet()) {
                double[] v = values(records, m.name(), col.getValue());
                cols.put(col.getKey(), Map.of("values", v, "mean", mean(v), "std", std(v)));
            }
            models.put(m.name(), cols);
        }
        out.put("models", models);
        return out;
    }

    static String markdown(RunConfig base, List<RunRecord> records) {
        StringBuilder b = new StringBuilder();
        RunRecord first = records.get(0);
        b.append(String.format(Locale.ROOT,
                "Config `%s`, %d seeds %s; %,d training / %,d validation / %,d test images; mean ± sample std; %s.%n%n",
                base.name(), records.size(), records.stream().map(r -> String.valueOf(r.seed())).toList(),
                first.dataSizes().get("train"), first.dataSizes().get("validation"), first.dataSizes().get("test"),
                first.versions()));
        b.append("| model | params |");
        COLUMNS.keySet().forEach(k -> b.append(' ').append(k).append(" |"));
        b.append("\n|---|---:|");
        COLUMNS.keySet().forEach(k -> b.append("---:|"));
        b.append('\n');
        for (ModelResult m : records.get(0).models()) {
            b.append("| ").append(m.name()).append(" (").append(m.architecture()).append(") | ")
                    .append(String.format(Locale.ROOT, "%,d", m.parameters())).append(" |");
            for (var col : COLUMNS.entrySet()) {
                double[] v = values(records, m.name(), col.getValue());
                boolean pct = col.getKey().endsWith("%");
                b.append(Double.isNaN(mean(v)) ? " — |"
                        : String.format(Locale.ROOT, pct ? " %.2f ± %.2f |" : " %.4f ± %.4f |", mean(v), std(v)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static double[] values(List<RunRecord> records, String model, ToDoubleFunction<ModelMetrics> f) {
        return records.stream().mapToDouble(r -> f.applyAsDouble(r.model(model).metrics())).toArray();
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Sample standard deviation (n − 1); 0 for a single value. */
    static double std(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}

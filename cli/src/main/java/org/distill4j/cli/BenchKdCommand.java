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
 * test set; writes a Markdown table and JSON of mean ± sample std per model, with the share of
 * the scratch-to-teacher gap each distilled student closes. Its runs are indexed in
 * {@code <runs>/bench-kd/runs.json} ({@link BenchIndex}); with {@code --resume} a bench that was
 * stopped or killed part-way continues where it stopped (finished seeds read back, an
 * interrupted one resumed from its checkpoints), so the table can be finished in a later sitting.
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

    @Option(names = "--resume", description = "continue the runs of an earlier bench kd of the same config and seeds "
            + "(finished seeds are read back, an interrupted one resumes from its checkpoints); without it every seed runs anew")
    boolean resume;

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
        Path work = options.runs.resolve("bench-kd");
        AtomicFile.createDirectories(work);
        String source = config == null ? "builtin:quickstart" : config.toAbsolutePath().toString();
        List<RunRecord> records = new ArrayList<>();
        // one bench kd at a time in a runs folder: its index and its runs are written by one process
        try (org.distill4j.io.RunLock lock = TrainCommand.locked(work, bench.main)) {
            BenchIndex index = BenchIndex.open(work, options, bench.main, err);
            for (int s = 1; s <= seeds; s++) {
                RunConfig cfg = base.withSeed(s);
                String key = "seed" + s + "/" + cfg.digest().substring(0, 16);
                if (!resume) {
                    index.forget(key);
                }
                Path dir = index.runOrRead(key, cfg, source, base.name() + "-seed" + s,
                        "seed " + s + "/" + seeds + " → ");
                RunRecord r = RunRecord.read(dir.resolve(Experiment.RECORD));
                RunPrinter.print(r, dir, out);
                records.add(r);
            }
        } catch (org.distill4j.train.StoppedException e) {
            err.println(e.getMessage() + "; run the same bench kd with --resume to continue");
            return "SIGINT".equals(e.reason()) ? Main.STOPPED_BY_SIGINT : Main.STOPPED_BY_SIGTERM;
        }
        ai.djl.engine.Engine.getInstance(); // loads the native library even when every run was read back
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        String md = markdown(base, records, threads);
        AtomicFile.writeString(outDir.resolve("kd.md"), md);
        AtomicFile.write(outDir.resolve("kd.json"), o -> RunRecord.JSON.writeValue(o, summary(records, threads)));
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

    /** The model trained from the labels alone, the gap's lower end. */
    static final String SCRATCH = "student-none";

    /** The teacher, the gap's upper end. */
    static final String TEACHER = "teacher";

    /** The column of the share of the gap closed. */
    static final String GAP = "gap closed %";

    /**
     * Per seed, the share of the scratch-to-teacher gap model {@code name} closes, in percent:
     * {@code 100·(acc − acc_scratch) / (acc_teacher − acc_scratch)}; null where the records have no
     * teacher or scratch student, or for those two themselves (NaN where a seed's gap is 0).
     */
    static double[] gapClosed(List<RunRecord> records, String name) {
        if (name.equals(TEACHER) || name.equals(SCRATCH)
                || records.stream().anyMatch(r -> !has(r, TEACHER) || !has(r, SCRATCH) || !has(r, name))) {
            return null;
        }
        return records.stream().mapToDouble(r -> {
            double scratch = r.model(SCRATCH).metrics().testAccuracy();
            double gap = r.model(TEACHER).metrics().testAccuracy() - scratch;
            return gap == 0 ? Double.NaN : 100 * (r.model(name).metrics().testAccuracy() - scratch) / gap;
        }).toArray();
    }

    private static boolean has(RunRecord r, String name) {
        return r.models().stream().anyMatch(m -> m.name().equals(name));
    }

    /** What every seed bench's JSON starts with: seeds, runs, data sizes, threads and the runs' seconds. */
    static Map<String, Object> runFacts(List<RunRecord> records, int threads) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("seeds", records.stream().map(RunRecord::seed).toList());
        out.put("runs", records.stream().map(RunRecord::runId).toList());
        out.put("dataSizes", records.get(0).dataSizes());
        out.put("intraOpThreads", threads);
        out.put("runSeconds", records.stream().mapToDouble(RunRecord::totalSeconds).sum());
        return out;
    }

    static Map<String, Object> summary(List<RunRecord> records, int threads) {
        Map<String, Object> out = runFacts(records, threads);
        Map<String, Object> models = new LinkedHashMap<>();
        for (ModelResult m : records.get(0).models()) {
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("architecture", m.architecture());
            cols.put("parameters", m.parameters());
            for (var col : COLUMNS.entrySet()) {
                double[] v = values(records, m.name(), col.getValue());
                cols.put(col.getKey(), Map.of("values", v, "mean", mean(v), "std", std(v)));
            }
            double[] gap = gapClosed(records, m.name());
            if (gap != null) {
                cols.put(GAP, Map.of("values", gap, "mean", mean(gap), "std", std(gap)));
            }
            models.put(m.name(), cols);
        }
        out.put("models", models);
        return out;
    }

    static String markdown(RunConfig base, List<RunRecord> records, int threads) {
        StringBuilder b = new StringBuilder();
        RunRecord first = records.get(0);
        b.append(String.format(Locale.ROOT,
                "Config `%s`, %d seeds %s; %,d training / %,d validation / %,d test images; mean ± sample std; "
                        + "PyTorch intra-op threads: %d; the runs took %.0f s of training and evaluation (their "
                        + "sittings summed); %s.%n%n",
                base.name(), records.size(), records.stream().map(r -> String.valueOf(r.seed())).toList(),
                first.dataSizes().get("train"), first.dataSizes().get("validation"), first.dataSizes().get("test"),
                threads, records.stream().mapToDouble(RunRecord::totalSeconds).sum(), first.versions()));
        b.append("| model | params |");
        COLUMNS.keySet().forEach(k -> b.append(' ').append(k).append(" |"));
        b.append(' ').append(GAP).append(" |");
        b.append("\n|---|---:|");
        COLUMNS.keySet().forEach(k -> b.append("---:|"));
        b.append("---:|\n");
        for (ModelResult m : records.get(0).models()) {
            b.append("| ").append(m.name()).append(" (").append(m.architecture()).append(") | ")
                    .append(String.format(Locale.ROOT, "%,d", m.parameters())).append(" |");
            for (var col : COLUMNS.entrySet()) {
                double[] v = values(records, m.name(), col.getValue());
                boolean pct = col.getKey().endsWith("%");
                b.append(cell(v, pct ? "%.2f" : "%.4f"));
            }
            b.append(cell(gapClosed(records, m.name()), "%.1f")).append('\n');
        }
        b.append(String.format(Locale.ROOT, "%n%s: 100·(acc − acc_%s) / (acc_%s − acc_%s), per seed, then mean ± std.%n",
                GAP, SCRATCH, TEACHER, SCRATCH));
        return b.toString();
    }

    /** A table cell {@code " mean ± std |"}, or {@code " — |"} where there is no value. */
    private static String cell(double[] v, String format) {
        return v == null || Double.isNaN(mean(v)) ? " — |"
                : String.format(Locale.ROOT, " " + format + " ± " + format + " |", mean(v), std(v));
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

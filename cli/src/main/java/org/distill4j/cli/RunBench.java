package org.distill4j.cli;

import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.distill4j.config.RunConfig;
import org.distill4j.io.AtomicFile;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunData;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * A benchmark made of ordinary run configs ({@code bench schemes}, {@code bench algorithms}): a
 * YAML file ({@code bench/<name>.yaml}) lists the runs, each run once per seed through
 * {@link Experiment}, and the rows, each comparing two models of the records (a model against
 * its fair baseline, of the same run or of another run of the same seed). Models several runs
 * share (teachers) can be made once first ({@code prepare}: a run config trained once, with its
 * own seed, and the named model copied where the run configs {@code load:} it). A run that was
 * interrupted resumes from its checkpoints when the bench is started again; a finished one is
 * read back, from the copy of its record in {@code <out>/<name>-seeds/<run>-seed<N>.json} (a file to
 * commit, so that a bench is finished in a later sitting's fresh checkout, whose {@code runs/} is
 * empty) when that copy was made from the same config. The table goes to {@code bench/results/<name>.md} and {@code .json}, its header
 * stating the seeds, PyTorch's intra-op threads, the data sizes and the time the runs took.
 */
abstract class RunBench implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "bench config (default: bench/<bench>.yaml)")
    Path config;

    @Option(names = "--seeds", defaultValue = "3", description = "seeds 1…N per run (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--only", paramLabel = "RUN", split = ",", description = "run only these runs (comma-separated)")
    List<String> only;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR",
            description = "where <bench>.md/json go (default: ${DEFAULT-VALUE})")
    Path outDir;

    @Mixin
    RunOptions options;

    @ParentCommand
    BenchCommand bench;

    /**
     * The bench config.
     *
     * @param prepare models made once before the runs (e.g. the teachers they load; optional)
     * @param runs the run configs, each run once per seed
     * @param rows the comparisons, in table order
     * @param note what the table's header adds to its standard sentences (e.g. how the configs were
     *     shrunk to fit; optional)
     * @param fidelity whether a second table gives each row's model's top-1 agreement and KL with
     *     its teacher on train and test (issue 13's fidelity study; default false)
     */
    record Spec(List<Prepare> prepare, List<Run> runs, List<Row> rows, String note, Boolean fidelity) {
        Spec(List<Prepare> prepare, List<Run> runs, List<Row> rows) {
            this(prepare, runs, rows, null, null);
        }

        /**
         * A model trained once, with its config's own seed, and copied to {@code file}, where the
         * runs' configs load it; left alone when {@code file} exists.
         *
         * @param config the run config that trains it
         * @param model the model of that run's record to keep (e.g. {@code teacher1})
         * @param file where it goes (relative to the working directory, as {@code load:} paths are)
         */
        record Prepare(String config, String model, String file) {}

        /** @param name short name; @param config path of a run config (relative to the working directory) */
        record Run(String name, String config) {}

        /**
         * @param run which run's records the model is read from
         * @param label what the row shows, e.g. "DML peer 1 (cnn)"
         * @param model the model of the record evaluated
         * @param baseline the model it is compared against (its fair baseline)
         * @param baselineRun the run whose records hold the baseline (default: {@code run}); it must
         *     have the same teachers seed by seed (their digest is checked)
         * @param literature the effect the literature reports, for the reading
         */
        record Row(String run, String label, String model, String baseline, String baselineRun, String literature) {
            /** The run the baseline is read from. */
            String baselineFrom() {
                return baselineRun == null ? run : baselineRun;
            }
        }

        Spec {
            prepare = prepare == null ? List.of() : List.copyOf(prepare);
            fidelity = Boolean.TRUE.equals(fidelity);
            if (runs == null || rows == null || runs.isEmpty()) {
                throw new IllegalArgumentException("runs and rows are required");
            }
            for (Row r : rows) {
                for (String name : new String[] {r.run(), r.baselineFrom()}) {
                    if (runs.stream().noneMatch(x -> x.name().equals(name))) {
                        throw new IllegalArgumentException("rows: run '" + name + "' is not among runs");
                    }
                }
            }
        }
    }

    /** The bench's name: its config {@code bench/<name>.yaml}, its results {@code <name>.md/json}. */
    abstract String name();

    /**
     * The results' file name: the bench's name, or with {@code -c} the config's (so
     * {@code -c bench/algorithms-lifelong.yaml} writes {@code algorithms-lifelong.md/json} beside,
     * not over, the default table). The work directory stays the bench's: its prepared models serve
     * every config of the bench.
     */
    String table() {
        if (config == null) {
            return name();
        }
        String file = config.getFileName().toString();
        return file.endsWith(".yaml") ? file.substring(0, file.length() - 5)
                : file.endsWith(".yml") ? file.substring(0, file.length() - 4) : file;
    }

    /** The table's first sentence: what a row compares. */
    abstract String intro();

    /** Whether the table shows each model's shipped size (where it differs from the baseline's). */
    abstract boolean sizes();

    /** The table's first column header. */
    abstract String kind();

    /** What the samples are, in the header ("images"). */
    String samples() {
        return "images";
    }

    /**
     * Whether a third table gives each row's model's latency per sample at batch 1 and 256 beside
     * its accuracy, agreement and size, with its speed-up over the row {@code model: teacher}.
     */
    boolean latency() {
        return false;
    }

    @Override
    public Integer call() throws Exception {
        if (seeds < 1) {
            throw new ConfigException("--seeds: must be ≥ 1 (got " + seeds + ")");
        }
        long t0 = System.nanoTime();
        PrintStream err = bench.main.err;
        options.setUpThreads(err);
        PrintStream out = bench.main.out;
        Path file = config != null ? config : Path.of("bench", name() + ".yaml");
        Spec spec = ConfigLoader.load(file, Spec.class);
        Path work = options.runs.resolve("bench-" + name());
        AtomicFile.createDirectories(outDir); // a bad --out fails now, not after the runs
        AtomicFile.createDirectories(work);
        // one bench at a time in a work directory: its index and its runs are written by one process
        try (org.distill4j.io.RunLock lock = TrainCommand.locked(work, bench.main)) {
            return runAll(spec, work, t0, err, out);
        } catch (org.distill4j.train.StoppedException e) {
            err.println(e.getMessage() + "; start the same bench again to continue");
            return "SIGINT".equals(e.reason()) ? Main.STOPPED_BY_SIGINT : Main.STOPPED_BY_SIGTERM;
        }
    }

    private int runAll(Spec spec, Path work, long t0,
            PrintStream err, PrintStream out) throws Exception {
        BenchIndex runner = BenchIndex.open(work, options, bench.main, err);
        Map<String, Double> prepared = new LinkedHashMap<>(); // each prepare run's seconds, once
        for (Spec.Prepare p : spec.prepare()) {
            Path target = Path.of(p.file());
            RunConfig cfg = ConfigLoader.load(Path.of(p.config()));
            String key = "prepare/" + p.config() + "/" + cfg.digest().substring(0, 16);
            if (Files.exists(target)) {
                err.println("prepared earlier: " + target + " (delete it to make it again)");
                Path earlier = runner.finished(key);
                if (earlier != null) {
                    prepared.put(key, RunRecord.read(earlier.resolve(Experiment.RECORD)).totalSeconds());
                }
                continue;
            }
            Path dir = runner.runOrRead(key, cfg, Path.of(p.config()).toAbsolutePath().toString(), cfg.name(),
                    "prepare " + p.config() + " → ");
            prepared.put(key, RunRecord.read(dir.resolve(Experiment.RECORD)).totalSeconds());
            Path made = dir.resolve(RunRecord.read(dir.resolve(Experiment.RECORD)).model(p.model()).file());
            if (target.toAbsolutePath().getParent() != null) {
                Files.createDirectories(target.toAbsolutePath().getParent());
            }
            byte[] bytes = Files.readAllBytes(made);
            AtomicFile.write(target, o -> o.write(bytes));
            err.println("prepared " + target + " (" + p.model() + " of " + dir + ")");
        }
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        Path seedRecords = outDir.resolve(table() + "-seeds");
        AtomicFile.createDirectories(seedRecords);
        for (Spec.Run run : spec.runs()) {
            if (only != null && !only.contains(run.name())) {
                continue;
            }
            RunConfig base = ConfigLoader.load(Path.of(run.config()));
            List<RunRecord> mine = new ArrayList<>();
            for (long s = 1; s <= seeds; s++) {
                RunConfig cfg = base.withSeed(s);
                String what = run.name() + " seed " + s + "/" + seeds + " → ";
                // a run finished in an earlier sitting, perhaps in another checkout: its copied record
                Path copy = seedRecords.resolve(run.name() + "-seed" + s + ".json");
                RunRecord r = BenchIndex.committedRecord(copy, cfg, err);
                if (r != null) {
                    err.println(what + copy + ": finished earlier");
                } else {
                    Path dir = runner.runOrRead(run.name() + "/seed" + s + "/" + cfg.digest().substring(0, 16), cfg,
                            Path.of(run.config()).toAbsolutePath().toString(), base.name() + "-seed" + s, what);
                    r = BenchIndex.copyRecord(dir, copy);
                }
                mine.add(r);
            }
            records.put(run.name(), mine);
        }
        Map<String, Object> json = summary(spec, records, latency());
        json.put("seeds", seeds);
        ai.djl.engine.Engine.getInstance(); // loads the native library even when every run was read back
        json.put("intraOpThreads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        json.put("runSeconds", records.values().stream().flatMap(List::stream).mapToDouble(RunRecord::totalSeconds)
                .sum());
        json.put("prepareSeconds", prepared.values().stream().mapToDouble(Double::doubleValue).sum());
        json.put("wallSeconds", (System.nanoTime() - t0) / 1e9);
        String md = markdown(json);
        Files.createDirectories(outDir);
        AtomicFile.writeString(outDir.resolve(table() + ".md"), md);
        AtomicFile.write(outDir.resolve(table() + ".json"), o -> RunRecord.JSON.writeValue(o, json));
        out.println(md);
        out.println("written " + outDir.resolve(table() + ".md") + " and " + outDir.resolve(table() + ".json"));
        return 0;
    }

    static Map<String, Object> summary(Spec spec, Map<String, List<RunRecord>> records) {
        return summary(spec, records, false);
    }

    /**
     * The summary; with {@code latency}, each row also has its model's latency at batch 1 and 256, or
     * at batch 1 and 64 where its records measured that (models reading token ids, {@link ModelMetrics}).
     */
    static Map<String, Object> summary(Spec spec, Map<String, List<RunRecord>> records, boolean latency) {
        Map<String, Object> json = new LinkedHashMap<>();
        Map<String, Object> sizes = new LinkedHashMap<>();
        records.forEach((run, rs) -> sizes.put(run, rs.get(0).dataSizes()));
        json.put("dataSizes", sizes);
        if (spec.note() != null) {
            json.put("note", spec.note().strip().replaceAll("\\s+", " "));
        }
        List<Object> rows = new ArrayList<>();
        for (Spec.Row row : spec.rows()) {
            List<RunRecord> rs = records.get(row.run());
            List<RunRecord> bs = records.get(row.baselineFrom());
            if (rs == null || bs == null) {
                continue;
            }
            for (int i = 0; i < rs.size(); i++) {
                if (!java.util.Objects.equals(rs.get(i).teacherDigest(), bs.get(i).teacherDigest())) {
                    throw new IllegalStateException("rows: '" + row.label() + "' compares runs " + row.run() + " and "
                            + row.baselineFrom() + " whose teachers differ at seed " + rs.get(i).seed()
                            + ": not a fair comparison");
                }
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("run", row.run());
            r.put("label", row.label());
            r.put("model", row.model());
            r.put("baseline", row.baseline());
            r.put("baselineRun", row.baselineFrom());
            r.put("literature", row.literature());
            double[] model = accuracies(rs, row.model());
            double[] base = accuracies(bs, row.baseline());
            double[] delta = new double[model.length];
            for (int i = 0; i < model.length; i++) {
                delta[i] = model[i] - base[i];
            }
            r.put("runs", rs.stream().map(RunRecord::runId).toList());
            r.put("testAccuracy", stats(model));
            r.put("baselineTestAccuracy", stats(base));
            r.put("delta", stats(delta));
            r.put("sizeBytes", rs.get(0).model(row.model()).sizeBytes());
            r.put("baselineSizeBytes", bs.get(0).model(row.baseline()).sizeBytes());
            if (spec.fidelity()) {
                r.put("fidelity", fidelity(rs, row.model()));
            }
            if (latency) {
                r.put("latencyMsBatch1", stats(rs.stream().mapToDouble(x -> x.model(row.model()).metrics()
                        .latencyMsBatch1()).toArray()));
                if (rs.stream().allMatch(x -> x.model(row.model()).metrics().latencyMsPerSampleBatch64() != null)) {
                    r.put(LATENCY_64, stats(rs.stream().mapToDouble(x -> x.model(row.model()).metrics()
                            .latencyMsPerSampleBatch64()).toArray()));
                } else {
                    r.put(LATENCY_256, stats(rs.stream().mapToDouble(x -> x.model(row.model()).metrics()
                            .latencyMsPerSampleBatch256()).toArray()));
                }
            }
            JsonNode extra = rs.get(0).schemeResults();
            if (extra != null) {
                r.put("schemeResultsSeed1", extra);
            }
            rows.add(r);
        }
        json.put("rows", rows);
        return json;
    }

    /** The model's agreement (%) and KL with its teacher on train and test over the seeds (NaN where not measured). */
    private static Map<String, Object> fidelity(List<RunRecord> rs, String model) {
        Map<String, Object> f = new LinkedHashMap<>();
        Map<String, java.util.function.Function<org.distill4j.report.ModelMetrics, Double>> columns = Map.of(
                "agreementTrain", m -> m.agreementTrain() == null ? null : 100 * m.agreementTrain(),
                "agreementTest", m -> m.agreementTest() == null ? null : 100 * m.agreementTest(),
                "klTrain", org.distill4j.report.ModelMetrics::klTrain,
                "klTest", org.distill4j.report.ModelMetrics::klTest);
        for (String c : List.of("agreementTrain", "agreementTest", "klTrain", "klTest")) {
            f.put(c, stats(rs.stream().mapToDouble(r -> {
                Double v = columns.get(c).apply(r.model(model).metrics());
                return v == null ? Double.NaN : v;
            }).toArray()));
        }
        return f;
    }

    /** The second table of a fidelity bench: each row's model's accuracy beside its agreement and KL with its teacher. */
    @SuppressWarnings("unchecked")
    static String fidelityTable(Map<String, Object> json) {
        StringBuilder b = new StringBuilder();
        b.append("\nFidelity of each row's model to its teacher (Stanton et al. 2021): top-1 agreement % and KL(p_t ‖ p_s) "
                + "at T = 1 on the training and test images, mean ± sample std over the seeds.\n\n");
        b.append("| run | model | test accuracy | agreement train % | agreement test % | KL train | KL test |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (Object o : (List<Object>) json.get("rows")) {
            Map<String, Object> r = (Map<String, Object>) o;
            Map<String, Object> f = (Map<String, Object>) r.get("fidelity");
            if (f == null) {
                continue;
            }
            b.append("| ").append(r.get("run")).append(" | ").append(r.get("label")).append(" | ")
                    .append(cell((Map<String, Object>) r.get("testAccuracy"), "%.2f"));
            for (String c : List.of("agreementTrain", "agreementTest")) {
                b.append(" | ").append(cell((Map<String, Object>) f.get(c), "%.2f"));
            }
            for (String c : List.of("klTrain", "klTest")) {
                b.append(" | ").append(cell((Map<String, Object>) f.get(c), "%.4f"));
            }
            b.append(" |\n");
        }
        return b.toString();
    }

    private static final String LATENCY_256 = "latencyMsPerSampleBatch256";
    private static final String LATENCY_64 = "latencyMsPerSampleBatch64";

    /**
     * The latency table: per row, ms per sample at batch 1 and 64 (where every row has it: models reading
     * token ids) or 256, and the speed-up and accuracy gap to the teacher.
     */
    @SuppressWarnings("unchecked")
    static String latencyTable(Map<String, Object> json) {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) json.get("rows");
        String large = rows.stream().allMatch(r -> r.containsKey(LATENCY_64)) ? LATENCY_64 : LATENCY_256;
        String batch = large.equals(LATENCY_64) ? "64" : "256";
        Map<String, Object> teacher = rows.stream().filter(r -> "teacher".equals(r.get("model"))).findFirst().orElse(null);
        StringBuilder b = new StringBuilder();
        b.append("\nLatency per sample (median of timed passes, input copied in and logits out, on this loaded machine: "
                + "compare within the table only) at batch 1 and " + batch + ", mean ± sample std over the seeds; speed-up = the "
                + "teacher's batch-1 latency / the model's; gap = the model's accuracy − the teacher's (points).\n\n");
        b.append("| run | model | test accuracy | agreement test % | bytes | ms/sample batch 1 | ms/sample batch " + batch + " "
                + "| speed-up (batch 1) | gap to teacher |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map<String, Object> r : rows) {
            Map<String, Object> l1 = (Map<String, Object>) r.get("latencyMsBatch1");
            Map<String, Object> f = (Map<String, Object>) r.get("fidelity");
            String speed = "—";
            String gap = "—";
            if (teacher != null && r != teacher) {
                double t = (Double) ((Map<String, Object>) teacher.get("latencyMsBatch1")).get("mean");
                speed = String.format(Locale.ROOT, "%.0f×", t / (Double) l1.get("mean"));
                gap = String.format(Locale.ROOT, "%+.2f", (Double) ((Map<String, Object>) r.get("testAccuracy")).get("mean")
                        - (Double) ((Map<String, Object>) teacher.get("testAccuracy")).get("mean"));
            }
            b.append("| ").append(r.get("run")).append(" | ").append(r.get("label")).append(" | ")
                    .append(cell((Map<String, Object>) r.get("testAccuracy"), "%.2f")).append(" | ")
                    .append(f == null ? "—" : cell((Map<String, Object>) f.get("agreementTest"), "%.2f")).append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", ((Number) r.get("sizeBytes")).longValue())).append(" | ")
                    .append(cell(l1, "%.3f")).append(" | ")
                    .append(r.containsKey(large) ? cell((Map<String, Object>) r.get(large), "%.3f") : "—").append(" | ")
                    .append(speed).append(" | ").append(gap).append(" |\n");
        }
        return b.toString();
    }

    private static String cell(Map<String, Object> stats, String format) {
        double mean = (Double) stats.get("mean");
        return Double.isNaN(mean) ? "—" : String.format(Locale.ROOT, format + " ± " + format, mean,
                (Double) stats.get("std"));
    }

    private static double[] accuracies(List<RunRecord> rs, String model) {
        return rs.stream().mapToDouble(r -> {
            ModelResult m = r.model(model);
            return 100 * m.metrics().testAccuracy();
        }).toArray();
    }

    private static Map<String, Object> stats(double[] v) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("values", v);
        s.put("mean", BenchKdCommand.mean(v));
        s.put("std", v.length > 1 ? BenchKdCommand.std(v) : 0.0);
        return s;
    }

    /** The table: a header of what was run, then one line per row. */
    @SuppressWarnings("unchecked")
    String markdown(Map<String, Object> json) {
        StringBuilder b = new StringBuilder();
        Set<String> data = new LinkedHashSet<>();
        ((Map<String, Object>) json.get("dataSizes")).forEach((run, sizes) -> {
            Map<String, Integer> s = (Map<String, Integer>) sizes;
            data.add(String.format(Locale.ROOT, "%,d / %,d / %,d", s.get("train"), s.get("validation"), s.get("test")));
        });
        b.append(String.format(Locale.ROOT, "%s Test accuracy %% on the test " + samples() + ", mean ± sample std over %d seeds "
                + "(seeds 1–%d: initial weights, batch order and splits); Δ = mean of the per-seed differences. "
                + "Training / validation / test " + samples() + ": %s. PyTorch intra-op threads: %s. The runs took %.0f s "
                + "of training and evaluation in all (their sittings summed)%s.%n%n", intro(), json.get("seeds"),
                json.get("seeds"), String.join("; ", data), json.get("intraOpThreads"), json.get("runSeconds"),
                ((Double) json.get("prepareSeconds")) > 0 ? String.format(Locale.ROOT, ", the models prepared for them "
                        + "%.0f s more", (Double) json.get("prepareSeconds")) : ""));
        if (json.get("note") != null) {
            b.setLength(b.length() - 2 * System.lineSeparator().length());
            b.append(' ').append(json.get("note")).append(System.lineSeparator()).append(System.lineSeparator());
        }
        if (sizes()) {
            b.append("| ").append(kind()).append(" | model | test accuracy | bytes | baseline | baseline accuracy "
                    + "| baseline bytes | Δ (points) | literature |\n");
            b.append("|---|---|---:|---:|---|---:|---:|---:|---|\n");
        } else {
            b.append("| ").append(kind()).append(" | model | test accuracy | baseline | baseline accuracy | Δ (points) "
                    + "| literature |\n");
            b.append("|---|---|---:|---|---:|---:|---|\n");
        }
        for (Object o : (List<Object>) json.get("rows")) {
            Map<String, Object> r = (Map<String, Object>) o;
            Map<String, Object> a = (Map<String, Object>) r.get("testAccuracy");
            Map<String, Object> base = (Map<String, Object>) r.get("baselineTestAccuracy");
            Map<String, Object> d = (Map<String, Object>) r.get("delta");
            String baseline = r.get("baselineRun").equals(r.get("run")) ? (String) r.get("baseline")
                    : r.get("baselineRun") + "/" + r.get("baseline");
            String lit = r.get("literature") == null ? "" : (String) r.get("literature");
            if (sizes()) {
                long size = ((Number) r.get("sizeBytes")).longValue();
                long baseSize = ((Number) r.get("baselineSizeBytes")).longValue();
                b.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %,d | %s | %.2f ± %.2f | %s | %+.2f ± %.2f "
                        + "| %s |%n", r.get("run"), r.get("label"), (Double) a.get("mean"), (Double) a.get("std"), size,
                        baseline, (Double) base.get("mean"), (Double) base.get("std"),
                        size == baseSize ? "same" : String.format(Locale.ROOT, "%,d", baseSize), (Double) d.get("mean"),
                        (Double) d.get("std"), lit));
            } else {
                b.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %s | %.2f ± %.2f | %+.2f ± %.2f | %s |%n",
                        r.get("run"), r.get("label"), (Double) a.get("mean"), (Double) a.get("std"), baseline,
                        (Double) base.get("mean"), (Double) base.get("std"), (Double) d.get("mean"),
                        (Double) d.get("std"), lit));
            }
        }
        if (json.get("rows") instanceof List<?> rows && rows.stream().anyMatch(o -> ((Map<?, ?>) o).containsKey("fidelity"))) {
            b.append(fidelityTable(json));
        }
        if (latency()) {
            b.append(latencyTable(json));
        }
        return b.toString();
    }
}

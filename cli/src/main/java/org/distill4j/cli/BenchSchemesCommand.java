package org.distill4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;
import org.distill4j.io.AtomicFile;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill bench schemes}: every scheme beside its fair baseline over several seeds. Each
 * configured run (a normal run config, e.g. {@code bench/schemes/dml.yaml}) runs once per seed
 * through {@link Experiment}; each row then compares two models of that run's record (e.g. a DML
 * peer against the same network trained alone from the same initial weights). A run that was
 * interrupted resumes from its checkpoints when the bench is started again.
 */
@Command(name = "schemes", mixinStandardHelpOptions = true,
        description = "Online, self and staged schemes beside their fair baselines over several seeds.")
final class BenchSchemesCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, defaultValue = "bench/schemes.yaml", paramLabel = "FILE",
            description = "bench config (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--seeds", defaultValue = "3", description = "seeds 1…N per run (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--only", paramLabel = "RUN", split = ",", description = "run only these runs (e.g. dml,byot)")
    List<String> only;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR", description = "where schemes.md/json go")
    Path outDir;

    @Mixin
    RunOptions options;

    @ParentCommand
    BenchCommand bench;

    /**
     * The bench config.
     *
     * @param runs the run configs, each run once per seed
     * @param rows the comparisons, in table order
     */
    record Spec(List<Run> runs, List<Row> rows) {
        /** @param name short name; @param config path of a run config (relative to the working directory) */
        record Run(String name, String config) {}

        /**
         * @param run which run's records to read
         * @param label what the row shows, e.g. "DML peer 1 (cnn)"
         * @param model the model of the record evaluated
         * @param baseline the model it is compared against (its fair baseline)
         * @param literature the effect the literature reports, for the reading
         */
        record Row(String run, String label, String model, String baseline, String literature) {}

        Spec {
            if (runs == null || rows == null || runs.isEmpty()) {
                throw new IllegalArgumentException("runs and rows are required");
            }
            for (Row r : rows) {
                if (runs.stream().noneMatch(x -> x.name().equals(r.run()))) {
                    throw new IllegalArgumentException("rows: run '" + r.run() + "' is not among runs");
                }
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        if (seeds < 1) {
            throw new ConfigException("--seeds: must be ≥ 1 (got " + seeds + ")");
        }
        PrintStream err = bench.main.err;
        PrintStream out = bench.main.out;
        Spec spec = ConfigLoader.load(config, Spec.class);
        // Each run's config names its data; runs on the same source share one load (limits apply later).
        Map<org.distill4j.config.DataSpec, RunData> loaded = new java.util.HashMap<>();
        Path work = options.runs.resolve("bench-schemes");
        Files.createDirectories(work);
        Path index = work.resolve("runs.json");
        ObjectNode dirs = Files.exists(index) ? (ObjectNode) RunRecord.JSON.readTree(index.toFile())
                : RunRecord.JSON.createObjectNode();
        Map<String, List<RunRecord>> records = new LinkedHashMap<>();
        for (Spec.Run run : spec.runs()) {
            if (only != null && !only.contains(run.name())) {
                continue;
            }
            RunConfig base = ConfigLoader.load(Path.of(run.config()));
            RunData data = loaded.get(base.data().withLimits(null, null, null));
            if (data == null) {
                data = DataLoader.load(base, options.data, err);
                loaded.put(base.data().withLimits(null, null, null), data);
            } else {
                data.checkModels(base);
            }
            List<RunRecord> mine = new ArrayList<>();
            for (long s = 1; s <= seeds; s++) {
                RunConfig cfg = base.withSeed(s);
                String key = run.name() + "/seed" + s + "/" + cfg.digest().substring(0, 16);
                Path dir = dirs.has(key) ? Path.of(dirs.get(key).asText()) : null;
                if (dir != null && Files.exists(dir.resolve("record.json"))) {
                    mine.add(RunRecord.read(dir.resolve("record.json")));
                    err.println(run.name() + " seed " + s + ": finished earlier, " + dir);
                    continue;
                }
                if (dir == null || !Files.isDirectory(dir)) {
                    dir = options.newRunDir(base.name() + "-seed" + s);
                    RunDirectory.freeze(dir, cfg, Path.of(run.config()).toAbsolutePath().toString());
                    dirs.put(key, dir.toString());
                    AtomicFile.write(index, o -> RunRecord.JSON.writeValue(o, dirs));
                }
                err.println(run.name() + " seed " + s + "/" + seeds + " → " + dir);
                // Experiment resumes from the directory's checkpoints if an earlier bench was interrupted.
                mine.add(new Experiment(cfg, data, dir, new ProgressListener(err)).run());
            }
            records.put(run.name(), mine);
        }
        Map<String, Object> json = summary(spec, records);
        String md = markdown(spec, json, seeds);
        Files.createDirectories(outDir);
        AtomicFile.writeString(outDir.resolve("schemes.md"), md);
        AtomicFile.write(outDir.resolve("schemes.json"), o -> RunRecord.JSON.writeValue(o, json));
        out.println(md);
        out.println("written " + outDir.resolve("schemes.md") + " and " + outDir.resolve("schemes.json"));
        return 0;
    }

    static Map<String, Object> summary(Spec spec, Map<String, List<RunRecord>> records) {
        Map<String, Object> json = new LinkedHashMap<>();
        List<Object> rows = new ArrayList<>();
        for (Spec.Row row : spec.rows()) {
            List<RunRecord> rs = records.get(row.run());
            if (rs == null) {
                continue;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("run", row.run());
            r.put("label", row.label());
            r.put("model", row.model());
            r.put("baseline", row.baseline());
            r.put("literature", row.literature());
            double[] model = accuracies(rs, row.model());
            double[] base = accuracies(rs, row.baseline());
            double[] delta = new double[model.length];
            for (int i = 0; i < model.length; i++) {
                delta[i] = model[i] - base[i];
            }
            r.put("runs", rs.stream().map(RunRecord::runId).toList());
            r.put("testAccuracy", stats(model));
            r.put("baselineTestAccuracy", stats(base));
            r.put("delta", stats(delta));
            JsonNode extra = rs.get(0).schemeResults();
            if (extra != null) {
                r.put("schemeResultsSeed1", extra);
            }
            rows.add(r);
        }
        json.put("rows", rows);
        return json;
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

    @SuppressWarnings("unchecked")
    static String markdown(Spec spec, Map<String, Object> json, int seeds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Each scheme beside its fair baseline (same data, schedule and initial weights "
                + "where the scheme allows); test accuracy %% on the 10,000 test images, mean ± sample std over %d seeds; "
                + "Δ = mean of the per-seed differences.%n%n", seeds));
        b.append("| scheme | model | test accuracy | baseline | baseline accuracy | Δ (points) | literature |\n");
        b.append("|---|---|---:|---|---:|---:|---|\n");
        for (Object o : (List<Object>) json.get("rows")) {
            Map<String, Object> r = (Map<String, Object>) o;
            Map<String, Object> a = (Map<String, Object>) r.get("testAccuracy");
            Map<String, Object> base = (Map<String, Object>) r.get("baselineTestAccuracy");
            Map<String, Object> d = (Map<String, Object>) r.get("delta");
            b.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %s | %.2f ± %.2f | %+.2f ± %.2f | %s |%n",
                    r.get("run"), r.get("label"), (Double) a.get("mean"), (Double) a.get("std"), r.get("baseline"),
                    (Double) base.get("mean"), (Double) base.get("std"), (Double) d.get("mean"), (Double) d.get("std"),
                    r.get("literature") == null ? "" : r.get("literature")));
        }
        return b.toString();
    }
}

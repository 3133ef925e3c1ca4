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
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code distill bench kd}: the headline table. One or more run configs over several seeds on the
 * full test set; writes a Markdown table and JSON of mean ± sample std per model, with the share
 * of the scratch-to-teacher gap each distilled student closes. The first config gives the
 * teacher, the scratch student and its own distilled student; every further config (the same
 * teacher, data, student and schedule, another method) adds only its distilled student, so the
 * rows share one teacher and one scratch baseline per seed.
 *
 * <p>Its runs are indexed in {@code <runs>/bench-kd/runs.json} ({@link BenchIndex}), and every
 * finished run's record is copied to {@code <out>/<table>-seeds/<config name>-seed<N>.json} (files
 * to commit). With {@code --resume} a bench that was stopped or killed part-way continues where it
 * stopped: a run whose copied record was made from the same config is read from it (in a fresh
 * checkout too, where {@code runs/} is empty), an interrupted one resumes from its checkpoints,
 * and only the missing runs train. The table is rewritten after every seed.
 */
@Command(name = "kd", mixinStandardHelpOptions = true,
        description = "Teacher, scratch student and distilled students over several seeds: mean ± std table "
                + "with the share of the scratch-to-teacher gap each closes.")
final class BenchKdCommand implements Callable<Integer> {
    /** The headline table's configs: the reference teacher with vanilla KD, then DKD (bench/kd/TUNING.md). */
    static final List<Path> DEFAULT_CONFIGS = List.of(Path.of("bench/kd/kd.yaml"), Path.of("bench/kd/dkd.yaml"));

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "run config; repeat it for more rows: the "
            + "first gives the teacher, the scratch student and its method, each further one (same teacher, data, "
            + "student and schedule) only its distilled student (default: " + "bench/kd/kd.yaml and bench/kd/dkd.yaml)")
    List<Path> configs;

    @Option(names = "--seeds", defaultValue = "3", description = "number of seeds, 1…N (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR", description = "where the table goes")
    Path outDir;

    @Option(names = "--table", defaultValue = "kd", paramLabel = "NAME",
            description = "the table's name: NAME.md, NAME.json and the run records in NAME-seeds/ (default: ${DEFAULT-VALUE})")
    String table;

    @Option(names = "--resume", description = "continue an earlier bench kd of the same configs and seeds (finished "
            + "runs are read back, from their records in <out>/<table>-seeds/ too, an interrupted one resumes from its "
            + "checkpoints); without it every run trains anew")
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
        if (!table.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException("--table: letters, digits, '.', '_' and '-' only (got '" + table + "')");
        }
        java.io.PrintStream out = bench.main.out;
        java.io.PrintStream err = bench.main.err;
        List<Path> files = configs == null || configs.isEmpty() ? DEFAULT_CONFIGS : configs;
        List<RunConfig> bases = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new ConfigException("--config: no file " + f + (configs == null
                        ? " (the default headline configs: run from the project's root, or give -c)" : ""));
            }
            RunConfig c = ConfigLoader.load(f);
            if (bases.stream().anyMatch(b -> b.name().equals(c.name()))) {
                throw new ConfigException(f + ": name '" + c.name() + "' is taken by another config of this table");
            }
            bases.add(bases.isEmpty() ? c : withoutBaseline(c));
        }
        RunConfig base = bases.get(0);
        for (int i = 1; i < bases.size(); i++) {
            sameStudy(base, bases.get(i), files.get(i));
        }
        AtomicFile.createDirectories(outDir); // a bad --out fails now, not after the runs
        Path seedRecords = outDir.resolve(table + "-seeds");
        AtomicFile.createDirectories(seedRecords);
        options.setUpThreads(err);
        Path work = options.runs.resolve("bench-kd");
        AtomicFile.createDirectories(work);
        ai.djl.engine.Engine.getInstance(); // loads the native library even when every run is read back
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        List<RunRecord> records = new ArrayList<>();
        // one bench kd at a time in a runs folder: its index and its runs are written by one process
        try (org.distill4j.io.RunLock lock = TrainCommand.locked(work, bench.main)) {
            BenchIndex index = BenchIndex.open(work, options, bench.main, err);
            for (int s = 1; s <= seeds; s++) {
                List<RunRecord> ofSeed = new ArrayList<>();
                for (int i = 0; i < bases.size(); i++) {
                    RunConfig cfg = bases.get(i).withSeed(s);
                    Path copy = seedRecords.resolve(cfg.name() + "-seed" + s + ".json");
                    String what = "seed " + s + "/" + seeds + (bases.size() > 1 ? " " + cfg.name() : "") + " → ";
                    RunRecord r = resume ? BenchIndex.committedRecord(copy, cfg, err) : null;
                    if (r != null) {
                        err.println(what + copy + ": finished earlier");
                    } else {
                        String key = "seed" + s + "/" + cfg.digest().substring(0, 16);
                        if (!resume) {
                            index.forget(key);
                        }
                        Path dir = index.runOrRead(key, cfg, files.get(i).toAbsolutePath().toString(),
                                cfg.name() + "-seed" + s, what);
                        r = BenchIndex.copyRecord(dir, copy);
                        RunPrinter.print(r, dir, out);
                    }
                    ofSeed.add(r);
                }
                records.add(merged(ofSeed, files));
                // the table so far: a bench stopped later still leaves the seeds it finished tabulated
                write(bases, records, threads);
            }
        } catch (org.distill4j.train.StoppedException e) {
            err.println(e.getMessage() + "; run the same bench kd with --resume to continue");
            return "SIGINT".equals(e.reason()) ? Main.STOPPED_BY_SIGINT : Main.STOPPED_BY_SIGTERM;
        }
        out.println(markdown(bases, records, threads, seeds));
        out.println("written " + outDir.resolve(table + ".md") + " and " + outDir.resolve(table + ".json")
                + "; run records in " + seedRecords);
        return 0;
    }

    private void write(List<RunConfig> bases, List<RunRecord> records, int threads) throws java.io.IOException {
        AtomicFile.writeString(outDir.resolve(table + ".md"), markdown(bases, records, threads, seeds));
        Map<String, Object> json = summary(records, threads);
        json.put("seedsAsked", seeds);
        json.put("methods", methods(bases));
        AtomicFile.write(outDir.resolve(table + ".json"), o -> RunRecord.JSON.writeValue(o, json));
    }

    /**
     * A further config of one table must differ from the first only in its method: the same teacher,
     * data, student and schedule, or its row would not share the first's teacher and scratch baseline.
     */
    static void sameStudy(RunConfig first, RunConfig other, Path file) throws ConfigException {
        String why = !java.util.Objects.equals(first.teacher(), other.teacher())
                || !java.util.Objects.equals(first.teachers(), other.teachers()) ? "teacher"
                : !java.util.Objects.equals(first.data(), other.data()) ? "data"
                : !java.util.Objects.equals(first.student().model(), other.student().model()) ? "student.model"
                : !java.util.Objects.equals(first.student().train(), other.student().train()) ? "student.train"
                : !java.util.Objects.equals(first.scheme(), other.scheme()) ? "scheme" : null;
        if (why != null) {
            throw new ConfigException(file + ": its " + why + " differs from the first config's ('" + first.name()
                    + "'); the rows of one table share the teacher, data, student and schedule and differ in "
                    + "student.method only");
        }
    }

    /**
     * One seed's records as one: the first config's models (teacher, scratch student, its distilled
     * student), then each further config's distilled students, named after that config where the
     * name is taken. Every run must have loaded or trained the same teacher (its digest).
     */
    static RunRecord merged(List<RunRecord> ofSeed, List<Path> files) throws ConfigException {
        RunRecord first = ofSeed.get(0);
        List<ModelResult> models = new ArrayList<>(first.models());
        double seconds = first.totalSeconds();
        for (int i = 1; i < ofSeed.size(); i++) {
            RunRecord r = ofSeed.get(i);
            if (!java.util.Objects.equals(first.teacherDigest(), r.teacherDigest())) {
                throw new ConfigException(files.get(i) + ": seed " + r.seed() + "'s teacher (digest " + r.teacherDigest()
                        + ") is not the first config's (" + first.teacherDigest() + "); load the same teacher file");
            }
            for (ModelResult m : r.models()) {
                if (m.name().equals(TEACHER) || m.name().equals(SCRATCH)) {
                    continue;
                }
                String name = models.stream().anyMatch(x -> x.name().equals(m.name()))
                        ? m.name() + " (" + r.config().name() + ")" : m.name();
                models.add(new ModelResult(name, m.role(), m.method(), m.architecture(), m.parameters(), m.sizeBytes(),
                        m.weightsDigest(), m.file(), m.loaded(), m.trainSeconds(), m.skippedBatches(), m.history(),
                        m.metrics()));
            }
            seconds += r.totalSeconds();
        }
        String ids = String.join(" + ", ofSeed.stream().map(RunRecord::runId).toList());
        return new RunRecord(first.formatVersion(), ids, first.createdAt(), first.versions(), first.seed(),
                first.config(), first.dataDigests(), first.dataSizes(), first.teacherDigest(), models, seconds,
                first.schemeResults(), first.provenance(), first.sittings(), first.data());
    }

    /** {@code c} without its scratch student: the first config's is every row's baseline. */
    static RunConfig withoutBaseline(RunConfig c) {
        org.distill4j.config.StudentSpec s = c.student();
        return new RunConfig(c.name(), c.seed(), c.data(), c.teacher(), c.teachers(),
                new org.distill4j.config.StudentSpec(s.model(), s.train(), s.method(), false, s.knowledge(),
                        s.fidelityEachEpoch(), s.knowledgeStore()), c.checkpoint(), c.scheme());
    }

    /** Each config's name → its student method as configured (what the rows were tuned to). */
    static Map<String, String> methods(List<RunConfig> bases) {
        Map<String, String> m = new LinkedHashMap<>();
        bases.forEach(b -> m.put(b.name(), String.valueOf(b.student().method())));
        return m;
    }

    private static final Map<String, ToDoubleFunction<ModelResult>> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("test accuracy %", m -> 100 * m.metrics().testAccuracy());
        COLUMNS.put("validation accuracy %", m -> 100 * lastValidation(m));
        COLUMNS.put("agreement test %", m -> m.metrics().agreementTest() == null ? Double.NaN
                : 100 * m.metrics().agreementTest());
        COLUMNS.put("agreement train %", m -> m.metrics().agreementTrain() == null ? Double.NaN
                : 100 * m.metrics().agreementTrain());
        COLUMNS.put("KL(t‖s) test", m -> m.metrics().klTest() == null ? Double.NaN : m.metrics().klTest());
        COLUMNS.put("ECE", m -> m.metrics().expectedCalibrationError());
    }

    /**
     * The validation accuracy after the last epoch (what the tables tune on, never the test set);
     * NaN for a loaded network or a run without a validation split.
     */
    static double lastValidation(ModelResult m) {
        for (int i = m.history().size() - 1; i >= 0; i--) {
            double v = m.history().get(i).validationAccuracy();
            if (!Double.isNaN(v)) {
                return v;
            }
        }
        return Double.NaN;
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

    static String markdown(List<RunConfig> bases, List<RunRecord> records, int threads, int seedsAsked) {
        RunConfig base = bases.get(0);
        StringBuilder b = new StringBuilder();
        RunRecord first = records.get(0);
        b.append(String.format(Locale.ROOT,
                "Config%s %s, %d seed%s %s; %,d training / %,d validation / %,d test images; mean ± sample std; "
                        + "PyTorch intra-op threads: %d; the runs took %.0f s of training and evaluation (their "
                        + "sittings summed); %s.%s%n%n",
                bases.size() > 1 ? "s" : "", String.join(", ", bases.stream().map(c -> "`" + c.name() + "`").toList()),
                records.size(), records.size() == 1 ? "" : "s",
                records.stream().map(r -> String.valueOf(r.seed())).toList(),
                first.dataSizes().get("train"), first.dataSizes().get("validation"), first.dataSizes().get("test"),
                threads, records.stream().mapToDouble(RunRecord::totalSeconds).sum(), first.versions(),
                records.size() < seedsAsked ? String.format(Locale.ROOT, " **%d of %d seeds finished**: the rest run "
                        + "with `--resume`.", records.size(), seedsAsked) : ""));
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
        b.append(String.format(Locale.ROOT, "%n%s: 100·(acc − acc_%s) / (acc_%s − acc_%s) on the test set, per seed, "
                + "then mean ± std. Validation accuracy: after the last epoch, on the validation split.%n",
                GAP, SCRATCH, TEACHER, SCRATCH));
        b.append("\nMethods:");
        methods(bases).forEach((k, v) -> b.append(" `").append(k).append("` ").append(v).append(';'));
        b.setLength(b.length() - 1);
        b.append(".\n");
        return b.toString();
    }

    /** A table cell {@code " mean ± std |"}, or {@code " — |"} where there is no value. */
    private static String cell(double[] v, String format) {
        return v == null || Double.isNaN(mean(v)) ? " — |"
                : String.format(Locale.ROOT, " " + format + " ± " + format + " |", mean(v), std(v));
    }

    private static double[] values(List<RunRecord> records, String model, ToDoubleFunction<ModelResult> f) {
        return records.stream().mapToDouble(r -> f.applyAsDouble(r.model(model))).toArray();
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

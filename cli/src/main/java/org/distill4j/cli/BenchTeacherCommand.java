package org.distill4j.cli;

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
import org.distill4j.io.AtomicFile;
import org.distill4j.io.Provenance;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill bench teacher}: the reference teacher the tables load. One run config (default
 * {@code bench/teacher/reference.yaml}) is trained for seeds 1…N; the table gives each seed's test
 * accuracy and their mean ± sample std. As soon as seed {@code --keep} (default 1) has finished,
 * its network is copied to {@code --file} (default {@code bench/teacher/reference.model}) with a
 * sidecar {@code <file>.json}: its SHA-256 and weights digest (the {@code teacherDigest} of every
 * run that loads it), seed, accuracy, the config's digest and the command that rebuilds it. Tables
 * then {@code load:} that file rather than train a teacher of their own.
 *
 * <p>Across sittings: every finished seed's record is copied to {@code <file stem>-seeds/seed<N>.json}
 * (files to commit beside the kept network) and the table is rewritten after each seed. With
 * {@code --resume}, a seed whose committed record was made from the same config is read from it
 * (in a fresh checkout too, where {@code runs/} is empty), an interrupted one resumes from its
 * checkpoints through {@code <runs>/bench-teacher/runs.json} ({@link BenchIndex}), and only the
 * missing seeds train.
 */
@Command(name = "teacher", mixinStandardHelpOptions = true,
        description = "Train the reference teacher for several seeds (mean ± std) and keep one seed's network for the tables.")
final class BenchTeacherCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "the teacher's run config (default: ${DEFAULT-VALUE})", defaultValue = "bench/teacher/reference.yaml")
    Path config;

    @Option(names = "--seeds", defaultValue = "3", description = "seeds 1…N (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--keep", defaultValue = "1", description = "the seed whose network is kept (default: ${DEFAULT-VALUE})")
    int keep;

    @Option(names = "--model", defaultValue = "teacher", description = "the model of the runs kept (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--file", paramLabel = "FILE", defaultValue = "bench/teacher/reference.model",
            description = "where the kept network goes, with FILE.json beside it (default: ${DEFAULT-VALUE})")
    Path file;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR",
            description = "where <config name>.md/json go (default: ${DEFAULT-VALUE}; bench/teacher/reference.yaml → teacher-reference.md)")
    Path outDir;

    @Option(names = "--resume", description = "continue the runs of an earlier bench teacher of the same config "
            + "(finished seeds are read back, an interrupted one resumes from its checkpoints); without it every seed runs anew")
    boolean resume;

    @Mixin
    RunOptions options;

    @ParentCommand
    BenchCommand bench;

    @Override
    public Integer call() throws Exception {
        if (seeds < 1) {
            throw new ConfigException("--seeds: must be ≥ 1 (got " + seeds + ")");
        }
        if (keep < 1 || keep > seeds) {
            throw new ConfigException("--keep: must be one of the seeds 1…" + seeds + " (got " + keep + ")");
        }
        PrintStream err = bench.main.err;
        PrintStream out = bench.main.out;
        RunConfig base = ConfigLoader.load(config);
        AtomicFile.createDirectories(outDir); // a bad --out fails now, not after hours of training
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            AtomicFile.createDirectories(parent);
        }
        options.setUpThreads(err);
        Path work = options.runs.resolve("bench-teacher");
        AtomicFile.createDirectories(work);
        Path seedRecords = seedRecords(file);
        AtomicFile.createDirectories(seedRecords);
        ai.djl.engine.Engine.getInstance();
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        String name = table(config);
        List<RunRecord> records = new ArrayList<>();
        try (org.distill4j.io.RunLock lock = TrainCommand.locked(work, bench.main)) {
            BenchIndex index = BenchIndex.open(work, options, bench.main, err);
            for (int s = 1; s <= seeds; s++) {
                RunConfig cfg = base.withSeed(s);
                Path committed = seedRecords.resolve("seed" + s + ".json");
                RunRecord r = resume ? committedRecord(committed, cfg) : null;
                Path dir = null;
                if (r != null) {
                    err.println("seed " + s + "/" + seeds + " → " + committed + ": finished earlier");
                } else {
                    String key = "seed" + s + "/" + cfg.digest().substring(0, 16);
                    if (!resume) {
                        index.forget(key);
                    }
                    dir = index.runOrRead(key, cfg, config.toAbsolutePath().toString(), base.name() + "-seed" + s,
                            "seed " + s + "/" + seeds + " → ");
                    r = BenchIndex.copyRecord(dir, committed);
                    if (r.models().stream().noneMatch(m -> m.name().equals(model))) {
                        throw new ConfigException("--model: '" + model + "' is not a model of " + dir + " (it has "
                                + r.models().stream().map(ModelResult::name).toList() + ")");
                    }
                }
                records.add(r);
                if (s == keep) {
                    keep(r, dir, err);
                }
                // the table so far: a bench stopped later still leaves the seeds it finished tabulated
                String md = markdown(base, records, model, threads, keep, file, seeds);
                Map<String, Object> summary = summary(records, model, threads);
                AtomicFile.writeString(outDir.resolve(name + ".md"), md);
                AtomicFile.write(outDir.resolve(name + ".json"), o -> RunRecord.JSON.writeValue(o, summary));
            }
        } catch (org.distill4j.train.StoppedException e) {
            err.println(e.getMessage() + "; run the same bench teacher with --resume to continue");
            return "SIGINT".equals(e.reason()) ? Main.STOPPED_BY_SIGINT : Main.STOPPED_BY_SIGTERM;
        }
        out.println(markdown(base, records, model, threads, keep, file, seeds));
        out.println("kept " + file + " (seed " + keep + ") and " + file + ".json; seed records in " + seedRecords);
        out.println("written " + outDir.resolve(name + ".md") + " and " + outDir.resolve(name + ".json"));
        return 0;
    }

    /**
     * Where each finished seed's record is copied ({@code bench/teacher/reference-seeds/seed<N>.json}
     * for {@code reference.model}): files to commit, so that {@code --resume} in a fresh checkout,
     * whose {@code runs/} is empty, trains only the seeds still missing.
     */
    static Path seedRecords(Path file) {
        String f = file.getFileName().toString();
        String stem = f.endsWith(".model") ? f.substring(0, f.length() - 6) : f;
        Path parent = file.getParent();
        return parent == null ? Path.of(stem + "-seeds") : parent.resolve(stem + "-seeds");
    }

    /** The committed record of a finished seed, if there is one made from this very config; else null. */
    private RunRecord committedRecord(Path committed, RunConfig cfg) throws java.io.IOException, ConfigException {
        RunRecord r = BenchIndex.committedRecord(committed, cfg, bench.main.err);
        if (r != null && r.models().stream().noneMatch(m -> m.name().equals(model))) {
            throw new ConfigException("--model: '" + model + "' is not a model of " + committed);
        }
        return r;
    }

    /**
     * Copies the kept seed's network to {@code --file} with its sidecar; a seed read back from its
     * committed record (no run directory) keeps the file already there, which must be that network.
     */
    private void keep(RunRecord kept, Path dir, PrintStream err) throws Exception {
        ModelResult m = kept.model(model);
        Path sidecarFile = Path.of(file + ".json");
        if (dir == null) {
            com.fasterxml.jackson.databind.JsonNode side = Files.exists(file) && Files.exists(sidecarFile)
                    ? RunRecord.JSON.readTree(sidecarFile.toFile()) : null;
            if (side == null || !m.weightsDigest().equals(side.path("weightsDigest").asText())
                    || !Provenance.sha256(file).equals(side.path("sha256").asText())) {
                throw new ConfigException("--resume: seed " + keep + "'s record is committed but " + file
                        + " is missing or is not its network; run bench teacher without --resume to train it again");
            }
            return;
        }
        byte[] bytes = Files.readAllBytes(dir.resolve(m.file()));
        AtomicFile.write(file, o -> o.write(bytes));
        Map<String, Object> sidecar = new LinkedHashMap<>();
        sidecar.put("file", file.getFileName().toString());
        sidecar.put("sha256", Provenance.sha256(file));
        sidecar.put("bytes", bytes.length);
        sidecar.put("weightsDigest", m.weightsDigest());
        sidecar.put("architecture", m.architecture());
        sidecar.put("parameters", m.parameters());
        sidecar.put("seed", keep);
        sidecar.put("testAccuracy", m.metrics().testAccuracy());
        sidecar.put("config", config.toString());
        sidecar.put("configDigest", kept.config().digest());
        sidecar.put("run", kept.runId());
        sidecar.put("versions", kept.versions());
        sidecar.put("rebuild", "./distill bench teacher -c " + config + " --seeds " + seeds + " --keep " + keep
                + " --file " + file);
        AtomicFile.write(sidecarFile, o -> RunRecord.JSON.writerWithDefaultPrettyPrinter().writeValue(o, sidecar));
        err.println("kept " + file + " (seed " + keep + " of " + dir + ")");
    }

    /** {@code bench/teacher/reference.yaml} → {@code teacher-reference}. */
    static String table(Path config) {
        String f = config.getFileName().toString();
        return "teacher-" + (f.endsWith(".yaml") ? f.substring(0, f.length() - 5) : f.endsWith(".yml")
                ? f.substring(0, f.length() - 4) : f);
    }

    static Map<String, Object> summary(List<RunRecord> records, String model, int threads) {
        double[] acc = records.stream().mapToDouble(r -> 100 * r.model(model).metrics().testAccuracy()).toArray();
        Map<String, Object> out = BenchKdCommand.runFacts(records, threads);
        out.put("architecture", records.get(0).model(model).architecture());
        out.put("parameters", records.get(0).model(model).parameters());
        out.put("testAccuracy", Map.of("values", acc, "mean", BenchKdCommand.mean(acc), "std", BenchKdCommand.std(acc)));
        return out;
    }

    static String markdown(RunConfig base, List<RunRecord> records, String model, int threads, int keep, Path file,
            int seeds) {
        RunRecord first = records.get(0);
        ModelResult m = first.model(model);
        double[] acc = records.stream().mapToDouble(r -> 100 * r.model(model).metrics().testAccuracy()).toArray();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
                "Reference teacher: config `%s`, model `%s` (%s, %,d parameters); %d seed%s %s; %,d training / %,d "
                        + "validation / %,d test images; PyTorch intra-op threads: %d; the runs took %.0f s of training "
                        + "and evaluation (their sittings summed); %s. Seed %d's network is kept as `%s`.%s%n%n",
                base.name(), model, m.architecture(), m.parameters(), records.size(), records.size() == 1 ? "" : "s",
                records.stream().map(r -> String.valueOf(r.seed())).toList(), first.dataSizes().get("train"),
                first.dataSizes().get("validation"), first.dataSizes().get("test"), threads,
                records.stream().mapToDouble(RunRecord::totalSeconds).sum(), first.versions(), keep, file,
                records.size() < seeds ? String.format(Locale.ROOT, " **%d of %d seeds finished**: the rest run with "
                        + "`--resume`.", records.size(), seeds) : ""));
        b.append("| seed | test accuracy % | best validation accuracy % | ECE | epochs | train s |\n");
        b.append("|---:|---:|---:|---:|---:|---:|\n");
        for (RunRecord r : records) {
            ModelResult x = r.model(model);
            double bestVal = x.history().stream().mapToDouble(e -> e.validationAccuracy()).filter(v -> !Double.isNaN(v))
                    .max().orElse(Double.NaN);
            b.append(String.format(Locale.ROOT, "| %d | %.2f | %s | %.4f | %d | %.0f |%n", r.seed(),
                    100 * x.metrics().testAccuracy(), Double.isNaN(bestVal) ? "—" : String.format(Locale.ROOT, "%.2f",
                            100 * bestVal), x.metrics().expectedCalibrationError(), x.history().size(), x.trainSeconds()));
        }
        b.append(String.format(Locale.ROOT, "| mean ± std | %.2f ± %.2f | | | | |%n", BenchKdCommand.mean(acc),
                BenchKdCommand.std(acc)));
        return b.toString();
    }
}

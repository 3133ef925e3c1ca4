package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
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
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.io.AtomicFile;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.report.RunRecord;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.NonFiniteLossException;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill bench methods}: the method table in the style of the CRD/RepDistiller benchmark.
 * Rows are methods, columns teacher → student pairs; every cell trains the pair's student with the
 * same schedule from the same initial weights (per seed) and reports test accuracy (mean ± sample
 * std over seeds) and top-1 agreement with the teacher. The teacher is trained once; its outputs
 * and the taps the methods read are stored once per pair (the knowledge store). Finished cells are
 * saved as they complete, so an interrupted bench continues where it stopped.
 */
@Command(name = "methods", mixinStandardHelpOptions = true,
        description = "Every distillation method on teacher → student pairs over several seeds: the method table.")
final class BenchMethodsCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, defaultValue = "bench/methods.yaml", paramLabel = "FILE",
            description = "bench config (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--seeds", defaultValue = "3", description = "seeds 1…N per cell (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--teacher", paramLabel = "FILE", description = "use this saved teacher instead of training one")
    Path teacherFile;

    @Option(names = "--only", paramLabel = "ROW", split = ",", description = "run only these rows (e.g. none,kd,crd)")
    List<String> only;

    @Option(names = "--work", defaultValue = "runs/bench-methods", paramLabel = "DIR",
            description = "teacher, knowledge stores and finished cells (default: ${DEFAULT-VALUE})")
    Path work;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR", description = "where methods.md/json go")
    Path outDir;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory (default: as for train)")
    Path data;

    @ParentCommand
    BenchCommand bench;

    /** One finished cell. */
    record Cell(String row, String pair, long seed, String status, double testAccuracy, double agreement,
            double klTest, double seconds, String note, String setup) {}

    @Override
    public Integer call() throws Exception {
        if (seeds < 1) {
            throw new ConfigException("--seeds: must be ≥ 1 (got " + seeds + ")");
        }
        PrintStream err = bench.main.err;
        PrintStream out = bench.main.out;
        MethodsBenchSpec spec = ConfigLoader.load(config, MethodsBenchSpec.class);
        List<String> rows = only == null ? spec.rows() : spec.rows().stream().filter(only::contains).toList();
        if (rows.isEmpty()) {
            throw new ConfigException("--only " + only + " matches no row of " + spec.rows());
        }
        AtomicFile.createDirectories(outDir); // a bad --out fails now, not after the cells
        AtomicFile.createDirectories(work);
        // one bench at a time in a work directory: its teacher, stores and cells are written by one process
        try (org.distill4j.io.RunLock lock = TrainCommand.locked(work, bench.main)) {
            return runCells(spec, rows, err, out);
        }
    }

    private int runCells(MethodsBenchSpec spec, List<String> rows, PrintStream err, PrintStream out) throws Exception {
        FashionMnist.Splits splits = FashionMnist.load(DataLocator.locate(data, err));
        Dataset.Split full = splits.train().split(spec.data().validation(), Seeds.derive(0, "split"));
        Dataset subset = spec.data().trainLimit() > 0
                ? full.train().head(Math.min(spec.data().trainLimit(), full.train().size())) : full.train();
        Dataset test = splits.test();
        Path cellsFile = work.resolve("cells.json");
        // A finished cell is reused only if everything it depends on is unchanged: the data, the
        // teacher and the schedule (here), and its own student and method (the cell's setup).
        String digest = digest(List.of(spec.data(), spec.teacher(), spec.train()));
        Map<String, Cell> cells = readCells(cellsFile, digest, err);

        try (NDManager root = NDManager.newBaseManager()) {
            Network teacher = teacher(spec, full, root, err);
            teacher.freeze();
            Predictions teacherTest = Predictions.of(teacher, test, root);
            double teacherAccuracy = Metrics.accuracy(teacherTest, test.labels());
            err.printf(Locale.ROOT, "teacher %s: test accuracy %.2f%%%n", spec.teacher().model().describe(),
                    100 * teacherAccuracy);
            int total = spec.pairs().size() * seeds * rows.size();
            int done = 0;
            long started = System.nanoTime();
            int trainedNow = 0;
            for (MethodsBenchSpec.Pair pair : spec.pairs()) {
                KnowledgeStore store = null;
                for (long seed = 1; seed <= seeds; seed++) {
                    for (String row : rows) {
                        done++;
                        String key = pair.name() + "|" + row + "|" + seed;
                        MethodSpec method = pair.methods().get(row);
                        String setup = digest(List.of(pair.student(), method == null ? "n/a" : method));
                        if (cells.containsKey(key) && setup.equals(cells.get(key).setup())) {
                            continue;
                        }
                        Cell cell;
                        if (method == null) {
                            cell = new Cell(row, pair.name(), seed, "n/a", Double.NaN, Double.NaN, Double.NaN, 0,
                                    pair.notApplicable().get(row), setup);
                        } else {
                            if (store == null) {
                                store = store(pair, teacher, subset, root, err);
                            }
                            cell = train(pair, row, method, seed, spec, teacher, store, subset, test, teacherTest, root,
                                    setup);
                            trainedNow++;
                        }
                        cells.put(key, cell);
                        writeCells(cellsFile, digest, cells);
                        double elapsed = (System.nanoTime() - started) / 1e9;
                        int left = total - done;
                        err.printf(Locale.ROOT, "[%d/%d] %-22s %-5s seed %d: %s%s · eta %s%n", done, total, pair.name(),
                                row, seed, cell.status().equals("ok")
                                        ? String.format(Locale.ROOT, "%.2f%% (agree %.2f%%) in %.0f s",
                                                100 * cell.testAccuracy(), 100 * cell.agreement(), cell.seconds())
                                        : cell.status(),
                                cell.note() == null ? "" : " — " + cell.note(),
                                trainedNow == 0 ? "?" : String.format(Locale.ROOT, "%.0f min",
                                        elapsed / trainedNow * left / 60));
                    }
                }
            }
            teacher.close();
            Map<String, Object> json = summary(spec, rows, cells, teacherAccuracy, seeds);
            String md = markdown(spec, rows, json, subset.size());
            AtomicFile.writeString(outDir.resolve("methods.md"), md);
            AtomicFile.write(outDir.resolve("methods.json"), o -> RunRecord.JSON.writeValue(o, json));
            out.println(md);
            out.println("written " + outDir.resolve("methods.md") + " and " + outDir.resolve("methods.json"));
        }
        return 0;
    }

    /** The teacher: --teacher, else the one trained earlier into the work directory, else trained now. */
    private Network teacher(MethodsBenchSpec spec, Dataset.Split full, NDManager root, PrintStream err)
            throws Exception {
        if (teacherFile != null) {
            return Network.load(teacherFile, spec.teacher().model(), root);
        }
        if (spec.teacher().load() != null) {
            return Network.load(Path.of(spec.teacher().load()), spec.teacher().model(), root);
        }
        Path file = work.resolve("teacher-" + digest(spec.teacher()).substring(0, 12) + ".model");
        if (Files.exists(file)) {
            err.println("teacher from " + file);
            return Network.load(file, spec.teacher().model(), root);
        }
        err.println("training the teacher " + spec.teacher().model().describe() + " on " + full.train().size()
                + " images (once; saved to " + file + ")");
        Seeds.apply(Seeds.derive(1, "teacher"));
        Network teacher = Network.create(spec.teacher().model(), full.train().sampleShape(), full.train().numClasses(),
                root);
        try (ProgressListener progress = new ProgressListener(err)) {
            SoloPhase.train(root, progress, "teacher", teacher, spec.teacher().train(), new NoDistillation().objective(),
                    null, full.train(), full.validation(), Seeds.derive(1, "teacher-shuffle"));
        }
        teacher.save(file);
        return teacher;
    }

    /** The teacher's logits and every tap this pair's methods read, computed once for the subset. */
    private KnowledgeStore store(MethodsBenchSpec.Pair pair, Network teacher, Dataset subset, NDManager root,
            PrintStream err) throws Exception {
        Set<String> taps = new LinkedHashSet<>(List.of(Outputs.LOGITS));
        for (MethodSpec m : pair.methods().values()) {
            DistillationLoss probe = m.objective();
            if (!probe.needsTeacher()) {
                continue;
            }
            try (Network s = Network.create(pair.student(), subset.sampleShape(), subset.numClasses(), root);
                    Adapters scratch = new Adapters(root)) {
                probe.bind(new Binding(s.tapShapes("student"), teacher.tapShapes("teacher"), subset.size(),
                        subset.idBound(), scratch));
                taps.addAll(probe.teacherTaps());
            } catch (TapException e) {
                // reported as n/a when the cell runs
            }
        }
        String name = pair.name().replaceAll("[^A-Za-z0-9]+", "-");
        List<String> ordered = KnowledgeStore.tapsToStore(teacher, taps);
        return KnowledgeStore.openOrBuild(work.resolve("knowledge-" + name + ".safetensors"), teacher, subset,
                ordered, "normalise(mean=" + Dataset.MEAN + ",std=" + Dataset.STD + ");augment=none",
                root, err::println);
    }

    private Cell train(MethodsBenchSpec.Pair pair, String row, MethodSpec method, long seed, MethodsBenchSpec spec,
            Network teacher, KnowledgeStore store, Dataset subset, Dataset test, Predictions teacherTest,
            NDManager root, String setup) throws Exception {
        long t0 = System.nanoTime();
        // The same initial weights and batch order for every row of a seed: only the method differs.
        Seeds.apply(Seeds.derive(seed, "student"));
        try (Network student = Network.create(pair.student(), subset.sampleShape(), subset.numClasses(), root)) {
            DistillationLoss loss = method.objective();
            try {
                SoloPhase.train(root, TrainListener.NONE, row, student, spec.train(), loss,
                        loss.needsTeacher() ? store : null, subset, subset.head(0), Seeds.derive(seed, "shuffle"));
            } catch (TapException e) {
                return new Cell(row, pair.name(), seed, "n/a", Double.NaN, Double.NaN, Double.NaN, 0, e.getMessage(),
                        setup);
            } catch (NonFiniteLossException e) {
                return new Cell(row, pair.name(), seed, "diverged", Double.NaN, Double.NaN, Double.NaN,
                        (System.nanoTime() - t0) / 1e9, e.getMessage(), setup);
            }
            Predictions p = Predictions.of(student, test, root);
            return new Cell(row, pair.name(), seed, "ok", Metrics.accuracy(p, test.labels()),
                    Metrics.agreement(teacherTest, p), Metrics.klDivergence(teacherTest, p),
                    (System.nanoTime() - t0) / 1e9, null, setup);
        }
    }

    static Map<String, Object> summary(MethodsBenchSpec spec, List<String> rows, Map<String, Cell> cells,
            double teacherAccuracy, int seeds) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("teacher", spec.teacher().model().describe());
        json.put("teacherTestAccuracy", teacherAccuracy);
        json.put("schedule", spec.train());
        json.put("data", spec.data());
        json.put("intraOpThreads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        Map<String, Object> table = new LinkedHashMap<>();
        for (String row : rows) {
            Map<String, Object> byPair = new LinkedHashMap<>();
            for (MethodsBenchSpec.Pair pair : spec.pairs()) {
                List<Cell> mine = cells.values().stream()
                        .filter(c -> c.row().equals(row) && c.pair().equals(pair.name()) && c.seed() <= seeds).toList();
                Map<String, Object> agg = new LinkedHashMap<>();
                double[] acc = mine.stream().filter(c -> c.status().equals("ok")).mapToDouble(Cell::testAccuracy).toArray();
                double[] agree = mine.stream().filter(c -> c.status().equals("ok")).mapToDouble(Cell::agreement).toArray();
                agg.put("method", pair.methods().get(row));
                agg.put("cells", mine);
                if (acc.length > 0) {
                    agg.put("testAccuracyMean", BenchKdCommand.mean(acc));
                    agg.put("testAccuracyStd", acc.length > 1 ? BenchKdCommand.std(acc) : 0.0);
                    agg.put("agreementMean", BenchKdCommand.mean(agree));
                    agg.put("seeds", acc.length);
                }
                byPair.put(pair.name(), agg);
            }
            table.put(row, byPair);
        }
        json.put("table", table);
        return json;
    }

    @SuppressWarnings("unchecked")
    static String markdown(MethodsBenchSpec spec, List<String> rows, Map<String, Object> json, int trainSize) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Teacher %s (test accuracy %.2f%%). Every cell: %d training images, %d epochs, "
                + "batch %d, %s, same initial weights per seed; test accuracy %% on the 10,000 test images, mean ± sample "
                + "std over seeds, and top-1 agreement with the teacher %% (mean). PyTorch intra-op threads: %s.%n%n",
                json.get("teacher"), 100 * (Double) json.get("teacherTestAccuracy"), trainSize, spec.train().epochs(),
                spec.train().batchSize(), spec.train().optimizer() + ", " + spec.train().schedule(),
                json.get("intraOpThreads")));
        b.append("| method |");
        for (MethodsBenchSpec.Pair p : spec.pairs()) {
            b.append(' ').append(p.name()).append(" (").append(p.student().describe()).append(") | agreement |");
        }
        b.append("\n|---|");
        spec.pairs().forEach(p -> b.append("---:|---:|"));
        b.append('\n');
        Map<String, Object> table = (Map<String, Object>) json.get("table");
        for (String row : rows) {
            b.append("| ").append(row).append(" |");
            Map<String, Object> byPair = (Map<String, Object>) table.get(row);
            for (MethodsBenchSpec.Pair p : spec.pairs()) {
                Map<String, Object> agg = (Map<String, Object>) byPair.get(p.name());
                if (agg.containsKey("testAccuracyMean")) {
                    b.append(String.format(Locale.ROOT, " %.2f ± %.2f | %.2f |", 100 * (Double) agg.get("testAccuracyMean"),
                            100 * (Double) agg.get("testAccuracyStd"), 100 * (Double) agg.get("agreementMean")));
                } else {
                    List<Cell> cs = (List<Cell>) agg.get("cells");
                    String status = cs.isEmpty() ? "—" : cs.get(0).status();
                    b.append(' ').append(status).append(" | |");
                }
            }
            b.append('\n');
        }
        List<String> notes = new ArrayList<>();
        for (MethodsBenchSpec.Pair p : spec.pairs()) {
            p.notApplicable().forEach((row, why) -> notes.add("- " + row + " on " + p.name() + ": n/a — " + why));
        }
        if (!notes.isEmpty()) {
            b.append('\n').append(String.join("\n", notes)).append('\n');
        }
        return b.toString();
    }

    private static String digest(Object o) throws Exception {
        byte[] canonical = RunRecord.JSON.writeValueAsBytes(o);
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(canonical));
    }

    /** Finished cells of an earlier, interrupted bench with the same config; others are ignored. */
    private static Map<String, Cell> readCells(Path file, String digest, PrintStream err) throws Exception {
        Map<String, Cell> cells = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return cells;
        }
        try {
            JsonNode node = RunRecord.JSON.readTree(file.toFile());
            if (!digest.equals(node.path("configDigest").asText())) {
                err.println(file + " was written for another bench config: starting afresh");
                return cells;
            }
            for (JsonNode c : node.path("cells")) {
                Cell cell = RunRecord.JSON.treeToValue(c, Cell.class);
                cells.put(cell.pair() + "|" + cell.row() + "|" + cell.seed(), cell);
            }
        } catch (java.io.IOException e) {
            throw new java.io.IOException("cannot read the finished cells " + file + " (" + e.getMessage()
                    + "): repair or delete it (its cells are then trained again)", e);
        }
        err.println("continuing: " + cells.size() + " cells finished earlier (" + file + ")");
        return cells;
    }

    private static void writeCells(Path file, String digest, Map<String, Cell> cells) throws Exception {
        ObjectNode node = RunRecord.JSON.createObjectNode();
        node.put("configDigest", digest);
        node.set("cells", RunRecord.JSON.valueToTree(new ArrayList<>(cells.values())));
        AtomicFile.write(file, o -> RunRecord.JSON.writeValue(o, node));
    }
}

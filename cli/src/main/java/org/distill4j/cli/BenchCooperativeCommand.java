package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.cooperative.Cooperation;
import org.distill4j.cooperative.CooperativeSpec;
import org.distill4j.data.DataSources;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.SourceSpec;
import org.distill4j.io.AtomicFile;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Seeds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill bench cooperative}: cooperative distillation (Livanos et al., AAAI 2024) across
 * kinds of learners ({@link Cooperation}), per data set of {@code bench/cooperative.yaml} and
 * seed: each learner's test accuracy alone, after each round, and distilled by plain KD from the
 * best learner. Each finished (data set, seed) is kept under {@code runs/bench-cooperative/};
 * with {@code --resume} those are read back instead of run again. Tables to
 * {@code bench/results/cooperative.md} and {@code .json}.
 */
@Command(name = "cooperative", mixinStandardHelpOptions = true,
        description = "Cooperative distillation across kinds of learners (tree, logistic regression, MLP, CNN).")
final class BenchCooperativeCommand implements Callable<Integer> {
    // Tribuo logs each fit at INFO through java.util.logging; held here, as loggers are weakly referenced
    private static final java.util.logging.Logger TRIBUO = java.util.logging.Logger.getLogger("org.tribuo");

    /**
     * The bench config.
     *
     * @param seeds the seeds (data subsets and splits, initial weights, batch order, picks)
     * @param datasets the data sets, each with its learners
     */
    record Spec(List<Long> seeds, List<Entry> datasets) {
        Spec {
            if (seeds == null || seeds.isEmpty() || datasets == null || datasets.isEmpty()) {
                throw new IllegalArgumentException("seeds and datasets: both are required and not empty");
            }
        }
    }

    /**
     * One data set: Fashion-MNIST ({@code source: fashion-mnist}, a seeded subset of {@code train}
     * + {@code validation} training images and the first {@code test} test images) or a CSV
     * ({@code source: csv}, {@code file} relative to the bench config, {@code label} its column;
     * a stratified {@code testFraction} carved out per seed, then {@code validationFraction} of
     * the rest).
     */
    record Entry(String name, String source, String file, String label, Integer train, Integer validation,
            Integer test, Double testFraction, Double validationFraction, String provenance,
            CooperativeSpec cooperative) {
        Entry {
            if (name == null || !("fashion-mnist".equals(source) || "csv".equals(source))) {
                throw new IllegalArgumentException("datasets: each needs a name and source fashion-mnist or csv (got "
                        + name + ", " + source + ")");
            }
            if ("csv".equals(source) && file == null) {
                throw new IllegalArgumentException("datasets." + name + ".file: a csv source needs its file");
            }
            if (cooperative == null) {
                throw new IllegalArgumentException("datasets." + name + ".cooperative: required (its learners)");
            }
        }
    }

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "bench/cooperative.yaml",
            description = "bench config (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--resume", description = "read back the (data set, seed) units already finished")
    boolean resume;

    @Option(names = "--seeds", paramLabel = "N", description = "only the first N seeds of the config")
    Integer seedLimit;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR",
            description = "where cooperative.md/json go (default: ${DEFAULT-VALUE})")
    Path outDir;

    @Option(names = "--runs", defaultValue = "runs", paramLabel = "DIR",
            description = "where the finished units are kept (default: ${DEFAULT-VALUE})")
    Path runs;

    @Option(names = "--data", paramLabel = "DIR", description = "the Fashion-MNIST directory")
    Path data;

    @ParentCommand
    BenchCommand bench;

    @Override
    public Integer call() throws Exception {
        TRIBUO.setLevel(java.util.logging.Level.WARNING);
        long t0 = System.nanoTime();
        PrintStream err = bench.main.err;
        Spec spec = ConfigLoader.load(config, Spec.class);
        List<Long> seeds = spec.seeds();
        if (seedLimit != null) {
            if (seedLimit < 1) {
                throw new ConfigException("--seeds: must be ≥ 1 (got " + seedLimit + ")");
            }
            seeds = seeds.subList(0, Math.min(seedLimit, seeds.size()));
        }
        Path work = AtomicFile.createDirectories(runs.resolve("bench-cooperative"));
        AtomicFile.createDirectories(outDir);
        ObjectNode json = RunRecord.JSON.createObjectNode();
        json.put("bench", "cooperative");
        ArrayNode seedList = json.putArray("seeds");
        seeds.forEach(seedList::add);
        ai.djl.engine.Engine.getInstance(); // loads the natives the thread count is read from
        json.put("intraOpThreads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        ArrayNode sets = json.putArray("datasets");
        double seconds = 0;
        for (Entry e : spec.datasets()) {
            ObjectNode set = sets.addObject();
            set.put("name", e.name());
            set.put("provenance", e.provenance());
            ArrayNode units = set.putArray("seeds");
            for (long seed : seeds) {
                Path unit = work.resolve(e.name() + "-seed" + seed + ".json");
                Path rounds = work.resolve(e.name() + "-seed" + seed + ".rounds.json");
                JsonNode entry = RunRecord.JSON.valueToTree(e);
                JsonNode done = resume && Files.exists(unit) ? RunRecord.JSON.readTree(unit.toFile()) : null;
                if (done != null && !entry.equals(done.get("config"))) {
                    err.println(e.name() + " seed " + seed + ": " + unit + " was made with another config: run again");
                    done = null;
                }
                if (done == null) {
                    if (!resume || !entry.equals(savedConfig(work, e, seed))) {
                        Files.deleteIfExists(rounds);
                    }
                    AtomicFile.writeString(work.resolve(e.name() + "-seed" + seed + ".config.json"),
                            RunRecord.JSON.writeValueAsString(entry));
                    long u0 = System.nanoTime();
                    ObjectNode o = RunRecord.JSON.createObjectNode();
                    o.put("seed", seed);
                    o.set("config", entry);
                    o.set("result", RunRecord.JSON.valueToTree(runOne(e, seed, err, new RoundFile(rounds))));
                    o.put("seconds", (System.nanoTime() - u0) / 1e9);
                    AtomicFile.writeString(unit, RunRecord.JSON.writeValueAsString(o));
                    Files.deleteIfExists(rounds);
                    done = o;
                } else {
                    err.println(e.name() + " seed " + seed + ": read back from " + unit);
                }
                seconds += done.get("seconds").asDouble();
                units.add(done);
            }
        }
        json.put("runSeconds", seconds);
        AtomicFile.writeString(outDir.resolve("cooperative.json"), RunRecord.JSON.writeValueAsString(json));
        String md = CooperativeTable.markdown(json, spec);
        AtomicFile.writeString(outDir.resolve("cooperative.md"), md);
        bench.main.out.print(md);
        err.printf(Locale.ROOT, "bench cooperative: %.0f s (this sitting)%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** The config an unfinished unit's saved rounds were made with, or null. */
    private static JsonNode savedConfig(Path work, Entry e, long seed) throws java.io.IOException {
        Path f = work.resolve(e.name() + "-seed" + seed + ".config.json");
        return Files.exists(f) ? RunRecord.JSON.readTree(f.toFile()) : null;
    }

    /** A unit's state after its last finished round, in a JSON file written atomically. */
    private record RoundFile(Path file) implements Cooperation.Rounds {
        @Override
        public Cooperation.State load() throws java.io.IOException {
            return Files.exists(file) ? RunRecord.JSON.readValue(file.toFile(), Cooperation.State.class) : null;
        }

        @Override
        public void save(Cooperation.State state) throws java.io.IOException {
            AtomicFile.writeString(file, RunRecord.JSON.writeValueAsString(state));
        }
    }

    private Cooperation.Result runOne(Entry e, long seed, PrintStream err, Cooperation.Rounds rounds)
            throws java.io.IOException {
        Dataset train;
        Dataset validation;
        Dataset test;
        if (e.source().equals("fashion-mnist")) {
            FashionMnist.Splits s = FashionMnist.load(FashionMnist.locate(data, System.getenv()));
            int nt = e.train() == null ? 3000 : e.train();
            int nv = e.validation() == null ? 500 : e.validation();
            int[] order = Dataset.shuffled(s.train().size(), Seeds.derive(seed, "subset"));
            train = s.train().subset(e.name() + "-train", java.util.Arrays.copyOfRange(order, 0, nt));
            validation = s.train().subset(e.name() + "-validation", java.util.Arrays.copyOfRange(order, nt, nt + nv));
            test = s.test().head(e.test() == null ? 2000 : e.test());
        } else {
            Path base = config.toAbsolutePath().getParent();
            DataSources.Loaded l = DataSources.load(SourceSpec.csv(e.file(), null, e.label()).withCarvedTest(
                    e.testFraction() == null ? 0.3 : e.testFraction(), Seeds.derive(seed, "test split"), true), base);
            Dataset.Split split = l.train().split(e.validationFraction() == null ? 0.2 : e.validationFraction(),
                    Seeds.derive(seed, "validation split"));
            train = split.train();
            validation = split.validation();
            test = l.test();
        }
        err.printf(Locale.ROOT, "%s seed %d: %d train / %d validation / %d test%n", e.name(), seed, train.size(),
                validation.size(), test.size());
        try (NDManager root = NDManager.newBaseManager()) {
            List<Cooperation.Member> members = e.cooperative().members(train.sampleShape(), train.numClasses(), root);
            try {
                return e.cooperative().cooperation().run(members, Cooperation.Data.of(train, validation, test), seed,
                        line -> err.println(e.name() + " seed " + seed + ": " + line), rounds);
            } finally {
                members.forEach(m -> m.learner().close());
            }
        }
    }

    /** Rows of the table, kept apart from the running. */
    static final class CooperativeTable {
        private CooperativeTable() {}

        static String markdown(JsonNode json, Spec spec) {
            StringBuilder md = new StringBuilder("# Cooperative distillation across kinds of learners\n\n");
            md.append(String.format(Locale.ROOT, "Test accuracy %% per learner, mean ± sample std over %d seed(s) %s "
                    + "(a seed sets the data subset and splits, initial weights, batch order and which disagreements "
                    + "are searched). Each learner alone (round 0), after each cooperative round, and distilled by "
                    + "plain KD from the best learner alone (by validation accuracy; targets 0.5·f_best + 0.5·y; "
                    + "the best learner's own KD cell is its accuracy alone, where it is the best). "
                    + "PyTorch intra-op threads: %s. The units took %.0f s in all (a shared machine: not a speed "
                    + "figure).%n%n", json.get("seeds").size(),
                    json.get("seeds"), json.get("intraOpThreads"), json.get("runSeconds").asDouble()));
            for (JsonNode set : json.get("datasets")) {
                JsonNode units = set.get("seeds");
                JsonNode first = units.get(0).get("result");
                int rounds = first.get("accuracy").size() - 1;
                md.append("## ").append(set.get("name").asText()).append("\n\n");
                if (set.hasNonNull("provenance")) {
                    md.append(set.get("provenance").asText()).append("\n\n");
                }
                Entry e = spec.datasets().stream().filter(x -> x.name().equals(set.get("name").asText())).findFirst()
                        .orElse(null);
                if (e != null) {
                    md.append(String.format(Locale.ROOT, "Rounds %d, at most %d virtual instances per ordered pair "
                            + "and round, search steps %d, stop confidence %.2f, mix %.2f. Best learner alone per seed: %s.%n%n",
                            e.cooperative().rounds(), e.cooperative().maxVirtual(), e.cooperative().searchSteps(),
                            e.cooperative().stopConfidence(), e.cooperative().mix(), bests(units)));
                }
                md.append("| learner | kind and view | alone |");
                for (int r = 1; r <= rounds; r++) {
                    md.append(" round ").append(r).append(" |");
                }
                md.append(" KD from best | Δ last round − alone | Δ last round − KD |\n|---|---|---:|");
                md.append("---:|".repeat(rounds)).append("---:|---:|---:|\n");
                first.get("learners").fieldNames().forEachRemaining(name -> {
                    md.append("| ").append(name).append(" | ").append(first.get("learners").get(name).asText())
                            .append(" |");
                    for (int r = 0; r <= rounds; r++) {
                        int round = r;
                        md.append(' ').append(stat(units, u -> u.get("accuracy").get(round).get(name).asDouble()))
                                .append(" |");
                    }
                    md.append(' ').append(stat(units, u -> u.get("kd").get(name).asDouble())).append(" |");
                    md.append(' ').append(stat(units, u -> u.get("accuracy").get(rounds).get(name).asDouble()
                            - u.get("accuracy").get(0).get(name).asDouble())).append(" |");
                    md.append(' ').append(stat(units, u -> u.get("accuracy").get(rounds).get(name).asDouble()
                            - u.get("kd").get(name).asDouble())).append(" |\n");
                });
                md.append("\nVirtual instances made (sum over ordered pairs, mean over seeds) per round: ");
                List<String> made = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    int round = r;
                    double sumMade = 0;
                    double sumFound = 0;
                    for (JsonNode u : units) {
                        for (JsonNode x : u.get("result").get("exchanges").get(round)) {
                            sumMade += x.get("made").asDouble();
                            sumFound += x.get("disagreements").asDouble();
                        }
                    }
                    made.add(String.format(Locale.ROOT, "round %d: %.0f (of %.0f instances one learner got right and "
                            + "another wrong)", r + 1, sumMade / units.size(), sumFound / units.size()));
                }
                md.append(String.join("; ", made)).append(".\n\n");
            }
            return md.toString();
        }

        private static String bests(JsonNode units) {
            List<String> out = new ArrayList<>();
            units.forEach(u -> out.add(u.get("result").get("best").asText()));
            return String.join(", ", out);
        }

        private static String stat(JsonNode units, java.util.function.ToDoubleFunction<JsonNode> f) {
            double[] v = new double[units.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = 100 * f.applyAsDouble(units.get(i).get("result"));
            }
            double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
            double var = 0;
            for (double x : v) {
                var += (x - mean) * (x - mean);
            }
            double std = v.length > 1 ? Math.sqrt(var / (v.length - 1)) : 0;
            return String.format(Locale.ROOT, "%.2f ± %.2f", mean, std);
        }
    }
}

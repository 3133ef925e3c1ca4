package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigException;
import org.distill4j.config.RunConfig;
import org.distill4j.data.Dataset;
import org.distill4j.metric.EarlyExit;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.MultiExitSpec;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill evaluate RUN_DIR [--model NAME] [--early-exit T,…]}: evaluates a saved network of
 * a finished run on the run's test set. For a multi-exit network (scheme {@code byot}) it prints
 * every exit's accuracy, size and latency and, with {@code --early-exit}, what inference that
 * answers from the first exit whose top softmax probability reaches the threshold gives. A
 * quantised student (scheme {@code quantized}) is evaluated from its shipped {@code NAME.qmodel}; a ReAugKD
 * student (scheme {@code reaugkd}) with and without retrieval from its knowledge base.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a run's saved network on its test set: every exit of a multi-exit (byot) network, "
                + "and early-exit inference at confidence thresholds.")
final class EvaluateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "a run directory, e.g. runs/20261123-120000-byot")
    Path runDir;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "student-byot",
            description = "which saved network: RUN_DIR/NAME.model (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--early-exit", paramLabel = "THRESHOLD", split = ",",
            description = "answer from the first exit whose top softmax probability is ≥ THRESHOLD (0 = always the "
                    + "first exit, above 1 = always the last); several may be given, e.g. 0.5,0.9")
    List<Double> thresholds = new ArrayList<>();

    @Option(names = "--latency-samples", paramLabel = "N", defaultValue = "200",
            description = "test samples timed one at a time for early-exit latency (default: ${DEFAULT-VALUE})")
    int latencySamples;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory (as for train)")
    Path data;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        for (double t : thresholds) {
            if (!(t >= 0)) {
                throw new ConfigException("--early-exit: thresholds must be ≥ 0 (got " + t + ")");
            }
        }
        RunConfig cfg = RunDirectory.frozenConfig(runDir);
        if (Files.isRegularFile(runDir.resolve(org.distill4j.run.Experiment.RECORD))) {
            org.distill4j.run.TrainedModel m = ExportCommand.find(runDir, model);
            if (m.knowledgeBase() != null) {
                return evaluateWithRetrieval(cfg, m);
            }
        }
        Path file = runDir.resolve(model + ".model");
        if (!Files.exists(file)) {
            throw new IOException("no network " + file.getFileName() + " in " + runDir + "; it holds " + savedModels());
        }
        org.distill4j.run.RunData splits = DataLoader.load(cfg, data, main.err);
        int limit = cfg.data().testLimit();
        Dataset test = limit > 0 ? splits.test().head(Math.min(limit, splits.test().size())) : splits.test();
        Path shipped = runDir.resolve(model + org.distill4j.train.RunContext.QUANTIZED_SUFFIX);
        boolean quantized = Files.exists(shipped);
        try (NDManager root = NDManager.newBaseManager();
                Network net = quantized ? org.distill4j.model.QuantizedNetwork.load(shipped, root)
                        : Network.load(file, null, root)) {
            if (!(net.spec() instanceof MultiExitSpec spec)) {
                if (!thresholds.isEmpty()) {
                    throw new ConfigException("--early-exit needs a multi-exit network (scheme byot); " + model + " is a "
                            + net.spec().describe());
                }
                Predictions p = Predictions.of(net, test, root);
                main.out.printf(Locale.ROOT, "%s (%s%s): test accuracy %.2f%% on %d samples%n", model,
                        net.spec().describe(), quantized ? String.format(Locale.ROOT, ", loaded from the shipped %s of "
                                + "%,d bytes", shipped.getFileName(), Files.size(shipped)) : "",
                        100 * Metrics.accuracy(p, test.labels()), test.size());
                return 0;
            }
            main.err.println("evaluating " + model + " (" + net.spec().describe() + ") on " + test.size()
                    + " test samples");
            List<String> exits = spec.exitTaps();
            List<Predictions> perExit = EarlyExit.perExit(net, exits, test, root);
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"exit", "tap", "params", "test acc", "ms/sample b1"});
            for (int k = 0; k < exits.size(); k++) {
                rows.add(new String[] {"exit" + (k + 1), exits.get(k),
                    String.format(Locale.ROOT, "%,d", net.parameterCountUpTo(exits.get(k))),
                    pct(Metrics.accuracy(perExit.get(k), test.labels())),
                    String.format(Locale.ROOT, "%.3f", EarlyExit.millisPerSample(net, exits.get(k), root, 1, 200))});
            }
            RunPrinter.table(rows, main.out);
            if (!thresholds.isEmpty()) {
                List<EarlyExit.Result> results = new ArrayList<>();
                for (double t : thresholds) {
                    results.add(EarlyExit.evaluate(net, exits, perExit, test, t, latencySamples, root));
                }
                printEarlyExit(results, main.out);
            }
        }
        return 0;
    }

    /**
     * A ReAugKD student: its test accuracy and latency per sample at batch 1 with retrieval and with
     * its network alone, and the knowledge base's size on disk.
     */
    private int evaluateWithRetrieval(RunConfig cfg, org.distill4j.run.TrainedModel m) throws Exception {
        org.distill4j.run.RunData splits = DataLoader.load(cfg, data, main.err);
        int limit = cfg.data().testLimit();
        Dataset test = limit > 0 ? splits.test().head(Math.min(limit, splits.test().size())) : splits.test();
        try (NDManager root = NDManager.newBaseManager(); Network net = m.load(root);
                org.distill4j.knowledge.KnowledgeBase kb = org.distill4j.knowledge.KnowledgeBase.open(m.knowledgeBase(),
                        null)) {
            var retrieving = new org.distill4j.knowledge.RetrievalModel(net, kb);
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"model", "test acc", "ms/sample b1"});
            rows.add(new String[] {m.name() + " (" + retrieving.describe() + ")",
                pct(Metrics.accuracy(Predictions.of(retrieving, test, root), test.labels())),
                String.format(Locale.ROOT, "%.3f", org.distill4j.metric.Latency.millisPerSample(retrieving, root, 1,
                        latencySamples))});
            rows.add(new String[] {m.name() + " without retrieval (" + net.describe() + ")",
                pct(Metrics.accuracy(Predictions.of(net, test, root), test.labels())),
                String.format(Locale.ROOT, "%.3f", org.distill4j.metric.Latency.millisPerSample(net, root, 1,
                        latencySamples))});
            main.err.println("evaluating " + m.name() + " on " + test.size() + " test samples");
            RunPrinter.table(rows, main.out);
            main.out.printf(Locale.ROOT, "knowledge base %s: %,d entries, %,d bytes on disk (k=%d, beta=%s, tau=%s)%n",
                    runDir.relativize(m.knowledgeBase()), kb.size(),
                    org.distill4j.knowledge.KnowledgeBase.bytes(m.knowledgeBase()), kb.settings().k(),
                    kb.settings().beta(), kb.settings().tau());
            // where the student's queries land: the evidence behind the mixing weight (on the test split
            // here, to diagnose; scheme reaugkd chose beta on the validation split)
            int k = kb.settings().k();
            var check = org.distill4j.knowledge.RetrievalCheck.of(net, kb, test, root, new int[] {k},
                    kb.settings().tau(), kb.settings().beta(), null);
            var at = check.at(k);
            main.out.printf(Locale.ROOT, "retrieval on the test split: retrieved soft labels alone %s, network alone "
                    + "%s; %.1f%% of the student's neighbours carry the query's class, %.1f%% of the teacher "
                    + "entries' own neighbours their teacher class%n", pct(at.retrieved()), pct(check.network()),
                    100 * at.neighboursOfItsClass(),
                    100 * org.distill4j.knowledge.RetrievalCheck.selfAgreement(kb, k));
            StringBuilder grid = new StringBuilder("accuracy by beta:");
            for (int i = 0; i < check.betas().length; i++) {
                grid.append(String.format(Locale.ROOT, " %.1f→%s", check.betas()[i], pct(at.accuracy()[i])));
            }
            main.out.println(grid);
        }
        return 0;
    }

    /** The early-exit table: threshold, accuracy, mean exit depth, share answered by each exit, latency. */
    static void printEarlyExit(List<EarlyExit.Result> results, PrintStream out) {
        int exits = results.get(0).exitCounts().length;
        List<String[]> rows = new ArrayList<>();
        String[] header = new String[4 + exits];
        header[0] = "early exit at";
        header[1] = "test acc";
        header[2] = "mean exit";
        for (int k = 0; k < exits; k++) {
            header[3 + k] = "exit" + (k + 1) + " answers";
        }
        header[3 + exits] = "ms/sample b1";
        rows.add(header);
        for (EarlyExit.Result r : results) {
            int n = java.util.Arrays.stream(r.exitCounts()).sum();
            String[] row = new String[4 + exits];
            row[0] = "p ≥ " + java.math.BigDecimal.valueOf(r.threshold()).stripTrailingZeros().toPlainString();
            row[1] = pct(r.accuracy());
            row[2] = String.format(Locale.ROOT, "%.2f", r.meanExitDepth());
            for (int k = 0; k < exits; k++) {
                row[3 + k] = pct((double) r.exitCounts()[k] / n);
            }
            row[3 + exits] = Double.isNaN(r.msPerSample()) ? "—" : String.format(Locale.ROOT, "%.3f", r.msPerSample());
            rows.add(row);
        }
        RunPrinter.table(rows, out);
    }

    /** Early-exit results a run recorded (scheme byot), or none. */
    static List<EarlyExit.Result> recorded(RunRecord r) throws IOException {
        List<EarlyExit.Result> out = new ArrayList<>();
        if (r.schemeResults() != null) {
            for (var node : r.schemeResults().path("earlyExit")) {
                out.add(RunRecord.JSON.treeToValue(node, EarlyExit.Result.class));
            }
        }
        return out;
    }

    private List<String> savedModels() throws IOException {
        try (var files = Files.list(runDir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".model"))
                    .map(n -> n.substring(0, n.length() - ".model".length())).sorted().toList();
        }
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
}

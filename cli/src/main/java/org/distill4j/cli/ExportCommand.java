package org.distill4j.cli;

import org.distill4j.config.ConfigException;
import ai.djl.ndarray.NDManager;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.api.ExportFolder;
import org.distill4j.data.Dataset;
import org.distill4j.data.Normalisation;
import org.distill4j.data.Preprocessing;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.run.RunData;
import org.distill4j.run.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill export RUN_DIR [--model NAME] --out DIR [--reference N|all] [--force]}: writes a
 * trained network of a finished run as a self-describing folder ({@link ExportFolder}: architecture
 * JSON, safetensors weights, preprocessing, class names, a manifest with the SHA-256 of every file),
 * which {@code Student.load}, {@code distill predict} and {@code bench/interop/rebuild.py} read. A ReAugKD
 * student ({@code student-reaugkd}) is exported with its knowledge base ({@code retrieval/}).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a trained network of a finished run as a self-describing folder: architecture.json, "
                + "weights.safetensors, preprocessing.json, classes.json and manifest.json (SHA-256 of each file).")
final class ExportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "a finished run directory, e.g. runs/20261123-120000-quickstart")
    Path runDir;

    @Option(names = "--model", paramLabel = "NAME",
            description = "which network of the run (default: its main student, e.g. student-kd; see docs/export.md)")
    String model;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "the folder to write; it must not exist or be empty (or, with --force, be an earlier export)")
    Path out;

    @Option(names = "--force", description = "replace an earlier export at --out (never a folder holding anything else)")
    boolean force;

    @Option(names = "--reference", paramLabel = "N|all",
            description = "also ship the first N test samples of the run (or all) with the logits distill4j gives them, "
                    + "to check a port against (reference.safetensors); needs the run's data")
    String reference;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory, for --reference (as for train)")
    Path data;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        int wanted = referenceCount();
        try {
            ExportFolder.checkTarget(out, force);
        } catch (FileAlreadyExistsException e) {
            throw new ConfigException("--out: " + e.getReason());
        }
        TrainedModel m = find(runDir, model);
        main.err.println("exporting " + m.name() + " (" + m.result().architecture() + (m.chosenByDefault()
                ? "; the run's main student, --model names another" : "") + ") of " + runDir);
        Preprocessing pre = m.preprocessing();
        try (NDManager root = NDManager.newBaseManager(); Network net = m.load(root)) {
            ExportFolder.Reference ref = wanted == 0 ? null : reference(net, m, wanted, root);
            Map<String, Object> about = new LinkedHashMap<>();
            about.put("run", runDir.toAbsolutePath().normalize().toString());
            about.put("runId", m.record().runId());
            about.put("file", m.result().file());
            about.put("role", m.result().role());
            about.put("method", m.result().method());
            about.put("weightsDigest", m.result().weightsDigest());
            about.put("testAccuracy", m.result().metrics().testAccuracy());
            about.put("seed", m.record().seed());
            ExportFolder.Written w;
            try {
                w = ExportFolder.write(out, m.name(), net, pre, m.classNames(), about, ref, force, m.knowledgeBase());
            } catch (UnsupportedOperationException notExportable) {
                throw new ConfigException(m.name() + ": " + notExportable.getMessage());
            }
            main.out.printf(Locale.ROOT, "exported %s (%s, %,d parameters, input %s, %d classes) to %s%n", m.name(),
                    net.spec().describe(), net.parameterCount(), pre.inputShape(), m.classNames().size(), out);
            if (m.knowledgeBase() != null) {
                main.out.printf(Locale.ROOT, "with its knowledge base (retrieval at inference): %s/%n",
                        ExportFolder.RETRIEVAL);
            }
            try (var files = Files.walk(out)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    main.out.printf(Locale.ROOT, "  %-22s %,12d bytes%n", out.relativize(f), Files.size(f));
                }
            }
            main.out.printf(Locale.ROOT, "self-check: the folder run alone gives the run's network's logits on %d inputs"
                    + " (%d random%s), max |difference| %.3g%n", w.checkedSamples(), w.checkedSamples()
                    - (ref == null ? 0 : ref.count()), ref == null ? "" : ", " + ref.count() + " test samples",
                    w.maxAbsDiff());
        }
        return 0;
    }

    /** A run's model by name, or its main student; an unknown run or model is a usage error. */
    static TrainedModel find(Path runDir, String model) throws java.io.IOException, ConfigException {
        try {
            return TrainedModel.find(runDir, model);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private int referenceCount() throws ConfigException {
        if (reference == null) {
            return 0;
        }
        if (reference.equals("all")) {
            return Integer.MAX_VALUE;
        }
        try {
            int n = Integer.parseInt(reference);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException("--reference: must be a number ≥ 1 or 'all' (got " + reference + ")");
    }

    /** The first {@code n} test samples of the run: raw values, normalised inputs, labels and the network's logits. */
    private ExportFolder.Reference reference(Network net, TrainedModel m, int n, NDManager root) throws Exception {
        org.distill4j.config.RunConfig cfg = org.distill4j.run.RunDirectory.frozenConfig(runDir);
        RunData splits = DataLoader.load(cfg, data, main.err);
        int limit = cfg.data().testLimit();
        Dataset test = limit > 0 ? splits.test().head(Math.min(limit, splits.test().size())) : splits.test();
        test = test.head(Math.min(n, test.size()));
        float[] input = new float[test.size() * test.featureSize()];
        boolean text = test.inputNames().contains(org.distill4j.data.Batch.ATTENTION_MASK);
        float[] mask = text ? new float[input.length] : null; // a text's masks: what its masked pooling read
        for (int i = 0; i < test.size(); i++) {
            test.copyFeatures(i, input, i * test.featureSize());
            if (text) {
                test.copyInput(org.distill4j.data.Batch.ATTENTION_MASK, i, mask, i * test.featureSize());
            }
        }
        Normalisation norm = m.preprocessing().normalisation(m.classNames());
        float[] logits = Predictions.of(net, test, root).logits();
        return new ExportFolder.Reference(test.size(), norm.invert(input), input, test.labels(), logits, mask);
    }
}

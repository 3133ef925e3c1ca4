package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.distill4j.data.Normalisation;
import org.distill4j.data.Preprocessing;
import org.distill4j.io.DamagedFileException;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;

/**
 * A saved network of a finished run, found by name in the run's {@code record.json}, with what
 * applying it to new inputs needs (its preprocessing and class names, as recorded with the run).
 * What {@code export} and {@code predict} take from a run directory.
 *
 * <p>Without a name, the run's <i>main student</i> is taken ({@link #mainStudent}).
 *
 * @param runDir the run directory
 * @param record its record
 * @param result the model's entry in the record
 * @param file its saved network
 * @param chosenByDefault whether no name was given and the main student was taken
 */
public record TrainedModel(Path runDir, RunRecord record, ModelResult result, Path file, boolean chosenByDefault) {

    /**
     * Finds model {@code name} (null: the main student) of the finished run in {@code runDir}.
     *
     * @throws IllegalArgumentException naming the run or the model, if the run does not exist, has not
     *     finished, or has no such model, or the model has no saved network
     * @throws IOException if the record cannot be read or the network file is missing
     */
    public static TrainedModel find(Path runDir, String name) throws IOException {
        if (!Files.isDirectory(runDir)) {
            throw new IllegalArgumentException("no run directory " + runDir);
        }
        Path rec = runDir.resolve(Experiment.RECORD);
        if (!Files.exists(rec)) {
            boolean started = Files.isDirectory(runDir.resolve("checkpoints"));
            throw new IllegalArgumentException(runDir + " is not a finished run (no " + Experiment.RECORD + ")"
                    + (started ? ": it has checkpoints; finish it with ./distill resume " + runDir : ""));
        }
        RunRecord record = RunRecord.read(rec);
        String chosen = name == null ? mainStudent(record) : name;
        ModelResult result = record.models().stream().filter(m -> m.name().equals(chosen)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no model '" + chosen + "' in run " + runDir
                        + "; it has " + names(record)));
        if (result.file() == null) {
            throw new IllegalArgumentException("model '" + chosen + "' of run " + runDir + " has no saved network ("
                    + result.architecture() + "); it has " + names(record));
        }
        Path file = runDir.resolve(result.file());
        if (!Files.isRegularFile(file)) {
            throw new IOException("network file " + file + " of model '" + chosen + "' (named in " + rec
                    + ") is missing");
        }
        return new TrainedModel(runDir, record, result, file, name == null);
    }

    /**
     * The run's main student, the network a user of the run most likely wants: the model named
     * {@code student} if there is one (takd's chain), else the last saved {@code student-*}
     * model that is not a baseline (offline {@code student-<method>}, {@code student-byot},
     * {@code student-snapshot} …), else the last saved model that is not a teacher, an assistant
     * or a baseline (the last stage, the last born-again generation, the last online peer).
     * Baselines are models trained without distillation (method {@code none}) and the
     * {@code *-alone} runs of online schemes.
     *
     * @throws IllegalArgumentException if the run has no such model
     */
    public static String mainStudent(RunRecord record) {
        List<ModelResult> saved = record.models().stream().filter(m -> m.file() != null).toList();
        for (ModelResult m : saved) {
            if (m.name().equals("student")) {
                return m.name();
            }
        }
        String pick = null;
        for (ModelResult m : saved) {
            if (m.name().startsWith("student-") && !baseline(m)) {
                pick = m.name();
            }
        }
        if (pick != null) {
            return pick;
        }
        for (ModelResult m : saved) {
            if (!baseline(m) && !List.of("teacher", "assistant").contains(m.role())) {
                pick = m.name();
            }
        }
        if (pick == null) {
            throw new IllegalArgumentException("run " + record.runId() + " has no distilled student; name a model"
                    + " (it has " + names(record) + ")");
        }
        return pick;
    }

    private static boolean baseline(ModelResult m) {
        return "none".equals(m.method()) || m.name().endsWith("-alone");
    }

    private static String names(RunRecord record) {
        return String.join(", ", record.models().stream()
                .map(m -> m.name() + (m.file() == null ? " (no saved network)" : "")).toList());
    }

    public String name() {
        return result.name();
    }

    /**
     * The knowledge base this model retrieves from at inference (ReAugKD's student, scheme
     * {@code reaugkd}: the record's {@code schemeResults.reaugkd} names it), or null for a model
     * that answers alone.
     */
    public Path knowledgeBase() {
        com.fasterxml.jackson.databind.JsonNode r = record.schemeResults() == null ? null
                : record.schemeResults().get("reaugkd");
        if (r == null || !result.name().equals(r.path("model").asText())) {
            return null;
        }
        return runDir.resolve(r.path("knowledgeBase").asText());
    }

    /**
     * Loads the network, verified by its file's checksum and against the weights digest the record
     * holds for it.
     *
     * @throws DamagedFileException naming the file, if it is damaged or is not the network the run trained
     */
    public Network load(NDManager parent) throws IOException {
        Network net = Network.load(file, null, parent);
        if (!Objects.equals(net.weightsDigest(), result.weightsDigest())) {
            net.close();
            throw new DamagedFileException(file, file + " is not the network run " + runDir + " trained (its weights"
                    + " digest differs from " + runDir.resolve(Experiment.RECORD) + "); it was modified or replaced");
        }
        return net;
    }

    /** How the run prepared its inputs (the normalisation of its training split) and, as a CSV, its label column. */
    public Preprocessing preprocessing() throws IOException {
        RunRecord.DataInfo data = record.data();
        String source = data == null ? record.config().data().sourceName() : data.source();
        org.distill4j.data.TextSpec text = record.config().data().text();
        return Preprocessing.of(source, normalisation(), record.config().data().label(),
                text == null ? null : Preprocessing.Text.of(text, record.config().data().label()));
    }

    /** The class names, in class-index order. */
    public List<String> classNames() {
        return normalisation().classNames();
    }

    private Normalisation normalisation() {
        RunRecord.DataInfo data = record.data();
        if (data != null && data.normalisation() != null) {
            return data.normalisation();
        }
        if (!record.config().data().fashionMnistSource()) {
            throw new IllegalArgumentException("run " + runDir + " records no normalisation for its "
                    + record.config().data().sourceName() + " data (a record older than data sources)");
        }
        return RunData.fashionMnistNormalisation(new long[] {1, 28, 28});
    }
}

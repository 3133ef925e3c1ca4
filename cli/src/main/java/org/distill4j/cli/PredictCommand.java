package org.distill4j.cli;

import org.distill4j.config.ConfigException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.distill4j.api.ExportFolder;
import org.distill4j.api.Prediction;
import org.distill4j.api.Student;
import org.distill4j.data.Inputs;
import org.distill4j.data.Normalisation;
import org.distill4j.data.Preprocessing;
import org.distill4j.data.TextSource;
import org.distill4j.knowledge.SafeTensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code distill predict RUN_OR_EXPORT --input FILE [--top K] [--logits OUT]}: classifies the
 * inputs of a CSV file, an image or a folder of images ({@link Inputs} says how each is read), or
 * for a text model the texts of a file, a folder of files or a CSV/JSON text field ({@link TextSource})
 * with an exported student or a run's network, through {@link Student} as a service would, and
 * prints per input the class and the top-K probabilities, then the latency per sample at batch 1.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Classify the rows of a CSV file, an image or a folder of images (a text model: text files, a folder "
                + "of them, or a CSV/JSON text column) with an export folder or a run's network: per input the class and "
                + "the top-K probabilities, then the latency per sample (batch 1).")
final class PredictCommand implements Callable<Integer> {
    /** Untimed calls before the timed ones, so the latency is not the first call's set-up. */
    static final int WARM_UP = 3;

    @Parameters(paramLabel = "RUN_OR_EXPORT", description = "an export folder (distill export) or a finished run directory")
    Path model;

    @Option(names = "--model", paramLabel = "NAME",
            description = "with a run directory: which network (default: the run's main student)")
    String name;

    @Option(names = "--input", paramLabel = "FILE", required = true,
            description = "a CSV file of rows (a header and a label column are detected), a PNG/JPEG image, or a folder "
                    + "of images (sub-folder names are taken as labels); for a text model: a text file (one text), a "
                    + "folder of text files (sub-folder names are labels), or a .csv/.json/.jsonl file with a text field")
    Path input;

    @Option(names = "--text-field", paramLabel = "NAME",
            description = "a text model and a CSV/JSON input: the field holding the text (default: the run's data.text.field)")
    String textField;

    @Option(names = "--top", paramLabel = "K", defaultValue = "3",
            description = "how many of the most probable classes to print per input (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--logits", paramLabel = "FILE",
            description = "also write the raw inputs, normalised inputs, labels (-1: none), logits (and texts' attention masks) as safetensors "
                    + "(the layout of an export's reference.safetensors)")
    Path logitsFile;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        if (top < 1) {
            throw new ConfigException("--top: must be ≥ 1 (got " + top + ")");
        }
        try (Student student = load()) {
            main.err.println("predicting with " + student);
            Preprocessing.Text text = student.preprocessing().text();
            if (textField != null && text == null) {
                throw new ConfigException("--text-field: " + student.name() + " does not read text");
            }
            List<Inputs.Input> inputs;
            java.util.function.IntFunction<Prediction> predict;
            float[] mask = null; // a text's attention masks, for --logits
            if (text != null) {
                TextSource.Texts texts = TextSource.texts(input, textField != null ? textField : text.field(),
                        text.label(), false);
                org.distill4j.data.TextTokenizer.Tokens tokens = student.tokens(texts.texts());
                float[] ids = tokens.ids();
                mask = tokens.attentionMask();
                inputs = new ArrayList<>();
                for (int i = 0; i < texts.size(); i++) {
                    inputs.add(new Inputs.Input(texts.entries().get(i), Arrays.copyOfRange(ids, i * text.maxLength(),
                            (i + 1) * text.maxLength()), texts.labels().get(i)));
                }
                predict = i -> student.predict(texts.texts().get(i)); // timed from the text: tokenising included
            } else {
                List<Inputs.Input> read = Inputs.read(input, student.preprocessing());
                inputs = read;
                predict = i -> student.predict(read.get(i).raw());
            }
            for (int i = 0; i < WARM_UP; i++) {
                predict.apply(0);
            }
            List<Prediction> predictions = new ArrayList<>();
            double[] millis = new double[inputs.size()];
            for (int i = 0; i < inputs.size(); i++) {
                long t0 = System.nanoTime();
                predictions.add(predict.apply(i));
                millis[i] = (System.nanoTime() - t0) / 1e6;
            }
            print(student, inputs, predictions, millis);
            if (logitsFile != null) {
                writeLogits(student, inputs, predictions, mask);
            }
        }
        return 0;
    }

    private Student load() throws Exception {
        if (ExportFolder.isExport(model)) {
            if (name != null) {
                throw new ConfigException("--model picks a network of a run directory; " + model
                        + " is an export folder of one network");
            }
            return Student.load(model);
        }
        ExportCommand.find(model, name); // an unknown run or model is a usage error, named
        try {
            return Student.load(model, name);
        } catch (UnsupportedOperationException notExportable) {
            throw new ConfigException(notExportable.getMessage());
        }
    }

    private void print(Student student, List<Inputs.Input> inputs, List<Prediction> predictions, double[] millis) {
        int k = Math.min(top, student.classNames().size());
        boolean labelled = inputs.stream().anyMatch(in -> in.label() != null);
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("input"));
        if (labelled) {
            header.add("label");
        }
        header.addAll(List.of("class", "p", "top " + k));
        rows.add(header.toArray(String[]::new));
        int known = 0;
        int correct = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Inputs.Input in = inputs.get(i);
            Prediction p = predictions.get(i);
            List<String> row = new ArrayList<>(List.of(in.where()));
            if (labelled) {
                row.add(in.label() == null ? "" : in.label());
                int c = classOf(in.label(), student.classNames());
                if (c >= 0) {
                    known++;
                    correct += c == p.classIndex() ? 1 : 0;
                }
            }
            row.add(p.className());
            row.add(String.format(Locale.ROOT, "%.4f", p.probability()));
            row.add(p.top(k).stream().map(r -> String.format(Locale.ROOT, "%s %.4f", r.className(), r.probability()))
                    .collect(Collectors.joining(", ")));
            rows.add(row.toArray(String[]::new));
        }
        RunPrinter.table(rows, main.out);
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        main.out.printf(Locale.ROOT, "%d inputs · latency per sample at batch 1 (Student.predict: %s, forward,"
                + " softmax; after %d warm-up calls): median %.3f ms, p90 %.3f ms%n", inputs.size(),
                student.readsText() ? "tokenise" : "normalise", WARM_UP,
                percentile(sorted, 0.5), percentile(sorted, 0.9));
        if (known > 0) {
            main.out.printf(Locale.ROOT, "accuracy against the %d labels the input gives: %d correct (%.2f%%)%n", known,
                    correct, 100.0 * correct / known);
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /**
     * The class a label names, or -1: a class name, the same number written otherwise (2.0 for a class
     * named 2), else a whole number in [0, classes) taken as the class index (Fashion-MNIST and IDX
     * labels, whose classes have names).
     */
    static int classOf(String label, List<String> classNames) {
        if (label == null) {
            return -1;
        }
        int exact = classNames.indexOf(label);
        if (exact >= 0) {
            return exact;
        }
        try {
            BigDecimal v = new BigDecimal(label);
            for (int c = 0; c < classNames.size(); c++) {
                try {
                    if (new BigDecimal(classNames.get(c)).compareTo(v) == 0) {
                        return c;
                    }
                } catch (NumberFormatException notNumeric) {
                    // a class name that is not a number cannot be this label
                }
            }
            if (v.signum() >= 0 && v.stripTrailingZeros().scale() <= 0 && v.compareTo(BigDecimal.valueOf(classNames.size())) < 0) {
                return v.intValueExact();
            }
        } catch (NumberFormatException notNumeric) {
            // not a number and not a class name
        }
        return -1;
    }

    private void writeLogits(Student student, List<Inputs.Input> inputs, List<Prediction> predictions, float[] mask)
            throws java.io.IOException {
        int n = inputs.size();
        int size = inputs.get(0).raw().length;
        int classes = student.classNames().size();
        float[] raw = new float[n * size];
        float[] logits = new float[n * classes];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(inputs.get(i).raw(), 0, raw, i * size, size);
            System.arraycopy(predictions.get(i).logits(), 0, logits, i * classes, classes);
            labels[i] = classOf(inputs.get(i).label(), student.classNames());
        }
        Normalisation norm = student.preprocessing().normalisation(student.classNames());
        long[] shape = student.inputShape();
        long[] dims = new long[shape.length + 1];
        dims[0] = n;
        System.arraycopy(shape, 0, dims, 1, shape.length);
        Map<String, SafeTensors.Tensor> tensors = new java.util.LinkedHashMap<>();
        tensors.put("raw", SafeTensors.Tensor.f32(raw, dims));
        tensors.put("input", SafeTensors.Tensor.f32(norm.apply(raw), dims));
        tensors.put("labels", SafeTensors.Tensor.i32(labels, n));
        tensors.put("logits", SafeTensors.Tensor.f32(logits, n, classes));
        if (mask != null) {
            tensors.put(org.distill4j.data.Batch.ATTENTION_MASK, SafeTensors.Tensor.f32(mask, dims));
        }
        SafeTensors.write(logitsFile, tensors, Map.of("format", ExportFolder.FORMAT + "-reference", "model", student.name(),
                        "input", input.toString()));
        main.err.println("wrote raw inputs, inputs, labels and logits of " + n + " inputs to " + logitsFile);
    }
}

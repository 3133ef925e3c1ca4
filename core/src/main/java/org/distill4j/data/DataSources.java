package org.distill4j.data;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Loads "any dataset" — IDX files, a CSV table or a folder of images — into normalised
 * training and test {@link Dataset}s that batch exactly like Fashion-MNIST's, plus the
 * {@link Normalisation} (statistics and class names) that travels with a model trained on them.
 *
 * <pre>{@code
 * SourceSpec spec = SourceSpec.csv("iris.csv", null, "species");   // or bound from YAML
 * DataSources.Loaded data = DataSources.load(spec, configFile.getParent());
 * BatchLoader loader = new BatchLoader(data.train(), 64, true, seed, false);
 * }</pre>
 *
 * <h2>What each source gives</h2>
 * <ul>
 * <li>{@code idx}: samples {@code [1, rows, cols]} of any size, pixel bytes scaled to [0, 1];
 *     files gzipped or not (see {@link IdxReader}).</li>
 * <li>{@code csv}: samples {@code [F]}, the feature columns in file order (see {@link SourceSpec}
 *     for {@code label} and {@code header}).</li>
 * <li>{@code images}: samples {@code [C, H, W]} in [0, 1], resized to {@code size}; class names
 *     are the sorted sub-folder names.</li>
 * <li>{@code text}: samples {@code [L]}, the token ids of the teacher's tokenizer (not normalised),
 *     and the tokenizer's attention masks as the further input {@link Batch#ATTENTION_MASK}
 *     (see {@link TextSource}).</li>
 * </ul>
 *
 * <h2>Labels</h2>
 * For {@code idx} and {@code csv}: when the distinct training labels are exactly the integers
 * {@code 0..K-1} (written as numbers, e.g. {@code 2} or {@code 2.0}), they are used as given and
 * the class names are {@code "0".."K-1"}. Otherwise the distinct labels are sorted — numerically
 * if all are numbers, else as strings ({@link String#compareTo}) — and class {@code k} is the
 * {@code k}-th; {@link Normalisation#classNames()} records that order. For {@code images} the
 * sorted folder names are the classes. A test label that never occurs in training is an error.
 *
 * <h2>Ids, splits and statistics</h2>
 * Ids are positions in the source: the data row (0-based, header excluded) of a CSV file, the
 * image position in an IDX file, the position of an image in (class folder, file name) order.
 * Without a {@code test}, a test split is carved from {@code train}: with {@code stratified}
 * (the default) each class is shuffled with one {@code Random(seed)}, classes in label order,
 * and its first {@code round(n_c * testFraction)} samples (at most {@code n_c - 1}) go to test;
 * without, the whole set is shuffled and {@code round(n * testFraction)} go to test. Both parts
 * keep source order and source ids, so they are disjoint and the same seed gives the same split.
 * Normalisation statistics come from the training split only and are applied to both.
 *
 * <p>Readers only read: nothing is written or cached. Bad input raises a
 * {@link DataSourceException} with a one-line message naming the file and row or entry.
 */
public final class DataSources {

    private DataSources() {
    }

    /**
     * The result of {@link #load}.
     *
     * @param train normalised training set, named {@code <name>-train}
     * @param test normalised test set, named {@code <name>-test}, same sample shape and classes
     * @param normalisation the statistics applied to both, and the class names
     */
    public record Loaded(Dataset train, Dataset test, Normalisation normalisation) {
    }

    /**
     * Reads, checks, splits (if there is no test part) and normalises a data source.
     *
     * @param spec what to read
     * @param baseDir directory relative paths in {@code spec} are resolved against, usually
     *     the configuration file's directory
     * @return training and test sets and their normalisation
     * @throws DataSourceException if a file is missing, unreadable or inconsistent
     */
    public static Loaded load(SourceSpec spec, Path baseDir) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(baseDir, "baseDir");
        Path trainPath = baseDir.resolve(spec.train());
        Path testPath = spec.test() == null ? null : baseDir.resolve(spec.test());
        RawPart train;
        RawPart test = null;
        Normalisation.Layout layout = Normalisation.Layout.PER_CHANNEL;
        boolean numericLabels = true;
        boolean identity = false;
        switch (spec.source()) {
            case "idx" -> {
                train = readIdx(trainPath, baseDir.resolve(spec.trainLabels()));
                if (testPath != null) {
                    test = readIdx(testPath, baseDir.resolve(spec.testLabels()));
                }
            }
            case "csv" -> {
                layout = Normalisation.Layout.PER_FEATURE;
                train = CsvSource.read(trainPath, spec.label(), spec.header());
                if (testPath != null) {
                    test = CsvSource.read(testPath, spec.label(), spec.header());
                }
            }
            case "images" -> {
                numericLabels = false;
                int h = spec.size().get(0);
                int w = spec.size().get(1);
                train = ImageFolderSource.read(trainPath, h, w, spec.channels());
                if (testPath != null) {
                    test = ImageFolderSource.read(testPath, h, w, spec.channels());
                }
            }
            case "text" -> {
                numericLabels = false;
                identity = true; // token ids are not normalised
                layout = Normalisation.Layout.PER_FEATURE;
                try (TextTokenizer tok = TextTokenizer.open(baseDir.resolve(spec.text().tokenizer()),
                        spec.text().maxLength())) {
                    train = TextSource.read(trainPath, spec.text(), spec.label(), tok);
                    if (testPath != null) {
                        test = TextSource.read(testPath, spec.text(), spec.label(), tok);
                    }
                }
            }
            default -> throw new IllegalArgumentException("source: unknown " + spec.source());
        }
        if (test != null && !Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new DataSourceException(shapeMismatch(spec.source(), train, test));
        }
        Classes classes = Classes.of(train, numericLabels);
        int[] trainLabels = classes.map(train, train);
        String name = spec.name() != null ? spec.name() : stem(trainPath);
        int k = classes.names().size();
        long[] shape = train.sampleShape();

        if (test == null) {
            int[][] cut = carve(trainLabels, k, spec.testFraction(), spec.seed(), spec.stratified(), train);
            Normalisation norm = identity ? Normalisation.identity(shape, classes.names())
                    : Normalisation.compute(layout, shape, train.values(), cut[0], classes.names());
            float[] values = train.values();
            if (!identity) {
                norm.applyInPlace(values);
            }
            Dataset all = withMask(Dataset.of(name, values, trainLabels, shape, k), train);
            return new Loaded(all.subset(name + "-train", cut[0]), all.subset(name + "-test", cut[1]), norm);
        }
        int[] testLabels = classes.map(test, train);
        int[] everything = new int[train.size()];
        Arrays.setAll(everything, i -> i);
        Normalisation norm = identity ? Normalisation.identity(shape, classes.names())
                : Normalisation.compute(layout, shape, train.values(), everything, classes.names());
        if (!identity) {
            norm.applyInPlace(train.values());
            norm.applyInPlace(test.values());
        }
        return new Loaded(withMask(Dataset.of(name + "-train", train.values(), trainLabels, shape, k), train),
                withMask(Dataset.of(name + "-test", test.values(), testLabels, shape, k), test), norm);
    }

    /** A text part's dataset carries its attention masks as the further input {@link Batch#ATTENTION_MASK}. */
    private static Dataset withMask(Dataset d, RawPart part) {
        return part.attentionMask() == null ? d : d.withInput(Batch.ATTENTION_MASK, part.attentionMask());
    }

    private static String shapeMismatch(String source, RawPart train, RawPart test) {
        if (source.equals("csv")) {
            return "CSV file " + test.file() + " has " + test.sampleShape()[0] + " feature columns but the"
                    + " training file " + train.file() + " has " + train.sampleShape()[0]
                    + "; train and test need the same columns";
        }
        return "test data " + test.file() + " has samples of shape " + test.shapeText() + " but the training"
                + " data " + train.file() + " has " + train.shapeText() + "; train and test need the same shape";
    }

    private static RawPart readIdx(Path imagesFile, Path labelsFile) {
        for (Path file : List.of(imagesFile, labelsFile)) {
            if (!Files.isRegularFile(file)) {
                throw new DataSourceException("IDX file " + file + " not found (or not a regular file)");
            }
        }
        IdxReader.IdxImages images;
        byte[] labels;
        try {
            images = IdxReader.readImages(imagesFile);
            labels = IdxReader.readLabels(labelsFile);
        } catch (DataSourceException e) {
            throw e;
        } catch (DatasetException e) {
            throw new DataSourceException(e.getMessage(), e); // one type for every source
        }
        if (images.count() != labels.length) {
            throw new DataSourceException("IDX labels file " + labelsFile + " holds " + labels.length
                    + " labels but the images file " + imagesFile + " holds " + images.count()
                    + " images; the two must come from the same part (train or test)");
        }
        byte[] pixels = images.pixels();
        float[] values = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            values[i] = (pixels[i] & 0xFF) / 255f;
        }
        String[] tokens = new String[labels.length];
        String[] entries = new String[labels.length];
        for (int i = 0; i < labels.length; i++) {
            tokens[i] = Integer.toString(labels[i] & 0xFF);
            entries[i] = "labels file " + labelsFile + " entry " + i + " (0-based)";
        }
        return new RawPart(imagesFile, values, new long[] {1, images.rows(), images.cols()}, tokens, entries);
    }

    /** {@code train.csv.gz} → {@code train}; a folder keeps its name. */
    private static String stem(Path path) {
        Path fileName = path.toAbsolutePath().normalize().getFileName();
        String n = fileName == null ? "data" : fileName.toString();
        if (n.toLowerCase().endsWith(".gz")) {
            n = n.substring(0, n.length() - 3);
        }
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /**
     * Positions {@code {train, test}} of a carved split; both sorted (source order).
     */
    static int[][] carve(int[] labels, int numClasses, double fraction, long seed, boolean stratified,
            RawPart source) {
        int n = labels.length;
        Random random = new Random(seed);
        boolean[] toTest = new boolean[n];
        if (stratified) {
            List<List<Integer>> byClass = new ArrayList<>();
            for (int c = 0; c < numClasses; c++) {
                byClass.add(new ArrayList<>());
            }
            for (int i = 0; i < n; i++) {
                byClass.get(labels[i]).add(i);
            }
            for (List<Integer> members : byClass) {
                int[] order = members.stream().mapToInt(Integer::intValue).toArray();
                shuffle(order, random);
                int take = (int) Math.min(Math.round(order.length * fraction), Math.max(order.length - 1, 0));
                for (int i = 0; i < take; i++) {
                    toTest[order[i]] = true;
                }
            }
        } else {
            int[] order = new int[n];
            Arrays.setAll(order, i -> i);
            shuffle(order, random);
            int take = (int) Math.min(Math.round(n * fraction), Math.max(n - 1, 0));
            for (int i = 0; i < take; i++) {
                toTest[order[i]] = true;
            }
        }
        int testCount = 0;
        for (boolean t : toTest) {
            testCount += t ? 1 : 0;
        }
        if (testCount == 0) {
            throw new DataSourceException("data " + source.file() + " holds only " + n + " samples: a test"
                    + " fraction of " + fraction + " carves no test sample" + (stratified ? " from any class" : "")
                    + "; give a test file or raise testFraction");
        }
        int[] train = new int[n - testCount];
        int[] test = new int[testCount];
        for (int i = 0, a = 0, b = 0; i < n; i++) {
            if (toTest[i]) {
                test[b++] = i;
            } else {
                train[a++] = i;
            }
        }
        return new int[][] {train, test};
    }

    private static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** Class names in label order, and how a label token finds its class. */
    record Classes(List<String> names, Map<String, Integer> index, boolean numeric) {

        static Classes of(RawPart train, boolean numericRule) {
            String[] tokens = train.labels();
            boolean numeric = numericRule && tokens.length > 0;
            for (String t : tokens) {
                if (!numeric) {
                    break;
                }
                numeric = isLabelNumber(t);
            }
            Map<String, Integer> index = new HashMap<>();
            List<String> names = new ArrayList<>();
            if (numeric) {
                TreeMap<BigDecimal, String> sorted = new TreeMap<>();
                for (String t : tokens) {
                    BigDecimal v = new BigDecimal(t).stripTrailingZeros();
                    sorted.putIfAbsent(v, v.toPlainString());
                }
                boolean identity = true;
                int expected = 0;
                for (BigDecimal v : sorted.keySet()) {
                    identity &= v.compareTo(BigDecimal.valueOf(expected++)) == 0;
                }
                // Identity (0..K-1) and sorted order give the same classes; only the names differ.
                for (String key : sorted.values()) {
                    index.put(key, names.size());
                    names.add(identity ? Integer.toString(names.size()) : key);
                }
            } else {
                for (String t : new TreeSet<>(Arrays.asList(tokens))) {
                    index.put(t, names.size());
                    names.add(t);
                }
            }
            if (names.isEmpty()) {
                throw new DataSourceException("data " + train.file() + " holds no samples");
            }
            return new Classes(List.copyOf(names), Map.copyOf(index), numeric);
        }

        int[] map(RawPart part, RawPart train) {
            String[] tokens = part.labels();
            int[] out = new int[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                String t = tokens[i];
                Integer k = null;
                if (!numeric) {
                    k = index.get(t);
                } else if (isLabelNumber(t)) {
                    k = index.get(new BigDecimal(t).stripTrailingZeros().toPlainString());
                }
                if (k == null) {
                    throw new DataSourceException("test data " + part.file() + ", " + part.entries()[i]
                            + ": label " + DataSourceException.quote(t) + " never occurs in the training data "
                            + train.file() + " (" + names.size() + " classes: " + preview(names) + ")");
                }
                out[i] = k;
            }
            return out;
        }

        /** A number with a modest exponent, so its plain form stays short. */
        private static boolean isLabelNumber(String t) {
            return CsvSource.isNumber(t) && !t.matches(".*[eE][+-]?\\d{4,}");
        }

        private static String preview(List<String> names) {
            return names.size() <= 10 ? String.join(", ", names)
                    : String.join(", ", names.subList(0, 10)) + ", ...";
        }
    }
}

package org.distill4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds and loads Fashion-MNIST (Zalando's 28x28 grey-scale clothing images, 10 classes)
 * from its four IDX files.
 *
 * <p>The data is never downloaded: it comes from a directory the user names, or from the
 * Debian/Ubuntu package {@code dataset-fashion-mnist}, so runs work offline and the data
 * source is explicit.
 */
public final class FashionMnist {

    /** Where the Debian/Ubuntu package {@code dataset-fashion-mnist} installs the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Environment variable naming a directory that holds the four IDX files. */
    public static final String ENV = "DISTILL4J_DATA";

    /** Number of classes. */
    public static final int NUM_CLASSES = 10;

    /** Class names, indexed by label. */
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /** The four files, by their uncompressed names; each may also exist with {@code .gz}. */
    static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);

    private FashionMnist() {
    }

    /**
     * The training and test parts of Fashion-MNIST.
     *
     * @param train 60,000 samples named {@code fashion-mnist-train}
     * @param test 10,000 samples named {@code fashion-mnist-test}
     */
    public record Splits(Dataset train, Dataset test) {
    }

    /**
     * Finds the data directory. Looks, in order, at {@code override} (the {@code --data}
     * option), the {@value #ENV} environment variable, and {@link #DEBIAN_DIR}.
     *
     * @param override directory given on the command line, or {@code null}
     * @param env environment variables, usually {@code System.getenv()}
     * @return a directory holding the four IDX files
     * @throws DatasetException if an explicitly named directory lacks files, or nothing is
     *     found; the message says how to install or point to the data
     */
    public static Path locate(Path override, Map<String, String> env) {
        return locate(override, env, DEBIAN_DIR);
    }

    /** As {@link #locate(Path, Map)}, with the Debian directory replaceable for tests. */
    static Path locate(Path override, Map<String, String> env, Path debianDir) {
        Objects.requireNonNull(env, "env");
        if (override != null) {
            return requirePresent(override, "--data");
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return requirePresent(Path.of(fromEnv), "the " + ENV + " environment variable");
        }
        if (present(debianDir)) {
            return debianDir;
        }
        throw new DatasetException("Fashion-MNIST not found: no --data directory was given, "
                + ENV + " is not set, and " + debianDir + " does not hold the data. To fix: on"
                + " Debian/Ubuntu run `sudo apt-get install dataset-fashion-mnist`, or pass"
                + " `--data DIR` (or set " + ENV + "=DIR) with a directory holding "
                + expectedFiles() + ".");
    }

    /**
     * @param dir directory to check (may be {@code null})
     * @return whether {@code dir} holds all four IDX files, each gzipped or uncompressed
     */
    public static boolean present(Path dir) {
        return dir != null && Files.isDirectory(dir) && missing(dir).isEmpty();
    }

    /**
     * Loads both parts from a directory, e.g. the result of {@link #locate(Path, Map)}.
     * Where a file exists both gzipped and uncompressed, the {@code .gz} one is read.
     *
     * @param dir directory holding the four IDX files
     * @return training and test sets, normalised, with ids equal to positions in the files
     * @throws DatasetException if a file is missing, corrupt or inconsistent
     */
    /**
     * The SHA-256 of each of the four IDX files in {@code dir} (gzipped or not), keyed
     * "file NAME": what a run's provenance names when its data changed.
     */
    public static java.util.Map<String, String> fileDigests(Path dir) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String base : new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS}) {
            for (String name : new String[] {base + ".gz", base}) {
                Path f = dir.resolve(name);
                if (java.nio.file.Files.isRegularFile(f)) {
                    try (java.io.InputStream in = java.nio.file.Files.newInputStream(f)) {
                        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                        byte[] buf = new byte[1 << 16];
                        for (int n; (n = in.read(buf)) > 0;) {
                            md.update(buf, 0, n);
                        }
                        out.put("file " + name, java.util.HexFormat.of().formatHex(md.digest()));
                    } catch (java.io.IOException e) {
                        throw new DatasetException("cannot read " + f + ": " + e.getMessage(), e);
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                    break;
                }
            }
        }
        return out;
    }

    public static Splits load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        requirePresent(dir, "the data directory");
        Dataset train = loadPart(dir, "fashion-mnist-train", TRAIN_IMAGES, TRAIN_LABELS);
        Dataset test = loadPart(dir, "fashion-mnist-test", TEST_IMAGES, TEST_LABELS);
        if (!Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new DatasetException("Fashion-MNIST in " + dir + ": training images are "
                    + Arrays.toString(train.sampleShape()) + " but test images are "
                    + Arrays.toString(test.sampleShape())
                    + "; the files come from different datasets — replace them with a matching set");
        }
        return new Splits(train, test);
    }

    private static Dataset loadPart(Path dir, String name, String images, String labels) {
        return Dataset.fromIdx(name, IdxReader.readImages(resolve(dir, images)),
                IdxReader.readLabels(resolve(dir, labels)), NUM_CLASSES);
    }

    /** Prefers the gzipped file, as installed by Debian and served by the upstream project. */
    private static Path resolve(Path dir, String file) {
        Path gz = dir.resolve(file + ".gz");
        return Files.isRegularFile(gz) ? gz : dir.resolve(file);
    }

    private static Path requirePresent(Path dir, String source) {
        if (!Files.isDirectory(dir)) {
            throw new DatasetException("Fashion-MNIST directory " + dir + " (from " + source
                    + ") does not exist or is not a directory; point it to a directory holding "
                    + expectedFiles() + ", or on Debian/Ubuntu run"
                    + " `sudo apt-get install dataset-fashion-mnist`");
        }
        List<String> missing = missing(dir);
        if (!missing.isEmpty()) {
            throw new DatasetException("Fashion-MNIST directory " + dir + " (from " + source
                    + ") lacks " + String.join(", ", missing) + " (each may be gzipped or not);"
                    + " it must hold " + expectedFiles());
        }
        return dir;
    }

    private static List<String> missing(Path dir) {
        List<String> missing = new ArrayList<>();
        for (String file : FILES) {
            if (!Files.isRegularFile(dir.resolve(file + ".gz"))
                    && !Files.isRegularFile(dir.resolve(file))) {
                missing.add(file + "[.gz]");
            }
        }
        return missing;
    }

    private static String expectedFiles() {
        return "the four IDX files " + String.join(", ", FILES.stream().map(f -> f + ".gz").toList())
                + " (or the same without .gz)";
    }
}

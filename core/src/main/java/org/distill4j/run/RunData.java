package org.distill4j.run;

import ai.djl.ndarray.NDManager;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.data.DataSources;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.Normalisation;
import org.distill4j.model.InputShapeException;
import org.distill4j.model.Network;
import org.distill4j.model.ModelSpec;

/**
 * The data of a run, loaded in one place for every command that trains (train, resume,
 * reproduce, the benchmarks): the normalised training and test sets, how they were normalised
 * and what their classes are called (which travels with every trained model), and where they
 * came from.
 *
 * @param train the training set (the validation split is carved from it by {@link Experiment})
 * @param test the test set
 * @param normalisation the statistics applied to both (from the training split) and the class names
 * @param source the {@code data.source} they came from ({@code fashion-mnist}, {@code idx}, {@code csv}, {@code images})
 * @param origin where they were read from, for messages: a directory, a file, a folder
 */
public record RunData(Dataset train, Dataset test, Normalisation normalisation, String source, String origin) {

    public RunData {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        Objects.requireNonNull(normalisation, "normalisation");
        Objects.requireNonNull(source, "source");
    }

    /** Fashion-MNIST as {@link FashionMnist#load} reads it: the fixed constants, the ten class names. */
    public static RunData of(FashionMnist.Splits splits) {
        return of(splits, null);
    }

    private static RunData of(FashionMnist.Splits splits, Path dir) {
        return new RunData(splits.train(), splits.test(), fashionMnistNormalisation(splits.train().sampleShape()),
                DataSpec.FASHION_MNIST, dir == null ? null : dir.toString());
    }

    /** Fashion-MNIST's normalisation: its fixed constants and ten class names, for samples of {@code shape}. */
    static Normalisation fashionMnistNormalisation(long[] shape) {
        return new Normalisation(Normalisation.Layout.PER_CHANNEL, Arrays.stream(shape).boxed().toList(),
                List.of(Double.parseDouble(Float.toString(Dataset.MEAN))),
                List.of(Double.parseDouble(Float.toString(Dataset.STD))), FashionMnist.CLASS_NAMES);
    }

    /**
     * Loads the data a config names.
     *
     * @param spec the config's {@code data}
     * @param baseDir what relative paths of {@code spec} are resolved against (a loaded config's are
     *     already absolute)
     * @param fashionMnistDir finds the Fashion-MNIST directory (the {@code --data} option); asked
     *     only when the source is Fashion-MNIST
     * @throws org.distill4j.data.DatasetException if the data is missing, unreadable or inconsistent
     *     (a {@link org.distill4j.data.DataSourceException}, one line naming the file and row, for
     *     the user's own sources)
     */
    public static RunData load(DataSpec spec, Path baseDir, Supplier<Path> fashionMnistDir) {
        if (spec.fashionMnistSource()) {
            Path dir = fashionMnistDir.get();
            return of(FashionMnist.load(dir), dir);
        }
        DataSources.Loaded loaded = DataSources.load(spec.sourceSpec(), baseDir);
        return new RunData(loaded.train(), loaded.test(), loaded.normalisation(), spec.sourceName(),
                baseDir.resolve(spec.train()).toString());
    }

    /**
     * Loads the data a config names, relative paths against the working directory (a loaded
     * config's are already absolute), and checks every network of the config against the
     * samples' shape: bad data and a misfit model both stop a run before anything is written.
     *
     * @param fashionMnistDir finds the Fashion-MNIST directory; asked only when the config's
     *     {@code data} has no {@code source}
     * @throws org.distill4j.data.DatasetException if the data is missing, unreadable or inconsistent
     * @throws InputShapeException if a network of the config cannot take the samples
     */
    public static RunData load(RunConfig cfg, Supplier<Path> fashionMnistDir) {
        RunData data = load(cfg.data(), Path.of("").toAbsolutePath(), fashionMnistDir);
        data.checkModels(cfg);
        return data;
    }

    /**
     * A saved teacher ({@code teacher.load}) must be an intact network file of the configured
     * model that takes the data's samples and classes; an imported one ({@code teacher.import})
     * a model of its format that takes the data's samples, gives one logit per class and has every
     * tap the config names (opened, probed and closed here). Nothing to check without either.
     *
     * @throws java.io.IOException if the file is missing or damaged
     * @throws InputShapeException if it takes other samples or has another number of classes
     * @throws org.distill4j.model.ImportedModelException if an imported file cannot serve the run
     */
    public void checkLoadedTeacher(RunConfig cfg) throws java.io.IOException {
        int k = 0;
        for (org.distill4j.config.TeacherSpec t : cfg.teacherSpecs().values()) {
            String key = cfg.teachers() == null ? "teacher" : "teachers[" + k + "]";
            k++;
            if (t.imported() != null) {
                org.distill4j.model.ImportedModel.open(key, t.importSpec(), normalisation).close();
                continue;
            }
            if (t.load() == null) {
                continue;
            }
            Path file = Path.of(t.load());
            Network.checkSaved(file, t.model());
            try (NDManager m = NDManager.newBaseManager(); Network n = Network.load(file, t.model(), m)) {
                int classes = normalisation.numClasses();
                if (!Arrays.equals(n.sampleShape(), sampleShape()) || n.numClasses() != classes) {
                    throw new InputShapeException(key + ".load: " + file + " takes samples of shape "
                            + Arrays.toString(n.sampleShape()) + " with " + n.numClasses() + " classes but the data ("
                            + source + ") has " + Arrays.toString(sampleShape()) + " with " + classes + " classes");
                }
            }
        }
    }

    /** @return the shape of one sample, e.g. {@code [1, 28, 28]} or {@code [4]} */
    public long[] sampleShape() {
        return train.sampleShape();
    }

    /**
     * The normalisation as named in the knowledge store's preprocessing key. For Fashion-MNIST it is
     * the string stores have always held (so existing stores stay valid); otherwise the layout and
     * statistics, or, for more than 16 of them, their SHA-256.
     */
    public String preprocessing() {
        if (source.equals(DataSpec.FASHION_MNIST)) {
            return "normalise(mean=" + Dataset.MEAN + ",std=" + Dataset.STD + ")";
        }
        String layout = normalisation.layout().name().toLowerCase(java.util.Locale.ROOT);
        if (normalisation.mean().size() <= 16) {
            return "normalise(" + layout + ",mean=" + normalisation.mean() + ",std=" + normalisation.std() + ")";
        }
        return "normalise(" + layout + ",sha256="
                + org.distill4j.io.Provenance.sha256(normalisation.mean() + "/" + normalisation.std()) + ")";
    }

    /**
     * Checks every network of the config (teacher, student, a scheme's peers and assistants)
     * against the data's sample shape, before anything trains.
     *
     * @throws InputShapeException naming the config key, the model and the shape
     */
    public void checkModels(RunConfig config) {
        check(config, "", sampleShape());
    }

    private static void check(Object value, String path, long[] shape) {
        if (value == null) {
            return;
        }
        if (value instanceof ModelSpec model) {
            try {
                model.checkInput(shape);
            } catch (InputShapeException e) {
                throw new InputShapeException(path + ": " + e.getMessage());
            }
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                check(item, path + "[" + i++ + "]", shape);
            }
            return;
        }
        if (!value.getClass().isRecord() || value instanceof DataSpec) {
            return;
        }
        for (RecordComponent c : value.getClass().getRecordComponents()) {
            Object child;
            try {
                c.getAccessor().setAccessible(true);
                child = c.getAccessor().invoke(value);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // not ours to read (a user's record): nothing to check there
            }
            check(child, path.isEmpty() ? c.getName() : path + "." + c.getName(), shape);
        }
    }
}

package org.distill4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;

/**
 * The one place the CLI's training commands (train, quickstart, resume, reproduce, bench kd and
 * schemes) load a config's data: Fashion-MNIST from {@code --data} (then {@code DISTILL4J_DATA},
 * then Debian's package) when {@code data.source} is absent, otherwise the config's own files
 * (their paths already absolute, see {@link ConfigLoader#load(Path)}). It then checks every
 * network of the config against the samples' shape, so bad data (exit 3) and a misfit model
 * (exit 2) both stop a run before its directory exists.
 */
final class DataLoader {
    private DataLoader() {}

    static RunData load(RunConfig cfg, Path fashionMnistDir, PrintStream err) {
        if (!cfg.data().fashionMnistSource() && fashionMnistDir != null) {
            err.println("note: --data names the Fashion-MNIST directory; this config reads data.source "
                    + cfg.data().sourceName() + ", so --data is not used");
        }
        RunData data = RunData.load(cfg.data(), Path.of("").toAbsolutePath(),
                () -> DataLocator.locate(fashionMnistDir, err));
        data.checkModels(cfg);
        return data;
    }

    /** A saved teacher ({@code teacher.load}) must take the data's samples and classes. */
    static void checkLoadedTeacher(Path file, RunConfig cfg, RunData data) throws java.io.IOException {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                org.distill4j.model.Network n = org.distill4j.model.Network.load(file, cfg.teacher().model(), m)) {
            int classes = data.normalisation().numClasses();
            if (!Arrays.equals(n.sampleShape(), data.sampleShape()) || n.numClasses() != classes) {
                throw new org.distill4j.model.InputShapeException("teacher.load: " + file + " takes samples of shape "
                        + Arrays.toString(n.sampleShape()) + " with " + n.numClasses() + " classes but the data ("
                        + data.source() + ") has " + Arrays.toString(data.sampleShape()) + " with " + classes
                        + " classes");
            }
        }
    }

    /**
     * An imported teacher ({@code teacher.import}) must be a model of its format that takes the
     * data's samples, gives one logit per class and has every tap the config names: opened,
     * probed and closed here, so a misfit stops the run before its directory exists (exit 2).
     */
    static void checkImportedTeacher(RunConfig cfg, RunData data) {
        org.distill4j.model.ImportedModel.open("teacher", cfg.teacher().importSpec(), data.normalisation()).close();
    }

    /** For the run-directory line: the Fashion-MNIST directory as before, or the source and what it holds. */
    static String describe(RunData data) {
        if (data.source().equals(org.distill4j.config.DataSpec.FASHION_MNIST)) {
            return String.valueOf(data.origin());
        }
        return data.source() + " " + data.origin() + " (" + data.train().size() + " train / " + data.test().size()
                + " test samples of " + Arrays.toString(data.sampleShape()) + ", " + data.normalisation().numClasses()
                + " classes)";
    }
}

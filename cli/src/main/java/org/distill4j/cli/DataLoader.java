package org.distill4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.config.RunConfig;
import org.distill4j.run.RunData;

/**
 * The one place the CLI's training commands (train, quickstart, resume, reproduce, evaluate, bench
 * kd and schemes) load a config's data: {@link RunData#load(RunConfig, java.util.function.Supplier)}
 * with Fashion-MNIST from {@code --data} (then {@code DISTILL4J_DATA}, then Debian's package,
 * installed when missing if we run as root: see {@link DataLocator}) when {@code data.source} is
 * absent. Bad data (exit 3) and a misfit model (exit 2) both stop a run before its directory exists.
 */
final class DataLoader {
    private DataLoader() {}

    static RunData load(RunConfig cfg, Path fashionMnistDir, PrintStream err) {
        if (!cfg.data().fashionMnistSource() && fashionMnistDir != null) {
            err.println("note: --data names the Fashion-MNIST directory; this config reads data.source "
                    + cfg.data().sourceName() + ", so --data is not used");
        }
        return RunData.load(cfg, () -> DataLocator.locate(fashionMnistDir, err));
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

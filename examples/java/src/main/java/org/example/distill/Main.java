package org.example.distill;

import java.nio.file.Path;
import org.distill4j.cli.ConfigLoader;
import org.distill4j.config.Registry;
import org.distill4j.config.RunConfig;
import org.distill4j.data.FashionMnist;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.run.Experiment;
import org.distill4j.train.TrainListener;

/**
 * Registers the user's own method under a name, then runs a YAML config that chooses it by that
 * name, exactly like a built-in method.
 *
 * <p>Arguments: the config file, the Fashion-MNIST directory, the run directory.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Main CONFIG.yaml FASHION_MNIST_DIR RUN_DIR");
            System.exit(2);
        }
        Registry.method("logit-matching", LogitMatching.class);
        RunConfig config = ConfigLoader.load(Path.of(args[0]));
        RunRecord record = new Experiment(config, FashionMnist.load(Path.of(args[1])), Path.of(args[2]),
                TrainListener.NONE).run();
        for (ModelResult m : record.models()) {
            System.out.printf("%-26s %-16s test accuracy %.2f%%%n", m.name(), m.method(), 100 * m.metrics().testAccuracy());
        }
    }
}

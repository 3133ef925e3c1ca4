package org.example.distill;

import java.nio.file.Path;
import org.distill4j.api.Distill;
import org.distill4j.config.Registry;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;

/**
 * Registers the user's own method under a name, then runs a YAML config that chooses it by that
 * name, exactly like a built-in method, through distill4j's facade.
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
        RunRecord record = Distill.yaml(Path.of(args[0])).fashionMnist(Path.of(args[1])).run(Path.of(args[2]));
        for (ModelResult m : record.models()) {
            System.out.printf("%-26s %-16s test accuracy %.2f%%%n", m.name(), m.method(), 100 * m.metrics().testAccuracy());
        }
    }
}

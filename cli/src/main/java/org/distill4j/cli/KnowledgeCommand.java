package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.spark.KnowledgeJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill knowledge …}: the teacher's knowledge store, computed ahead of the student's runs. */
@Command(name = "knowledge", mixinStandardHelpOptions = true,
        description = "The teacher's knowledge store (logits and taps by sample id), built ahead of student runs.",
        subcommands = KnowledgeCommand.Build.class)
final class KnowledgeCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    Main main;

    @Override
    public void run() {
        spec.commandLine().usage(main.out);
    }

    /** {@code distill knowledge build -c FILE.yaml}: the store as a Spark job (embedded local Spark by default). */
    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Compute the config's teacher knowledge store as an Apache Spark job: shards and a manifest "
                    + "in --out; a student run reads them with student.knowledgeStore: DIR (docs/cluster.md).",
                "Re-running keeps the shards already complete and valid and builds only the others."})
    static final class Build implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
                description = "run config (YAML) whose teacher is loaded (teacher.load) or imported (teacher.import)")
        Path config;

        @Option(names = "--spark", paramLabel = "MASTER",
                description = "Spark master: local[N], spark://host:7077, yarn, k8s://… (default: spark-submit's, else local[*])")
        String master;

        @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
                description = "number of shards (default: Spark's default parallelism)")
        int partitions;

        @Option(names = "--out", paramLabel = "DIR",
                description = "the store's directory, a local path or a Hadoop file system URI (default: knowledge/<config name>)")
        String out;

        @Option(names = "--taps", paramLabel = "TAP", split = ",",
                description = "teacher taps to store beside the logits, those the student's method reads (e.g. stage2,embedding)")
        List<String> taps = new ArrayList<>();

        @Option(names = "--data", paramLabel = "DIR",
                description = "directory with the four Fashion-MNIST IDX files, when the config reads Fashion-MNIST")
        Path data;

        @picocli.CommandLine.ParentCommand
        KnowledgeCommand parent;

        @Override
        public Integer call() throws Exception {
            Main main = parent.main;
            RunConfig cfg = ConfigLoader.load(config);
            Path fashionMnist = cfg.data().fashionMnistSource() ? DataLocator.locate(data, main.err) : null;
            String dir = out != null ? out : Path.of("knowledge", cfg.name()).toString();
            KnowledgeJob.Result r;
            try {
                r = KnowledgeJob.run(new KnowledgeJob.Request(cfg, fashionMnist, dir, master, partitions, taps),
                        main.err::println);
            } catch (IllegalArgumentException bad) { // the config's teacher, --partitions or --taps
                main.err.println("config error: " + config + ": " + bad.getMessage());
                return Main.CONFIG_ERROR;
            }
            main.out.printf("knowledge store %s: %d samples in %d shards (%d built, %d kept)%n", r.out(), r.samples(),
                    r.partitions(), r.built().size(), r.kept().size());
            if (!r.built().isEmpty()) {
                main.out.printf("built %d samples in %.2f s: %.1f samples/s%n", r.builtSamples(), r.seconds(),
                        r.samplesPerSecond());
            }
            main.out.println("a student run reads it with: student: {knowledgeStore: " + r.out() + "}");
            return 0;
        }
    }
}

package org.distill4j.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.SourceSpec;
import org.distill4j.io.RunLock;
import org.distill4j.report.RunRecord;
import org.distill4j.run.ConfigDriftException;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunData;
import org.distill4j.run.RunDirectory;
import org.distill4j.train.StopRequest;
import org.distill4j.train.TrainListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front door for Java code: one run of a config, given in code or as YAML, into a run
 * directory, giving its {@link RunRecord}. The directory is the same as {@code ./distill train}
 * leaves ({@code record.json}, {@code report.html}, the networks, {@code config.yaml}), so the CLI
 * can resume, reproduce or evaluate it.
 *
 * <pre>{@code
 * RunRecord record = Distill.yaml(Path.of("kd.yaml"))
 *         .fashionMnist(Path.of("/usr/share/datasets/fashion-mnist"))
 *         .run(Path.of("runs/kd"));
 * double accuracy = record.model("student-kd").metrics().testAccuracy();
 * }</pre>
 *
 * <p>A value: every {@code with}-style method returns a new {@code Distill}, so one may be shared
 * between threads. Runs in one JVM take turns (the engine records gradients for one training at a
 * time); a second {@link #run} waits for the first.
 *
 * <p>A guest in a service: it prints nothing (messages and epoch summaries go to the SLF4J logger
 * {@code org.distill4j}, or to a {@link #listener} of the caller's), and leaves system properties,
 * the default locale, signal and shutdown handlers and the engine's thread counts as they were,
 * unless asked ({@link #engineThreads}). What training does change is the engine's random seed,
 * set from the config's {@code seed} (that is what makes a run reproducible).
 */
public final class Distill {
    private static final Logger LOG = LoggerFactory.getLogger("org.distill4j");
    /** DJL allows one gradient recorder at a time in a JVM: runs take turns. */
    private static final ReentrantLock TRAINING = new ReentrantLock(true);

    private final RunConfig config;
    private final String source;
    private final Path fashionMnistDir;
    private final TrainListener listener;
    private final StopRequest stop;
    private final int engineThreads;

    private Distill(RunConfig config, String source, Path fashionMnistDir, TrainListener listener, StopRequest stop,
            int engineThreads) {
        this.config = config;
        this.source = source;
        this.fashionMnistDir = fashionMnistDir;
        this.listener = listener;
        this.stop = stop;
        this.engineThreads = engineThreads;
    }

    /** A config built in Java; relative data paths are taken against the working directory. */
    public static Distill config(RunConfig config) {
        return of(Objects.requireNonNull(config, "config"), "api:code");
    }

    /**
     * A config as YAML text, read as strictly as a file (unknown keys, wrong types and bad values
     * are a {@link ConfigException} of one line); relative data paths are taken against the
     * working directory. Methods and schemes of the caller's own are registered first
     * ({@link org.distill4j.config.Registry}).
     */
    public static Distill yaml(String yaml) throws ConfigException {
        return of(ConfigLoader.parse(Objects.requireNonNull(yaml, "yaml"), "(yaml)"), "api:yaml");
    }

    /** A config file; its relative data paths are taken against the file's directory, as by the CLI. */
    public static Distill yaml(Path file) throws ConfigException {
        return of(ConfigLoader.load(file), file.toAbsolutePath().toString());
    }

    private static Distill of(RunConfig cfg, String source) {
        RunConfig absolute = cfg.withData(cfg.data().resolvedAgainst(Path.of("").toAbsolutePath()));
        return new Distill(absolute, source, null, null, StopRequest.NONE, 0);
    }

    /** The config this runs (data paths absolute). */
    public RunConfig config() {
        return config;
    }

    /**
     * The data as a source of the user's own files ({@code idx}, {@code csv}, {@code images}),
     * replacing the config's {@code data.source}; its validation fraction and limits are kept.
     */
    public Distill data(SourceSpec spec) {
        DataSpec d = config.data();
        DataSpec data = DataSpec.of(Objects.requireNonNull(spec, "spec")).withLimits(d.validation(), d.trainLimit(),
                d.testLimit());
        return new Distill(config.withData(data.resolvedAgainst(Path.of("").toAbsolutePath())), source,
                fashionMnistDir, listener, stop, engineThreads);
    }

    /**
     * Where Fashion-MNIST is read from when the config has no {@code data.source} (the four IDX
     * files, gzipped or not). Without it: {@code $DISTILL4J_DATA}, then Debian's
     * {@code /usr/share/datasets/fashion-mnist}. Nothing is ever downloaded or installed.
     */
    public Distill fashionMnist(Path dir) {
        return new Distill(config, source, Objects.requireNonNull(dir, "dir"), listener, stop, engineThreads);
    }

    /** Observes the run (progress, epoch summaries, messages) instead of the SLF4J log. */
    public Distill listener(TrainListener l) {
        return new Distill(config, source, fashionMnistDir, Objects.requireNonNull(l, "listener"), stop, engineThreads);
    }

    /**
     * The run obeys {@code request}: once asked, it writes a checkpoint at the next step and ends
     * with a {@link org.distill4j.train.StoppedException}; {@link #run} on the same directory
     * continues from there.
     */
    public Distill stoppedBy(StopRequest request) {
        return new Distill(config, source, fashionMnistDir, listener, Objects.requireNonNull(request, "request"),
                engineThreads);
    }

    /**
     * The engine's intra-op thread count during {@link #run}, the service's own restored after
     * it. Without this the run uses whatever the JVM has (the engine's default, or what the service
     * set). PyTorch only.
     */
    public Distill engineThreads(int intraOp) {
        if (intraOp < 1) {
            throw new IllegalArgumentException("engineThreads: must be ≥ 1 (got " + intraOp + ")");
        }
        return new Distill(config, source, fashionMnistDir, listener, stop, intraOp);
    }

    /**
     * Runs the config into {@code runDir} (created if missing) and returns its record. The data is
     * read and every network checked against it before anything is written. A directory holding
     * an unfinished run of the same config continues from its newest checkpoint; one holding a
     * finished run gives its record back; one holding another config's run is refused.
     *
     * @throws ConfigException if {@code runDir} holds a run whose config cannot be read
     * @throws ConfigDriftException if {@code runDir} holds a run of another config
     * @throws org.distill4j.data.DatasetException if the data is missing, unreadable or inconsistent
     * @throws org.distill4j.model.InputShapeException if a network of the config cannot take the data
     * @throws org.distill4j.train.NonFiniteLossException if training diverged
     * @throws org.distill4j.train.StoppedException if the {@link #stoppedBy stop request} was asked
     * @throws IOException if a file cannot be read or written ({@link RunLock.Held}: another
     *     process trains in {@code runDir})
     */
    public RunRecord run(Path runDir) throws IOException, ConfigException {
        Objects.requireNonNull(runDir, "runDir");
        TRAINING.lock();
        try {
            int before = engineThreads > 0 ? ai.djl.pytorch.jni.JniUtils.getNumThreads() : 0;
            try {
                if (engineThreads > 0) {
                    ai.djl.pytorch.jni.JniUtils.setNumThreads(engineThreads);
                }
                return runLocked(runDir);
            } finally {
                if (engineThreads > 0) {
                    ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
                }
            }
        } finally {
            TRAINING.unlock();
        }
    }

    private RunRecord runLocked(Path runDir) throws IOException, ConfigException {
        TrainListener l = listener != null ? listener : new LoggingListener(LOG);
        if (!config.data().fashionMnistSource() && fashionMnistDir != null) {
            LOG.warn("the Fashion-MNIST directory {} is not used: the config reads data.source {}", fashionMnistDir,
                    config.data().sourceName());
        }
        RunData data = RunData.load(config, () -> FashionMnist.locate(fashionMnistDir, System.getenv()));
        data.checkLoadedTeacher(config);
        Files.createDirectories(runDir);
        try (RunLock lock = RunLock.acquire(runDir)) {
            if (lock.takenOver() != null) {
                l.onMessage(runDir + ": " + lock.takenOver());
            }
            if (Files.exists(runDir.resolve(RunDirectory.FROZEN_CONFIG))) {
                RunConfig earlier = RunDirectory.frozenConfig(runDir);
                if (!earlier.digest().equals(config.digest())) {
                    throw new ConfigDriftException(runDir + " holds a run of another config (" + String.join(", ",
                            ConfigLoader.differingKeys(earlier, config)) + "); run into a new directory");
                }
            } else {
                RunDirectory.freeze(runDir, config, source, null, List.of());
            }
            return new Experiment(config, data, runDir, l).recordingDataFiles().stoppedBy(stop).run();
        }
    }
}

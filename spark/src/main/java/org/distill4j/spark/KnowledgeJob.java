package org.distill4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.config.TeacherSpec;
import org.distill4j.io.Provenance;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.ShardedKnowledgeStore;
import org.distill4j.model.ImportedModel;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Network;
import org.distill4j.run.Experiment;
import org.distill4j.run.RunData;
import org.distill4j.train.RunContext;

/**
 * The teacher's knowledge store of a run config, computed as an Apache Spark job: the run's
 * training set is cut into {@code partitions} parts over contiguous ranges of sample ids; each Spark task loads the data
 * and the teacher once (DJL inside {@code mapPartitions}, one {@link NDManager} per partition,
 * closed), runs the teacher over its part and writes one {@link KnowledgeStore} shard. The
 * driver publishes {@link ShardedKnowledgeStore#MANIFEST} last.
 *
 * <p>Safety: a shard is written to a local temporary file, verified (checksums, digests, the
 * sample ids of its part), copied to a temporary name beside its final one and renamed into
 * place; the manifest is removed before any shard is rebuilt and written (temporary name, then
 * rename) after all are in place. A killed job therefore leaves no manifest, and shards under
 * their final names are complete. A re-run keeps every shard that verifies and rebuilds only the
 * others. The output may be any Hadoop file system URI ({@code file://} by default); the config,
 * its data and the teacher file must be readable at the same paths on every executor.
 */
public final class KnowledgeJob {
    private KnowledgeJob() {}

    /**
     * A job.
     *
     * @param config the run config (its teacher must be loaded or imported: {@code teacher.load}
     *     or {@code teacher.import})
     * @param fashionMnistDir where Fashion-MNIST is when the config reads it (else null)
     * @param out the store's directory: a local path or a Hadoop file system URI
     * @param master the Spark master ({@code local[2]}, {@code spark://host:7077} …); null: the
     *     one {@code spark-submit} set, else {@code local[*]}
     * @param partitions how many shards (0: Spark's default parallelism)
     * @param taps teacher taps to store beside the logits (those the student's method reads)
     */
    public record Request(RunConfig config, java.nio.file.Path fashionMnistDir, String out, String master,
            int partitions, List<String> taps) {
        public Request {
            if (partitions < 0) {
                throw new IllegalArgumentException("partitions: must be >= 0 (got " + partitions + ")");
            }
            taps = List.copyOf(taps);
        }
    }

    /** What a job did: the store, its samples, the parts it built and kept, and the build's rate. */
    public record Result(String out, int samples, int partitions, List<Integer> built, List<Integer> kept,
            int builtSamples, double seconds) {
        /** Samples per second over the parts built (the Spark job's wall time); NaN when none was built. */
        public double samplesPerSecond() {
            return builtSamples == 0 ? Double.NaN : builtSamples / seconds;
        }
    }

    /** What every task needs, serialised to the executors: the config as YAML (paths absolute). */
    private record Plan(String configYaml, String fashionMnistDir, String out, int samples, int partitions,
            List<String> taps, String teacher, String data, String preprocessing) implements Serializable {
        KnowledgeStore.Key key() {
            return new KnowledgeStore.Key(teacher, data, preprocessing);
        }

        /** The positions of part {@code part} in the training set ordered by {@link #byId}: a contiguous range of ids. */
        int[] positions(int[] byId, int part) {
            return Arrays.copyOfRange(byId, begin(part), begin(part + 1));
        }

        int begin(int part) {
            return (int) ((long) samples * part / partitions);
        }
    }

    /** The positions of {@code train}'s samples in ascending order of their ids. */
    static int[] byId(Dataset train) {
        long[] packed = new long[train.size()];
        for (int p = 0; p < packed.length; p++) {
            packed[p] = (long) train.id(p) << 32 | p;
        }
        Arrays.sort(packed);
        return Arrays.stream(packed).mapToInt(v -> (int) v).toArray();
    }

    /** One shard a task wrote. */
    private record Built(int part, int rows, int firstId, int lastId, String sha256) implements Serializable {}

    /** Runs the job; notices are one-line progress messages for the user. */
    public static Result run(Request request, Consumer<String> notices) throws IOException {
        RunConfig cfg = request.config();
        RunData data = RunData.load(cfg, () -> request.fashionMnistDir());
        Dataset train = Experiment.trainingSplit(cfg, data).train();
        List<String> stored;
        String teacherDigest;
        // the teacher is checked before Spark starts: a config that cannot work fails at once
        try (NDManager root = NDManager.newBaseManager(); InferenceModel teacher = openTeacher(cfg, data, root)) {
            stored = KnowledgeStore.tapsToStore(teacher, request.taps());
            List<String> unknown = request.taps().stream().filter(t -> !stored.contains(t)).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("--taps: the teacher has no taps " + unknown + " (it has "
                        + teacher.tapNames() + ")");
            }
            teacherDigest = teacher.answersDigest();
        }
        if (request.partitions() > train.size()) {
            throw new IllegalArgumentException("--partitions: at most one per sample (" + train.size() + "), got "
                    + request.partitions());
        }
        long start = System.nanoTime();
        try (JavaSparkContext sc = new JavaSparkContext(sparkConf(request.master()))) {
            int partitions = request.partitions() > 0 ? request.partitions() : Math.min(train.size(), sc.defaultParallelism());
            Plan plan = new Plan(ConfigLoader.toYaml(cfg), request.fashionMnistDir() == null ? null
                    : request.fashionMnistDir().toAbsolutePath().toString(), request.out(), train.size(), partitions,
                    stored, teacherDigest, train.digest(), RunContext.preprocessing(data.preprocessing(), train));
            Path out = new Path(request.out());
            FileSystem fs = fileSystem(out, sc.hadoopConfiguration());
            Path manifest = new Path(out, ShardedKnowledgeStore.MANIFEST);
            refuseOtherKnowledge(fs, manifest, plan);
            List<Integer> kept = new ArrayList<>();
            List<Integer> todo = new ArrayList<>();
            ShardedKnowledgeStore.Shard[] shards = new ShardedKnowledgeStore.Shard[partitions];
            int[] order = byId(train);
            for (int p = 0; p < partitions; p++) {
                shards[p] = verified(fs, new Path(out, ShardedKnowledgeStore.shardName(p, partitions)), plan, p, train,
                        order);
                (shards[p] != null ? kept : todo).add(p);
            }
            if (!kept.isEmpty()) {
                notices.accept("keeping " + kept.size() + " of " + partitions + " shards already complete and valid in " + out);
            }
            int builtSamples = 0;
            double seconds = 0;
            if (!todo.isEmpty()) {
                fs.delete(manifest, false); // the store is unfinished until every shard is in place again
                fs.mkdirs(out);
                notices.accept("building " + todo.size() + " shard(s) of " + train.size() + " samples on " + sc.master());
                long jobStart = System.nanoTime();
                List<Built> built = sc.parallelize(todo, todo.size())
                        .mapPartitions(parts -> buildParts(plan, parts)).collect();
                seconds = (System.nanoTime() - jobStart) / 1e9;
                for (Built b : built) {
                    shards[b.part()] = new ShardedKnowledgeStore.Shard(ShardedKnowledgeStore.shardName(b.part(), partitions),
                            b.part(), b.rows(), b.firstId(), b.lastId(), b.sha256());
                    builtSamples += b.rows();
                }
            }
            ShardedKnowledgeStore.Manifest m = new ShardedKnowledgeStore.Manifest(ShardedKnowledgeStore.FORMAT,
                    plan.teacher(), plan.data(), plan.preprocessing(), plan.taps(), train.size(), Arrays.asList(shards));
            writeAtomically(fs, manifest, m.toJson());
            notices.accept("knowledge store " + out + ": " + train.size() + " samples in " + partitions + " shards, "
                    + String.format("%.1f", (System.nanoTime() - start) / 1e9) + " s");
            return new Result(out.toString(), train.size(), partitions, todo, kept, builtSamples, seconds);
        }
    }

    /** The Spark configuration: the given master, else spark-submit's, else {@code local[*]}; local ones on loopback. */
    static SparkConf sparkConf(String master) {
        SparkConf conf = new SparkConf().setAppName("distill4j knowledge build");
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (conf.get("spark.master").startsWith("local")) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.ui.enabled", "false");
        }
        return conf;
    }

    private static FileSystem fileSystem(Path out, Configuration hadoop) throws IOException {
        FileSystem fs = out.getFileSystem(hadoop);
        if (fs instanceof LocalFileSystem local) {
            return local.getRawFileSystem(); // no .crc side files: every shard carries its own checksums
        }
        return fs;
    }

    /** A store of other knowledge (another teacher, data or preprocessing) at {@code --out} is never overwritten. */
    private static void refuseOtherKnowledge(FileSystem fs, Path manifest, Plan plan) throws IOException {
        if (!fs.exists(manifest)) {
            return;
        }
        ShardedKnowledgeStore.Manifest m;
        try (InputStream in = fs.open(manifest)) {
            m = ShardedKnowledgeStore.Manifest.parse(in.readAllBytes(), manifest.toString());
        }
        String other = KnowledgeStore.staleness(m.key(), plan.key());
        if (other != null) {
            throw new IOException(manifest.getParent() + " holds the knowledge of other " + other
                    + ": choose another --out, or delete it to rebuild");
        }
    }

    /** The shard at {@code file} as the manifest lists it if it is complete and valid for part {@code part}; else null. */
    private static ShardedKnowledgeStore.Shard verified(FileSystem fs, Path file, Plan plan, int part, Dataset train,
            int[] order)
            throws IOException {
        if (!fs.exists(file)) {
            return null;
        }
        java.nio.file.Path local = localCopy(fs, file);
        try {
            int[] expected = Arrays.stream(plan.positions(order, part)).map(train::id).toArray();
            if (!valid(local, plan, expected)) {
                return null;
            }
            return new ShardedKnowledgeStore.Shard(file.getName(), part, expected.length, min(expected), max(expected),
                    Provenance.sha256(local));
        } finally {
            if (!(fs instanceof org.apache.hadoop.fs.RawLocalFileSystem)) {
                Files.deleteIfExists(local);
            }
        }
    }

    private static boolean valid(java.nio.file.Path local, Plan plan, int[] expectedIds) {
        try {
            KnowledgeStore s = KnowledgeStore.open(local, plan.key());
            return Arrays.equals(s.ids(), expectedIds) && s.tapShapes().shapes().keySet().containsAll(plan.taps());
        } catch (IOException | RuntimeException damaged) {
            return false;
        }
    }

    private static java.nio.file.Path localCopy(FileSystem fs, Path file) throws IOException {
        if (fs instanceof org.apache.hadoop.fs.RawLocalFileSystem) {
            return java.nio.file.Path.of(file.toUri().getPath());
        }
        java.nio.file.Path tmp = Files.createTempFile("distill4j-shard", ".safetensors");
        fs.copyToLocalFile(false, file, new Path(tmp.toUri()), true);
        return tmp;
    }

    /** One Spark partition: loads data and teacher once, then writes each part's shard. */
    private static Iterator<Built> buildParts(Plan plan, Iterator<Integer> parts)
            throws IOException, org.distill4j.config.ConfigException {
        // PyTorch's grad mode is per thread, and DJL turns it off only on the thread that started the
        // engine: a Spark task thread would load the teacher's weights into grad-requiring leaves. In a
        // fresh executor JVM the engine (and its native library) must be started first.
        ai.djl.engine.Engine.getEngine("PyTorch");
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        RunConfig cfg = ConfigLoader.parse(plan.configYaml(), "knowledge build");
        RunData data = RunData.load(cfg, () -> java.nio.file.Path.of(java.util.Objects.requireNonNull(plan.fashionMnistDir(),
                "the Fashion-MNIST directory")));
        Dataset train = Experiment.trainingSplit(cfg, data).train();
        if (!train.digest().equals(plan.data())) {
            throw new IOException("an executor read other data than the driver (digest " + train.digest()
                    + "): the config's data must be the same files on every executor");
        }
        int[] order = byId(train);
        List<Built> out = new ArrayList<>();
        FileSystem fs = fileSystem(new Path(plan.out()), new Configuration());
        try (NDManager root = NDManager.newBaseManager(); InferenceModel teacher = openTeacher(cfg, data, root)) {
            if (!teacher.answersDigest().equals(plan.teacher())) {
                throw new IOException("an executor loaded another teacher than the driver: the teacher file must be the "
                        + "same on every executor");
            }
            while (parts.hasNext()) {
                int part = parts.next();
                int[] positions = plan.positions(order, part);
                Dataset slice = train.subset(train.name() + " part " + part, positions);
                java.nio.file.Path local = Files.createTempFile("distill4j-shard-" + part + "-", ".safetensors");
                try {
                    KnowledgeStore.build(local, teacher, slice, plan.taps(), plan.key(), root);
                    int[] ids = slice.ids();
                    if (!valid(local, plan, ids)) {
                        throw new IOException("shard " + part + " failed its verification after writing " + local);
                    }
                    String sha = Provenance.sha256(local);
                    Path dst = new Path(plan.out(), ShardedKnowledgeStore.shardName(part, plan.partitions()));
                    Path tmp = new Path(plan.out(), "." + dst.getName() + ".attempt-" + attempt() + ".tmp");
                    fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
                    fs.delete(dst, false);
                    if (!fs.rename(tmp, dst)) {
                        throw new IOException("could not rename " + tmp + " to " + dst);
                    }
                    out.add(new Built(part, ids.length, min(ids), max(ids), sha));
                } finally {
                    Files.deleteIfExists(local);
                }
            }
        }
        return out.iterator();
    }

    private static String attempt() {
        TaskContext task = TaskContext.get();
        return task == null ? "driver" : Long.toString(task.taskAttemptId());
    }

    /** The config's teacher, for inference: a saved zoo network or an imported graph. */
    static InferenceModel openTeacher(RunConfig cfg, RunData data, NDManager root) throws IOException {
        if (cfg.teachers() != null) {
            throw new IllegalArgumentException("teachers: knowledge build computes one teacher's store (config "
                    + cfg.name() + " has several)");
        }
        TeacherSpec ts = cfg.teacher();
        InferenceModel teacher;
        if (ts.imported() != null) {
            teacher = ImportedModel.open(org.distill4j.knowledge.Knowledge.TEACHER, ts.importSpec(), data.normalisation());
        } else if (ts.load() != null) {
            teacher = Network.load(java.nio.file.Path.of(ts.load()), ts.model(), root);
        } else {
            throw new IllegalArgumentException("teacher: knowledge build needs a trained teacher, 'load' (a saved network, "
                    + "e.g. runs/<id>/teacher.model) or 'import' (ONNX/TorchScript); config " + cfg.name()
                    + " would train or draw it");
        }
        teacher.freeze();
        return teacher;
    }

    private static void writeAtomically(FileSystem fs, Path file, byte[] bytes) throws IOException {
        Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
        try (var out = fs.create(tmp, true)) {
            out.write(bytes);
        }
        fs.delete(file, false);
        if (!fs.rename(tmp, file)) {
            throw new IOException("could not rename " + tmp + " to " + file);
        }
    }

    private static int min(int[] a) {
        return Arrays.stream(a).min().orElse(-1);
    }

    private static int max(int[] a) {
        return Arrays.stream(a).max().orElse(-1);
    }
}

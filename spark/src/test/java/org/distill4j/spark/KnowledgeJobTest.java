package org.distill4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.ShardedKnowledgeStore;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.run.Experiment;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The knowledge store built by the Spark job (local[2], 3 partitions, the data slice, a tiny CNN
 * teacher): a student run reads it by sample id exactly as it reads its own single-file store and
 * as it asks the live teacher; a damaged shard is rebuilt alone on a re-run; an unfinished store
 * and a store of another teacher are refused with one line.
 */
class KnowledgeJobTest {
    static final Path SLICE = Path.of("..", "core", "src", "test", "resources", "fashion-mnist-slice").toAbsolutePath();
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null);
    static final DataSpec SMALL = new DataSpec(0.2, 160, 64);
    static final CnnSpec TEACHER = new CnnSpec(List.of(4), 16, true, null);

    @TempDir
    static Path dir;
    static Path teacher;
    static Path otherTeacher;

    /** Two tiny teachers trained on the slice (seeds 5 and 6): their saved networks are loaded by the configs below. */
    @BeforeAll
    static void trainTeachers() throws Exception {
        teacher = trainedTeacher(5L, "t5");
        otherTeacher = trainedTeacher(6L, "t6");
    }

    static Path trainedTeacher(long seed, String name) throws Exception {
        RunConfig cfg = new RunConfig(name, seed, SMALL, new TeacherSpec(TEACHER, ONE, null),
                new StudentSpec(TEACHER, ONE, new org.distill4j.method.NoDistillation(), false));
        new Experiment(cfg, FashionMnist.load(SLICE), dir.resolve(name), TrainListener.NONE).run();
        return dir.resolve(name).resolve("teacher.model");
    }

    static RunConfig config(Path teacherFile, StudentSpec.KnowledgeMode mode, Path store) {
        StudentSpec student = new StudentSpec(new CnnSpec(List.of(4), 16, true, null), ONE, new HintonKd(4.0, 0.9), false,
                mode, null, store == null ? null : store.toString());
        return new RunConfig("spark", 5L, SMALL, new TeacherSpec(TEACHER, null, teacherFile.toString()), student);
    }

    static KnowledgeJob.Result build(Path out, int partitions) throws IOException {
        return KnowledgeJob.run(new KnowledgeJob.Request(config(teacher, null, null), SLICE, out.toString(), "local[2]",
                partitions, List.of()), m -> {});
    }

    /** The distilled student's loss at every step. */
    static List<Double> studentLosses(RunConfig cfg, Path runDir) throws IOException {
        return losses(cfg, runDir, "student-kd");
    }

    /** The loss at every step of phase {@code student}. */
    static List<Double> losses(RunConfig cfg, Path runDir, String student) throws IOException {
        List<Double> losses = new ArrayList<>();
        String[] phase = {""};
        new Experiment(cfg, FashionMnist.load(SLICE), runDir, new TrainListener() {
            @Override
            public void onStart(String name, int epochs, int batchesPerEpoch, long stepsDone) {
                phase[0] = name;
            }

            @Override
            public void onStep(int epoch, int batch, double loss, double lr) {
                if (phase[0].equals(student)) {
                    losses.add(loss);
                }
            }
        }).run();
        assertFalse(losses.isEmpty(), "phase " + student + " ran");
        return losses;
    }

    @Test
    void aRunFromShardsHasTheLossesOfTheSingleFileStoreAndTheLiveTeacher() throws Exception {
        Path out = dir.resolve("store3");
        KnowledgeJob.Result r = build(out, 3);
        assertEquals(List.of(0, 1, 2), r.built());
        List<ShardedKnowledgeStore.Shard> shards = ShardedKnowledgeStore.Manifest.parse(
                Files.readAllBytes(out.resolve(ShardedKnowledgeStore.MANIFEST)), "m").shards();
        assertEquals(r.samples(), shards.stream().mapToInt(ShardedKnowledgeStore.Shard::rows).sum());
        for (int k = 1; k < shards.size(); k++) {
            assertTrue(shards.get(k).firstId() > shards.get(k - 1).lastId(), "disjoint, ascending id ranges: " + shards);
        }
        assertEquals(3, ((ShardedKnowledgeStore) ShardedKnowledgeStore.open(out, manifestKey(out), List.of("logits")))
                .shardFiles().size());

        // named as the job prints a store on the local file system: a file: URI
        StudentSpec s = config(teacher, null, null).student();
        RunConfig fromShards = new RunConfig("spark", 5L, SMALL, new TeacherSpec(TEACHER, null, teacher.toString()),
                new StudentSpec(s.model(), s.train(), s.method(), false, null, null, out.toUri().toString()));
        List<Double> sharded = studentLosses(fromShards, dir.resolve("run-sharded"));
        List<Double> single = studentLosses(config(teacher, null, null), dir.resolve("run-single"));
        List<Double> live = studentLosses(config(teacher, StudentSpec.KnowledgeMode.LIVE, null), dir.resolve("run-live"));
        assertTrue(Files.exists(dir.resolve("run-single/knowledge/teacher.safetensors")));
        assertFalse(Files.exists(dir.resolve("run-sharded/knowledge/teacher.safetensors")), "the shards were read instead");
        assertEquals(single.size(), sharded.size());
        assertTrue(single.size() >= 4, "several steps: " + single.size());
        for (int i = 0; i < single.size(); i++) {
            assertEquals(single.get(i), sharded.get(i), 1e-6, "step " + i + " (sharded vs single file)");
            assertEquals(live.get(i), sharded.get(i), 1e-6, "step " + i + " (sharded vs live)");
        }
    }

    @Test
    void reRunningRebuildsOnlyTheDamagedShards() throws Exception {
        Path out = dir.resolve("damaged");
        build(out, 3);
        Path shard0 = out.resolve(ShardedKnowledgeStore.shardName(0, 3));
        Path shard1 = out.resolve(ShardedKnowledgeStore.shardName(1, 3));
        Path shard2 = out.resolve(ShardedKnowledgeStore.shardName(2, 3));
        FileTime kept = FileTime.fromMillis(1_000_000_000L);
        Files.setLastModifiedTime(shard1, kept);
        byte[] whole = Files.readAllBytes(shard2);
        Files.write(shard2, java.util.Arrays.copyOf(whole, whole.length / 2)); // as if cut off mid-write
        Files.delete(shard0);
        KnowledgeStore.Key key = manifestKey(out);
        IOException broken = assertThrows(IOException.class, () -> ShardedKnowledgeStore.open(out, key, List.of("logits")));
        assertTrue(broken.getMessage().contains("shard-00000-of-00003"), broken.getMessage());

        KnowledgeJob.Result again = build(out, 3);
        assertEquals(List.of(0, 2), again.built());
        assertEquals(List.of(1), again.kept());
        assertEquals(kept, Files.getLastModifiedTime(shard1), "the valid shard was not rewritten");
        assertEquals(whole.length, Files.size(shard2));
        ShardedKnowledgeStore.open(out, key, List.of("logits"));
        try (var files = Files.list(out)) {
            assertEquals(List.of(ShardedKnowledgeStore.MANIFEST, shard0.getFileName().toString(),
                    shard1.getFileName().toString(), shard2.getFileName().toString()),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "no temporary file left");
        }
    }

    @Test
    void anUnfinishedStoreOrOneOfAnotherTeacherIsRefused() throws Exception {
        Path out = dir.resolve("refused");
        build(out, 2);
        // another teacher's run pointed at this store: one line naming what differs
        IOException other = assertThrows(IOException.class,
                () -> studentLosses(config(otherTeacher, null, out), dir.resolve("run-other")));
        assertTrue(other.getMessage().contains("is stale") && other.getMessage().contains("teacher weights"),
                other.getMessage());
        // and the job refuses to overwrite it with another teacher's knowledge
        IOException overwrite = assertThrows(IOException.class, () -> KnowledgeJob.run(new KnowledgeJob.Request(
                config(otherTeacher, null, null), SLICE, out.toString(), "local[2]", 2, List.of()), m -> {}));
        assertTrue(overwrite.getMessage().contains("another --out"), overwrite.getMessage());
        // a job killed before it published the manifest: never read
        Files.delete(out.resolve(ShardedKnowledgeStore.MANIFEST));
        IOException unfinished = assertThrows(IOException.class,
                () -> studentLosses(config(teacher, null, out), dir.resolve("run-unfinished")));
        assertTrue(unfinished.getMessage().contains("did not finish"), unfinished.getMessage());
    }

    /** A feature method reads the teacher tap the job stored (--taps) from the shards as from the live teacher. */
    @Test
    void aTapStoredByTheJobServesAFeatureMethod() throws Exception {
        Path out = dir.resolve("taps");
        KnowledgeJob.run(new KnowledgeJob.Request(config(teacher, null, null), SLICE, out.toString(), "local[2]", 2,
                List.of("conv1")), m -> {});
        KnowledgeStore.Key key = manifestKey(out);
        IOException lacking = assertThrows(IOException.class,
                () -> ShardedKnowledgeStore.open(out, key, List.of("logits", "conv9")));
        assertTrue(lacking.getMessage().contains("lacks taps [conv9]"), lacking.getMessage());

        StudentSpec fitnet = new StudentSpec(new CnnSpec(List.of(4), 16, true, null), ONE,
                new org.distill4j.method.FitNet("conv1", "conv1", 1, null, null), false, null, null, out.toString());
        RunConfig fromShards = new RunConfig("spark", 5L, SMALL, new TeacherSpec(TEACHER, null, teacher.toString()), fitnet);
        RunConfig live = new RunConfig("spark", 5L, SMALL, new TeacherSpec(TEACHER, null, teacher.toString()),
                new StudentSpec(fitnet.model(), ONE, fitnet.method(), false, StudentSpec.KnowledgeMode.LIVE, null, null));
        List<Double> a = losses(fromShards, dir.resolve("run-taps"), "student-fitnet");
        List<Double> b = losses(live, dir.resolve("run-taps-live"), "student-fitnet");
        assertEquals(b.size(), a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(b.get(i), a.get(i), 1e-5, "step " + i);
        }
    }

    static KnowledgeStore.Key manifestKey(Path out) throws IOException {
        return ShardedKnowledgeStore.Manifest.parse(Files.readAllBytes(out.resolve(ShardedKnowledgeStore.MANIFEST)), "m")
                .key();
    }
}

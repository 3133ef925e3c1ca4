package org.distill4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ckpt")).sorted().toList();
        }
    }

    @Test
    void keepsTheLastKTheBestAndTheResumedFromNeverANaNBest(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.create(new MlpSpec(List.of(4), null), new long[] {1, 28, 28}, 10, m);
                Optimizer opt = new OptimizerSpec.Sgd(0.1, 0.9, 0.0).create(net.trainableParameters(), m)) {
            CheckpointStore store = new CheckpointStore(dir, "d", 2);
            Path first = store.save("p", Double.NaN, null, net, null, opt);
            store.protect(first);
            store.save("p", 0.9, null, net, null, opt);
            store.save("p", Double.NaN, null, net, null, opt);
            store.save("p", 0.7, null, net, null, opt);
            store.save("p", 0.6, null, net, null, opt);
            assertEquals(List.of("000001-p.ckpt", "000002-p.ckpt", "000004-p.ckpt", "000005-p.ckpt"), names(dir));
            // a NaN epoch metric never becomes "best": with only NaN, only the last k survive
            CheckpointStore nan = new CheckpointStore(dir.resolve("n"), "d", 1);
            nan.save("q", Double.NaN, null, net, null, opt);
            nan.save("q", Double.NaN, null, net, null, opt);
            assertEquals(List.of("000002-q.ckpt"), names(dir.resolve("n")));
            // reopened, the store finds the newest
            assertEquals(5, new CheckpointStore(dir, "d", 2).latest().sequence());
        }
    }

    @Test
    void roundTripsWeightsAndOptimizerState(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.create(new MlpSpec(List.of(4), null), new long[] {1, 28, 28}, 10, m);
                Optimizer opt = new OptimizerSpec.Adam(0.01, null, null, null, null).create(net.trainableParameters(), m)) {
            opt.state().get(0).addi(3f);
            CheckpointStore store = new CheckpointStore(dir, "d", 2);
            store.save("p", 0.5, null, net, null, opt);
            CheckpointStore.Loaded l = store.latest();
            try (Network other = Network.create(new MlpSpec(List.of(4), null), new long[] {1, 28, 28}, 10, m);
                    Optimizer o2 = new OptimizerSpec.Adam(0.01, null, null, null, null).create(other.trainableParameters(), m)) {
                l.only().restoreWeights(other);
                l.only().restoreOptimizer(o2);
                assertEquals(net.weightsDigest(), other.weightsDigest());
                assertEquals(3f, o2.state().get(0).getFloat(0, 0));
            }
        }
    }

    @Test
    void corruptTruncatedAndForeignVersionsAreDetected(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                Network net = Network.create(new MlpSpec(List.of(4), null), new long[] {1, 28, 28}, 10, m);
                Optimizer opt = new OptimizerSpec.Sgd(0.1, 0.9, 0.0).create(net.trainableParameters(), m)) {
            CheckpointStore store = new CheckpointStore(dir, "d", 3);
            store.save("p", 0.1, null, net, null, opt);
            Path second = store.save("p", 0.2, null, net, null, opt);
            byte[] bytes = Files.readAllBytes(second);
            bytes[bytes.length / 2] ^= 0x40;
            Files.write(second, bytes);
            IOException corrupt = assertThrows(IOException.class, () -> CheckpointStore.read(second));
            assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());
            // the damaged newest is skipped with a warning; the previous one is used
            CheckpointStore reopened = new CheckpointStore(dir, "d", 3);
            assertEquals(1, reopened.latest().sequence());
            assertTrue(reopened.warnings().get(0).contains("000002-p.ckpt"));

            Path cut = dir.resolve("cut.ckpt");
            byte[] first = Files.readAllBytes(dir.resolve("000001-p.ckpt"));
            Files.write(cut, java.util.Arrays.copyOf(first, first.length - 100));
            assertTrue(assertThrows(IOException.class, () -> CheckpointStore.read(cut)).getMessage()
                    .matches(".*(truncated|corrupt).*"));
            Files.delete(cut);

            // format version is the int after the magic string (2-byte length + 20 bytes)
            ByteBuffer.wrap(first).putInt(2 + "distill4j-checkpoint".length(), 99);
            Files.write(dir.resolve("000003-p.ckpt"), first);
            IOException version = assertThrows(IOException.class, () -> new CheckpointStore(dir, "d", 3));
            assertTrue(version.getMessage().contains("format version 99"), version.getMessage());
            // a checkpoint of the format before the participant core (one network, one optimizer)
            ByteBuffer.wrap(first).putInt(2 + "distill4j-checkpoint".length(), 2);
            Files.write(dir.resolve("000003-p.ckpt"), first);
            IOException two = assertThrows(IOException.class, () -> new CheckpointStore(dir, "d", 3));
            assertTrue(two.getMessage().contains("format version 2 (one network and one optimizer")
                    && two.getMessage().contains("reads version 3"), two.getMessage());
        }
    }

    /**
     * A process that died writing a checkpoint leaves its temporary file: the next store removes
     * it and says so; a run that died in its first save has no checkpoint and starts afresh.
     */
    @Test
    void aHalfWrittenCheckpointIsRemoved(@TempDir Path dir) throws IOException {
        Path tmp = Files.writeString(dir.resolve(".000001-teacher.ckpt8812345.tmp"), "half");
        CheckpointStore store = new CheckpointStore(dir, "d", 2);
        assertEquals(null, store.latest(), "nothing to resume from: the run starts afresh");
        assertTrue(Files.notExists(tmp));
        assertEquals(List.of("removed .000001-teacher.ckpt8812345.tmp, a checkpoint half-written when a process died"),
                store.warnings());
        Path other = Files.writeString(dir.resolve(".notes.tmp"), "not ours");
        assertEquals(List.of(), new CheckpointStore(dir, "d", 2).warnings());
        assertTrue(Files.exists(other), "only a checkpoint's temporary file is removed");
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.io.DamagedFileException;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.model.QuantizedNetwork;
import org.distill4j.model.Quantizer;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.QuantizedScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantized distillation on the committed Fashion-MNIST slice: a CNN teacher, an MLP student
 * quantised at 4 and 2 bits (stochastic rounding, weights only), with and without distillation,
 * beside the full-precision students. What ships is checked by loading it.
 */
class QuantizedRunTest {
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    static final MlpSpec STUDENT = new MlpSpec(List.of(16), null);

    static FashionMnist.Splits data;
    static Path first;
    static RunRecord whole;

    static RunConfig config(List<Integer> bits, boolean baseline) {
        return new RunConfig("quant", 3L, new DataSpec(0.2, null, 100),
                new TeacherSpec(new CnnSpec(List.of(4), 16, true, null), ONE, null),
                new StudentSpec(STUDENT, ONE.withEpochs(2), null, null), null,
                new QuantizedScheme(bits, null, null, null, null, baseline));
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        first = dir;
        whole = new Experiment(config(List.of(4, 2), true), data, dir, TrainListener.NONE).run();
    }

    @Test
    void everyBitWidthWithAndWithoutDistillationBesideFullPrecision() {
        assertEquals(List.of("teacher", "student-none", "student-kd", "student-q4-none", "student-q4-kd",
                "student-q2-none", "student-q2-kd"), whole.models().stream().map(ModelResult::name).toList());
        // the paper's loss: 0.3·CE + 0.7·T²·KL at T = 2
        assertEquals(Set.of("ce", "kd"), whole.model("student-q2-kd").history().get(0).trainTerms().keySet());
        assertEquals(Set.of("ce"), whole.model("student-q2-none").history().get(0).trainTerms().keySet());
        var shipped = whole.schemeResults().path("quantized");
        assertEquals(4, shipped.size());
        assertEquals("student-q4-none", shipped.get(0).path("model").asText());
        assertEquals(2, shipped.get(2).path("bits").asInt());
        assertEquals("stochastic", shipped.get(2).path("rounding").asText());
        long fp32 = whole.model("student-none").sizeBytes();
        assertEquals(whole.model("student-none").parameters() * 4, fp32);
        assertTrue(whole.model("student-q2-kd").sizeBytes() < whole.model("student-q4-kd").sizeBytes());
        assertTrue(whole.model("student-q4-kd").sizeBytes() < fp32 / 4, "4 bits: under a quarter of float32");
    }

    /**
     * Loading a shipped file gives the network the run measured — same weights digest, so exactly
     * the same test accuracy — and its size is what the record reports. Its payload by hand: per
     * quantised weight tensor ⌈n·b/8⌉ bytes of codes and 8 bytes per bucket of 256; biases in
     * float32. The rest (header, names, shapes, checksum) is the same at every bit width.
     */
    @Test
    void theShippedFileLoadsToExactlyTheMeasuredNetwork() throws Exception {
        Dataset test = data.test().head(100);
        long[] overhead = new long[2];
        int i = 0;
        for (int bits : new int[] {4, 2}) {
            for (String method : List.of("none", "kd")) {
                ModelResult r = whole.model(QuantizedScheme.model(bits, method));
                Path file = first.resolve(r.name() + ".qmodel");
                assertEquals(Files.size(file), r.sizeBytes());
                try (NDManager m = NDManager.newBaseManager(); Network net = QuantizedNetwork.load(file, m)) {
                    assertEquals(r.weightsDigest(), net.weightsDigest(), r.name());
                    Predictions p = Predictions.of(net, test, m);
                    assertEquals(r.metrics().testAccuracy(), Metrics.accuracy(p, test.labels()), r.name());
                    long codes = 0;
                    long scales = 0;
                    long floats = 0;
                    for (Map.Entry<String, Parameter> e : net.namedParameters()) {
                        int n = Math.toIntExact(e.getValue().getArray().size());
                        float[] v = e.getValue().getArray().toFloatArray();
                        if (e.getValue().getType() == Parameter.Type.WEIGHT) {
                            codes += (n * bits + 7) / 8;
                            scales += 8L * Quantizer.buckets(n, 256);
                            for (int b = 0; b < n; b += 256) {
                                Set<Float> levels = new HashSet<>();
                                for (int j = b; j < Math.min(n, b + 256); j++) {
                                    levels.add(v[j]);
                                }
                                assertTrue(levels.size() <= 1 << bits, e.getKey() + " bucket " + b / 256 + ": "
                                        + levels.size() + " values at " + bits + " bits");
                            }
                        } else {
                            floats += 4L * n; // biases stay float32 (scope: weights)
                            assertTrue(e.getValue().getType() == Parameter.Type.BIAS, e.getKey());
                        }
                    }
                    if (method.equals("kd")) {
                        overhead[i++] = r.sizeBytes() - codes - scales - floats;
                    }
                }
                try (NDManager m = NDManager.newBaseManager();
                        Network fp = Network.load(first.resolve(r.file()), null, m)) {
                    assertEquals(r.weightsDigest(), fp.weightsDigest(), "the .model file holds the same values");
                }
            }
        }
        assertEquals(overhead[0], overhead[1], "header and checksum do not depend on the bit width");
        assertTrue(overhead[0] > 32 && overhead[0] < 2048, "overhead " + overhead[0]);
    }

    @Test
    void aDamagedShippedFileIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("copy.qmodel");
        byte[] bytes = Files.readAllBytes(first.resolve("student-q2-kd.qmodel"));
        bytes[bytes.length / 2] ^= 1;
        Files.write(copy, bytes);
        try (NDManager m = NDManager.newBaseManager()) {
            DamagedFileException e = assertThrows(DamagedFileException.class, () -> QuantizedNetwork.load(copy, m));
            assertTrue(e.getMessage().contains(copy.toString()), e.getMessage());
        }
    }

    /**
     * Stopped mid-epoch in a stochastically rounded phase and resumed: the same models as without
     * the stop. (A run of the 2-bit students alone: every student's weights, batches and rounding
     * draws derive from its role, so they equal the full run's.)
     */
    @Test
    void resumesMidPhaseBitIdentical(@TempDir Path dir) throws Exception {
        RunConfig cfg = config(List.of(2), false);
        StopMidPhase stop = new StopMidPhase("student-q2-kd", 20); // epoch 2 of 2, 15 steps per epoch
        assertThrows(StoppedException.class, () -> new Experiment(cfg, data, dir, stop).stoppedBy(stop.request).run());
        assertTrue(Files.notExists(dir.resolve(Experiment.RECORD)));
        RunRecord resumed = new Experiment(cfg, data, dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student-q2-none", "student-q2-kd"),
                resumed.models().stream().map(ModelResult::name).toList());
        for (ModelResult m : resumed.models()) {
            assertEquals(whole.model(m.name()).reproducible(), m.reproducible(), m.name());
            assertEquals(whole.model(m.name()).sizeBytes(), m.sizeBytes(), m.name());
        }
        try (NDManager m = NDManager.newBaseManager();
                Network a = QuantizedNetwork.load(first.resolve("student-q2-kd.qmodel"), m);
                Network b = QuantizedNetwork.load(dir.resolve("student-q2-kd.qmodel"), m)) {
            assertEquals(a.weightsDigest(), b.weightsDigest(), "the same shipped weights (the headers name their configs)");
        }
    }
}

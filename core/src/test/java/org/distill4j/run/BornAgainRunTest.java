package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.metric.Ensemble;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.BornAgainScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Born-again generations on the committed Fashion-MNIST slice, with a small MLP. */
class BornAgainRunTest {
    static RunConfig config(int epochs) {
        TrainSpec train = new TrainSpec(epochs, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
        return new RunConfig("ban", 9L, new DataSpec(0.2, null, 100), null,
                new StudentSpec(new MlpSpec(List.of(16), null), train, null, null), null,
                new BornAgainScheme(2, 2.0, 0.5, true));
    }

    @Test
    void eachGenerationIsTaughtByThePreviousOneAndTheEnsembleAveragesProbabilities(@TempDir Path dir)
            throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunRecord r = new Experiment(config(1), data, dir, TrainListener.NONE).run();
        assertEquals(List.of("generation0", "generation1", "generation2", "ensemble"),
                r.models().stream().map(ModelResult::name).toList());
        assertNull(r.model("generation0").metrics().agreementTest(), "generation 0 learns from labels alone");
        assertEquals("none", r.model("generation0").method());
        Dataset allTrain = data.train();
        Dataset test = data.test().head(100);
        List<Predictions> members = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (int k = 1; k <= 2; k++) {
                ModelResult g = r.model("generation" + k);
                ModelResult teacher = r.model("generation" + (k - 1));
                assertEquals("born-again", g.method());
                assertNotNull(g.metrics().agreementTest(), "fidelity is measured against the teacher generation");
                assertTrue(g.history().get(0).trainTerms().containsKey("kd"));
                // the knowledge generation k learned from: generation k−1's outputs, by sample id
                SafeTensors.Opened store = SafeTensors.open(dir.resolve("knowledge/generation" + (k - 1) + ".safetensors"));
                assertEquals(teacher.weightsDigest(), store.metadata().get("teacher"));
                var ids = store.tensors().get("ids");
                int[] firstIds = new int[5];
                ids.data().asIntBuffer().get(firstIds);
                float[] stored = new float[5 * 10];
                store.tensors().get("tap.logits").data().asFloatBuffer().get(stored);
                try (Network t = Network.load(dir.resolve(teacher.file()), null, m)) {
                    Predictions expected = Predictions.of(t, allTrain.subset("first", firstIds), m);
                    assertArrayEquals(expected.logits(), stored, 1e-5f);
                }
                try (Network net = Network.load(dir.resolve(g.file()), null, m)) {
                    assertEquals(g.weightsDigest(), net.weightsDigest());
                    members.add(Predictions.of(net, test, m));
                }
            }
        }
        assertTrue(!r.model("generation1").weightsDigest().equals(r.model("generation2").weightsDigest()));
        Predictions mean = Ensemble.meanProbabilities(members);
        assertEquals(Metrics.accuracy(mean, test.labels()), r.model("ensemble").metrics().testAccuracy(), 1e-12);
        assertEquals(r.model("generation1").parameters() * 2, r.model("ensemble").parameters());
        assertEquals("generation1", r.schemeResults().path("generations").get(2).path("taughtBy").asText());
        assertEquals(r.model("ensemble").metrics().testAccuracy(),
                r.schemeResults().path("ensemble").path("testAccuracy").asDouble());
    }

    @Test
    void anInterruptedRunResumesWithinItsGeneration(@TempDir Path dir) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunRecord whole = new Experiment(config(2), data, dir.resolve("a"), TrainListener.NONE).run();
        assertThrows(Interruption.Stop.class, () -> new Experiment(config(2), data, dir.resolve("b"),
                new Interruption("generation1", 1)).run());
        RunRecord resumed = new Experiment(config(2), data, dir.resolve("b"), TrainListener.NONE).run();
        assertEquals(whole.models().size(), resumed.models().size());
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
    }
}

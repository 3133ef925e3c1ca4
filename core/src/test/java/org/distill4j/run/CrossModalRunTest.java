package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.distill4j.config.CheckpointSpec;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Augmentation;
import org.distill4j.data.Batch;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.Modality;
import org.distill4j.data.PairedData;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.CrossModalScheme;
import org.distill4j.testing.Slice;
import org.distill4j.train.Feed;
import org.distill4j.train.Loop;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-modal supervision transfer on the committed Fashion-MNIST slice:  a tiny MLP teacher on
 * the images, a tiny MLP student on their edge maps that sees no label of them.
 */
class CrossModalRunTest {
    static final TrainSpec TWO = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    // MLPs: the test is about who sees what, and MLPs keep its seven runs fast
    static final MlpSpec TEACHER = new MlpSpec(List.of(16), null);
    static final MlpSpec STUDENT = new MlpSpec(List.of(8), null);

    static FashionMnist.Splits data;
    static Path first;
    static RunRecord whole;

    static CrossModalScheme scheme(Double soft) {
        return new CrossModalScheme(Modality.EDGES, null, null, null, null, soft, null, 0.1, 2, true);
    }

    static RunConfig config(TeacherSpec teacher) {
        return new RunConfig("cm", 4L, new DataSpec(0.2, null, null), teacher, new StudentSpec(STUDENT, TWO, null, null),
                new CheckpointSpec(4, 2), scheme(null));
    }

    static TeacherSpec trained() {
        return new TeacherSpec(TEACHER, TWO, null);
    }

    @BeforeAll
    static void uninterrupted(@TempDir Path dir) throws Exception {
        data = FashionMnist.load(Slice.dir());
        first = dir;
        whole = new Experiment(config(trained()), data, dir, TrainListener.NONE).run();
    }

    @Test
    void theTransferredStudentBesideTheLabelledOnes() {
        assertEquals(List.of("teacher", "student-transfer", "student-labels", "student-fraction",
                "student-transfer-fraction"), whole.models().stream().map(ModelResult::name).toList());
        // no cross-entropy term at all: the transfer batches have no labels
        assertEquals(Set.of("hint", "soft"), whole.model("student-transfer").history().get(0).trainTerms().keySet());
        assertTrue(Double.isNaN(whole.model("student-transfer").history().get(0).validationAccuracy()),
                "no validation during the transfer: it would read labels of the edge maps");
        assertEquals(Set.of("ce"), whole.model("student-labels").history().get(0).trainTerms().keySet());
        assertEquals(48, whole.schemeResults().path("labelledSamples").asInt(), "10% of 480 training samples");
        assertEquals("edges [1, 28, 28]", whole.schemeResults().path("modalityB").asText());
        assertNotEquals(whole.model("student-fraction").weightsDigest(),
                whole.model("student-transfer-fraction").weightsDigest());
        // fidelity of the transferred student is to the teacher on the paired images
        assertTrue(whole.model("student-transfer").metrics().agreementTest() != null);
    }

    /** The edge-map images of the slice as the scheme derives them (scale from the run's training split). */
    @Test
    void theTransferredStudentIsEvaluatedOnTheEdgeMaps() throws Exception {
        Dataset test = data.test();
        Dataset train = data.train().split(0.2, 4L).train();
        Dataset edges = Modality.EDGES.derive(test, Modality.EDGES.scaleOf(train));
        try (NDManager m = NDManager.newBaseManager();
                Network n = Network.load(first.resolve("student-transfer.model"), null, m)) {
            var p = org.distill4j.metric.Predictions.of(n, edges, m);
            assertEquals(org.distill4j.metric.Metrics.accuracy(p, edges.labels()),
                    whole.model("student-transfer").metrics().testAccuracy(), 1e-12);
        }
    }

    /**
     * The no-label guard: with the training labels scrambled (same images, same loaded teacher),
     * the transferred student is bit for bit the same, while the student trained on labels is not
     * — so the check would see any label read.
     */
    @Test
    void theTransferReadsNoLabel(@TempDir Path dir) throws Exception {
        Dataset train = data.train();
        float[] features = new float[train.size() * train.featureSize()];
        for (int i = 0; i < train.size(); i++) {
            train.copyFeatures(i, features, i * train.featureSize());
        }
        int[] scrambled = train.labels();
        for (int i = 0; i < scrambled.length; i++) {
            scrambled[i] = (scrambled[i] + 1 + i % 7) % 10;
        }
        FashionMnist.Splits wrong = new FashionMnist.Splits(Dataset.of(train.name(), features, scrambled,
                train.sampleShape(), 10), data.test());
        TeacherSpec loaded = new TeacherSpec(TEACHER, null, first.resolve("teacher.model").toString());
        RunRecord real = new Experiment(config(loaded), data, dir.resolve("real"), TrainListener.NONE).run();
        RunRecord fake = new Experiment(config(loaded), wrong, dir.resolve("fake"), TrainListener.NONE).run();
        assertEquals(whole.model("student-transfer").weightsDigest(), real.model("student-transfer").weightsDigest());
        assertEquals(real.model("student-transfer").weightsDigest(), fake.model("student-transfer").weightsDigest());
        assertNotEquals(real.model("student-labels").weightsDigest(), fake.model("student-labels").weightsDigest());
    }

    /** The transfer's batches: B as the input, A paired by id, and no labels; a loss that reads one fails. */
    @Test
    void labelReadsFailDuringTransfer() throws Exception {
        Dataset a = data.train().head(64);
        PairedData paired = PairedData.derived(a, Modality.EDGES, Modality.EDGES.scaleOf(a));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = paired.loader(16, 1, false).load(m, new int[] {3, 7});
            assertFalse(b.hasLabels());
            assertEquals("this batch has no labels (an unlabelled or generated batch): a loss that reads labels "
                    + "cannot train on it", assertThrows(IllegalStateException.class, b::labels).getMessage());
            assertThrows(IllegalStateException.class, b::labelValues);
            float[] pairedInput = b.input(PairedData.PAIRED).toFloatArray();
            float[] image = new float[784];
            a.copyFeatures(7, image, 0);
            assertEquals(image[400], pairedInput[784 + 400]);
            assertEquals(a.id(7), b.ids()[1]);
            // the same phase as the transfer's, with an objective that reads labels: it fails at once
            try (Network net = Network.create(STUDENT, new long[] {1, 28, 28}, 10, m)) {
                DistillationLoss kd = new HintonKd(4.0, 0.5).objective();
                var teacher = new org.distill4j.knowledge.KnowledgeSource() {
                    @Override
                    public org.distill4j.knowledge.Knowledge lookup(Batch batch) {
                        return new org.distill4j.knowledge.Knowledge(net.infer(batch.input(PairedData.PAIRED)));
                    }

                    @Override
                    public org.distill4j.model.TapShapes tapShapes() {
                        return net.tapShapes("teacher");
                    }
                };
                Phase solo = SoloPhase.of("t", net, TWO, kd, teacher, paired.b(), null, 1, null);
                Feed feed = new Feed("t", paired.loader(16, 1, false), Augmentation.NONE, (e, i) -> 1L, false);
                Phase phase = new Phase("t", solo.participants(), List.of(feed), solo.policy(), 1, null);
                try (Participant p = phase.participants().get(0)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> new Loop(m, List.of()).run(phase));
                    assertTrue(e.getMessage().contains("the batch has no labels"), e.getMessage());
                }
            }
        }
    }

    @Test
    void pairingNeedsTheSameSamples() {
        Dataset a = data.train().head(10);
        Dataset other = data.train().subset("other", new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 0});
        assertThrows(IllegalArgumentException.class, () -> new PairedData(a, Modality.EDGES.derive(other,
                new Modality.Scale(0, 1))));
    }

    @Test
    void aRunResumedMidTransferEndsWhereTheUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        // student-transfer: 2 epochs of 15 steps, checkpoints every 4; crash at step 7 of epoch 2
        StagedRunTest.CrashAt crash = new StagedRunTest.CrashAt("student-transfer", 1, 6);
        assertThrows(IllegalStateException.class, () -> new Experiment(config(trained()), data, dir, crash).run());
        StagedRunTest.CrashAt watch = new StagedRunTest.CrashAt("none", -1, -1);
        RunRecord resumed = new Experiment(config(trained()), data, dir, watch).run();
        assertTrue(watch.messages.contains("teacher: finished before the interruption, loaded teacher.model"),
                watch.messages.toString());
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        assertEquals(whole.schemeResults(), resumed.schemeResults());
    }

    @Test
    void badParametersAreRefusedNamingTheKey() {
        assertEquals("beta: must be in [0, 1e9] (got -1.0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalScheme(null, null, null, null, -1.0, null, null, null, null, null)).getMessage());
        assertEquals("soft: must be in [0, 1e9] (got -2.0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalScheme(null, null, null, null, null, -2.0, null, null, null, null)).getMessage());
        assertEquals("beta, soft: both 0 leaves the student nothing to learn from", assertThrows(
                IllegalArgumentException.class, () -> new CrossModalScheme(null, null, null, null, 0.0, 0.0, null, null,
                        null, null)).getMessage());
        assertEquals("labelledFraction: must be in (0, 1) (got 1.0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalScheme(null, null, null, null, null, null, null, 1.0, null, null)).getMessage());
        assertEquals("kernel: must be 1 or 3 (got 2)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalScheme(null, null, null, 2, null, null, null, null, null, null)).getMessage());
        assertEquals("temperature: must be in (0, 1000] (got 0.0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalScheme(null, null, null, null, null, null, 0.0, null, null, null)).getMessage());
        assertEquals("fractionEpochs: must be in [1, 10000] (got 0)", assertThrows(IllegalArgumentException.class,
                () -> new CrossModalScheme(null, null, null, null, null, null, null, null, 0, null)).getMessage());
    }
}

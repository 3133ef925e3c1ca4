package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.data.FashionMnist;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The short, in-process form of the cli's {@code AlgorithmCrashResumeTest} (opt-in: 15 child
 * JVMs): each algorithm's run is stopped in the middle of its algorithm's phase — a step
 * boundary inside an epoch, so the checkpoint holds the discriminator, the generator or the
 * optimised inputs mid-game with their optimizers' moments — resumed in the same JVM, and must
 * end as the uninterrupted run: every model's weights digest, metrics and history, and the
 * scheme's results. Tiny networks on 96 training images at batch 32 (3 steps per epoch). One
 * run per kind of extra participant: a discriminator (adversarial), a generator in an
 * alternating game (zskt; dafl's phase is built the same way and is in the opt-in test), two
 * networks with a discriminator each (afd), optimised inputs (deep-inversion).
 */
class AlgorithmStopResumeTest {
    static FashionMnist.Splits data;

    static final String HEAD = """
            seed: 23
            data: {validation: 0.2, trainLimit: 120, testLimit: 64}
            teacher:
              model: {type: cnn, channels: [4], hidden: 16}
              train: {epochs: 1, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
            """;

    @BeforeAll
    static void load() throws Exception {
        data = FashionMnist.load(Slice.dir());
    }

    /**
     * Runs {@code yaml} whole, then again stopped after step {@code batch} (0-based) of epoch
     * {@code epoch} of phase {@code phase}, resumed, and compares the two.
     */
    static void stopMidPhaseAndResume(Path dir, String yaml, String phase, int epoch, int batch) throws Exception {
        RunConfig config = ConfigLoader.parse(yaml, "algorithm-stop.yaml");
        RunRecord whole = new Experiment(config, data, dir.resolve("whole"), TrainListener.NONE).run();
        StopAtBoundaryTest.StopWhen listener = new StopAtBoundaryTest.StopWhen(
                (p, event) -> phase.equals(p) && event.equals("step " + epoch + "/" + batch));
        Path run = dir.resolve("stopped");
        StoppedException e = assertThrows(StoppedException.class,
                () -> new Experiment(config, data, run, listener).stoppedBy(listener.stop).run());
        var meta = CheckpointStore.read(e.checkpoint()).meta();
        assertEquals(phase, meta.phase(), e.getMessage());
        assertTrue(e.getMessage().contains("in phase " + phase + " after step "), e.getMessage());
        assertFalse(java.nio.file.Files.exists(run.resolve(Experiment.RECORD)), "a stopped run has no record");
        RunRecord resumed = new Experiment(config, data, run, TrainListener.NONE).run();
        assertEquals(whole.models().size(), resumed.models().size());
        for (ModelResult m : whole.models()) {
            assertEquals(m.reproducible(), resumed.model(m.name()).reproducible(), m.name());
        }
        assertEquals(String.valueOf(whole.schemeResults()), String.valueOf(resumed.schemeResults()));
    }

    @Test
    void adversarialResumesItsDiscriminatorMidEpoch(@TempDir Path dir) throws Exception {
        stopMidPhaseAndResume(dir, "name: adversarial-stop\n" + HEAD + """
                student:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                scheme: {name: adversarial, discriminator: {hidden: [8]}}
                """, "student-adversarial", 1, 0);
    }

    @Test
    void zsktResumesItsGeneratorMidEpoch(@TempDir Path dir) throws Exception {
        stopMidPhaseAndResume(dir, "name: zskt-stop\n" + HEAD + """
                student:
                  model: {type: cnn, channels: [2], hidden: 8, batchNorm: false}
                  train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}, clipGradNorm: 5}
                  baseline: false
                scheme: {name: zskt, generator: {z: 8, channels: [4, 4]}, studentSteps: 2, stepsPerEpoch: 3}
                """, "student-zskt", 1, 1);
    }

    @Test
    void afdResumesBothNetworksAndDiscriminatorsMidEpoch(@TempDir Path dir) throws Exception {
        stopMidPhaseAndResume(dir, """
                name: afd-stop
                seed: 23
                data: {validation: 0.2, trainLimit: 120, testLimit: 64}
                scheme: {name: afd, peers: [{type: cnn, channels: [4], hidden: 16}, {type: mlp, hidden: [16]}]}
                student:
                  train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                """, "afd", 1, 0);
    }

    @ParameterizedTest(name = "clip {0}")
    @ValueSource(booleans = {false, true})
    void deepInversionResumesItsInputsMidBatch(boolean clip, @TempDir Path dir) throws Exception {
        // 2 batches of 4 iterations: stopped after batch 1's second iteration, Adam's moments and the
        // images so far restored; with clip, the inputs are clipped into the range of real pixels
        // (the noise they start from is not)
        stopMidPhaseAndResume(dir, "name: di-stop\n" + HEAD + """
                student:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 1, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                scheme: {name: deep-inversion, batches: 2, batchSize: 8, iterations: 4, epochs: 2, clip: %s}
                """.formatted(clip), "deep-inversion", 1, 1);
    }
}

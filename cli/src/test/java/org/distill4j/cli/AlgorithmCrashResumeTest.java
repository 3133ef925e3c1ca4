package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume for the adversarial and data-free schemes, whose phases hold a discriminator, a
 * generator or optimised inputs beside the student, each with its own optimizer: each run is
 * halted like {@code kill -9} in the middle of its algorithm's phase (the only phase long enough
 * to reach the halting step), resumed, and must end where the uninterrupted run does — every
 * model's weights, metrics and history, and the scheme's results. The slice: 128 training
 * images at batch 32 (4 steps per epoch), checkpoints every 3 steps.
 *
 * <p>Deterministic (every arithmetic with a Java number goes through {@link org.distill4j.model.Scalars},
 * the cause of the drift {@link SchemeCrashResumeTest} once showed). 15 child runs: about 46 s on
 * an idle 2-core machine, so it is part of the default suite.
 */
class AlgorithmCrashResumeTest {
    static final String HEAD = """
            seed: 19
            data: {validation: 0.2, trainLimit: 160}
            checkpoint: {everySteps: 3, keepLast: 2}
            teacher:
              model: {type: cnn, channels: [4], hidden: 16}
              train: {epochs: 1, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
            """;

    static RunRecord reference(Path dir, String yaml) throws Exception {
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, yaml);
        Path runs = dir.resolve("reference");
        assertEquals(0, CrashResumeTest.cli(List.of(), "train", "-c", config.toString(), "--data",
                CrashResumeTest.SLICE.toString(), "--runs", runs.toString()), "reference" + CrashResumeTest.lastLog());
        return RunRecord.read(CrashResumeTest.onlyRun(runs).resolve("record.json"));
    }

    /** Halts at {@code fault}, resumes, and compares models and scheme results with the reference. */
    static void crashAndResume(Path dir, RunRecord expected, String fault) throws Exception {
        Path runs = dir.resolve(fault.replace('=', '-')).resolve("runs");
        CrashResumeTest.crashAndResume(runs.getParent(), dir.resolve("config.yaml"), expected, fault, 137);
        RunRecord resumed = RunRecord.read(CrashResumeTest.onlyRun(runs).resolve("record.json"));
        assertEquals(String.valueOf(expected.schemeResults()), String.valueOf(resumed.schemeResults()));
    }

    @Test
    void adversarialResumesItsDiscriminatorExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, "name: adversarial-crash\n" + HEAD + """
                student:
                  model: {type: mlp, hidden: [16], dropout: 0.1}
                  train: {epochs: 3, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                scheme: {name: adversarial, discriminator: {hidden: [8]}}
                """);
        crashAndResume(dir, expected, "haltAfterStep=7"); // student-adversarial, epoch 2; resumes from step 6
    }

    @Test
    void zsktResumesItsGeneratorExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, "name: zskt-crash\n" + HEAD + """
                student:
                  model: {type: cnn, channels: [2], hidden: 8, batchNorm: false}
                  train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}, clipGradNorm: 5}
                  baseline: false
                scheme: {name: zskt, generator: {z: 8, channels: [4, 4]}, studentSteps: 2, stepsPerEpoch: 5}
                """);
        crashAndResume(dir, expected, "haltAfterStep=7");
    }

    @Test
    void afdResumesBothNetworksAndDiscriminatorsExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, """
                name: afd-crash
                seed: 19
                data: {validation: 0.2, trainLimit: 160}
                checkpoint: {everySteps: 3, keepLast: 2}
                scheme: {name: afd, peers: [{type: cnn, channels: [4], hidden: 16}, {type: mlp, hidden: [16]}]}
                student:
                  train: {epochs: 3, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                """);
        crashAndResume(dir, expected, "haltAfterStep=7");
    }

    @Test
    void daflResumesItsGeneratorExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, "name: dafl-crash\n" + HEAD + """
                student:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                scheme: {name: dafl, generator: {z: 8, channels: [4, 4]}, stepsPerEpoch: 5}
                """);
        crashAndResume(dir, expected, "haltAfterStep=7");
    }

    @Test
    void deepInversionResumesItsInputsAndItsStudentExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, "name: di-crash\n" + HEAD + """
                student:
                  model: {type: mlp, hidden: [16]}
                  train: {epochs: 1, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
                  baseline: false
                scheme: {name: deep-inversion, batches: 3, batchSize: 8, iterations: 4, epochs: 8}
                """);
        // 3 batches of 4 iterations: halted after batch 2's last step (before its epoch-end checkpoint),
        // it resumes from step 6, mid-batch (the inputs, the images so far and Adam's moments restored)
        crashAndResume(dir, expected, "haltAfterStep=8");
        // halted after batch 1's second step: resumes from batch 0's end, the next batch starting anew
        crashAndResume(dir, expected, "haltAfterStep=6");
        // checkpoints: 2 of the teacher, 6 of the synthesis (3 mid-batch, 3 batch ends), then one per
        // student epoch: the 11th is in the student's phase, whose images are read back from the file
        crashAndResume(dir, expected, "haltAfterCheckpoint=11");
    }
}

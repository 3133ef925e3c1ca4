package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume for the schemes with more than one participant: dml (two peers, each with its own
 * optimizer) and codistillation (two peers and their stale copies, frozen participants). Each is
 * halted in the middle of its peers' phase like {@code kill -9}, resumed, and must end where the
 * uninterrupted run does. 4 steps per epoch (128 of the slice's 600 images at batch 32, 20% held
 * out from them), checkpoints every 3 steps.
 *
 * <p>These runs once ended differently from the uninterrupted run now and then, more often under
 * load, and once a fresh run stopped on a NaN gradient: DJL's {@code NDArray.mul(Number)} family
 * let the backward pass read a number from memory the garbage collector had freed (see
 * {@link org.distill4j.model.Scalars}). Nothing in them depends on timing any more.
 */
class SchemeCrashResumeTest {
    static final String DML = """
            name: dml-crash
            seed: 13
            data: {validation: 0.2, trainLimit: 160}
            checkpoint: {everySteps: 3, keepLast: 2}
            scheme: {name: dml, peers: [{type: cnn, channels: [4], hidden: 16, dropout: 0.2}, {type: mlp, hidden: [16], dropout: 0.1}]}
            student:
              train: {epochs: 2, batchSize: 32, optimizer: {type: adam, lr: 0.003}}
              baseline: false
            """;
    static final String CODISTILLATION = """
            name: codistillation-crash
            seed: 17
            data: {validation: 0.2, trainLimit: 160}
            checkpoint: {everySteps: 3, keepLast: 2}
            scheme: {name: codistillation, refreshSteps: 3, burnInSteps: 2, shards: disjoint}
            student:
              model: {type: mlp, hidden: [16], dropout: 0.1}
              train: {epochs: 3, batchSize: 16, optimizer: {type: sgd, lr: 0.05, momentum: 0.9}}
              baseline: false
            """;

    static RunRecord reference(Path dir, String yaml) throws Exception {
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, yaml);
        Path runs = dir.resolve("reference");
        assertEquals(0, CrashResumeTest.cli(List.of(), "train", "-c", config.toString(), "--data",
                CrashResumeTest.SLICE.toString(), "--runs", runs.toString()), "reference" + CrashResumeTest.lastLog());
        return RunRecord.read(CrashResumeTest.onlyRun(runs).resolve("record.json"));
    }

    @Test
    void dmlKilledMidPhaseResumesExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, DML);
        // checkpoints after steps 3, 4 (epoch end), 6, 8 (epoch end); 3 is mid-epoch 2; halting after
        // step 6 comes before its checkpoint, so that run resumes from the epoch-1 end
        CrashResumeTest.crashAndResume(dir.resolve("a"), dir.resolve("config.yaml"), expected,
                "haltAfterCheckpoint=3", 137);
        CrashResumeTest.crashAndResume(dir.resolve("b"), dir.resolve("config.yaml"), expected, "haltAfterStep=6", 137);
    }

    @Test
    void codistillationKilledMidPhaseResumesExactly(@TempDir Path dir) throws Exception {
        RunRecord expected = reference(dir, CODISTILLATION);
        // 64 images per shard at batch 16: 4 steps per epoch; the stale copies are taken before steps
        // 2, 5, 8, 11 (0-based): resumed at step 6 or 7, they must come from the checkpoint
        CrashResumeTest.crashAndResume(dir.resolve("a"), dir.resolve("config.yaml"), expected,
                "haltAfterCheckpoint=3", 137);
        CrashResumeTest.crashAndResume(dir.resolve("b"), dir.resolve("config.yaml"), expected, "haltAfterStep=7", 137);
    }
}

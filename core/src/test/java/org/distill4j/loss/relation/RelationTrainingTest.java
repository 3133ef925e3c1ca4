package org.distill4j.loss.relation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.ContrastiveRepresentation;
import org.distill4j.method.InstanceRelationGraph;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.ProbabilisticTransfer;
import org.distill4j.method.RelationalKd;
import org.distill4j.method.SimilarityPreserving;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.testing.SoloTraining;
import org.distill4j.testing.Slice;
import org.distill4j.train.CheckpointStore;

import org.distill4j.train.EpochSummary;
import org.distill4j.train.TrainingProgress;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each relation method, as built from its YAML record, trains a real student for one epoch with
 * an untrained CNN teacher: taps bind to real networks' shapes, adapters train with the student,
 * the teacher's taps come live or from the knowledge store, and every term is finite.
 */
class RelationTrainingTest {
    static final long[] SAMPLE = {1, 28, 28};

    @Test
    void everyRelationMethodTrainsAStudent(@TempDir Path dir) throws Exception {
        Dataset data = FashionMnist.load(Slice.dir()).train().head(128);
        List<String> threeTaps = List.of("conv1", "conv2", "embedding");
        Map<MethodSpec, List<String>> methods = Map.of(
                new SimilarityPreserving("conv2", null, null, null), List.of("ce", SpLoss.TERM),
                new RelationalKd(null, null, null, null, null), List.of("ce", RkdLoss.DISTANCE, RkdLoss.ANGLE),
                new ProbabilisticTransfer(null, null, null, null), List.of("ce", PktLoss.TERM),
                new ContrastiveRepresentation(null, null, 16, null, null, null, null, null), List.of("ce", CrdLoss.TERM),
                new InstanceRelationGraph(threeTaps, threeTaps, null, null, null, null, null, null),
                List.of("ce", IrgLoss.VERTEX, IrgLoss.EDGE, IrgLoss.TRANSFORM));
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(1);
            try (Network teacher = Network.create(new CnnSpec(List.of(8, 16), 32, true, null), SAMPLE, 10, m)) {
                teacher.freeze();
                for (var e : methods.entrySet()) {
                    DistillationLoss loss = e.getKey().objective();
                    KnowledgeSource source;
                    if (e.getKey() instanceof ContrastiveRepresentation || e.getKey() instanceof InstanceRelationGraph) {
                        // stored teacher taps, read by sample id
                        List<String> taps = new ArrayList<>(List.of(Outputs.LOGITS));
                        loss.teacherTaps().stream().filter(t -> !taps.contains(t)).sorted().forEach(taps::add);
                        source = KnowledgeStore.openOrBuild(dir.resolve(e.getKey().name() + ".safetensors"), teacher,
                                data, taps, "test", m, s -> {});
                    } else {
                        source = new LiveTeacher(teacher);
                    }
                    Seeds.apply(2);
                    try (Network student = Network.create(new CnnSpec(List.of(4, 8), 16, true, null), SAMPLE, 10, m)) {
                        String before = student.weightsDigest();
                        List<EpochSummary> history = new SoloTraining(m, TrainListener.NONE).train("s", student,
                                new TrainSpec(1, 64, null, null), loss, source, data, data.head(0), 3);
                        EpochSummary last = history.get(history.size() - 1);
                        String name = e.getKey().name();
                        assertTrue(Double.isFinite(last.trainLoss()), name + " loss " + last.trainLoss());
                        assertEquals(e.getValue(), List.copyOf(last.trainTerms().keySet()), name);
                        last.trainTerms().forEach((k, v) -> assertTrue(Double.isFinite(v) && v >= 0, name + " " + k + "=" + v));
                        assertNotEquals(before, student.weightsDigest(), name + " trained the student");
                    }
                    if (source instanceof AutoCloseable c) {
                        c.close();
                    }
                }
            }
        }
    }

    /**
     * A crd run resumed from a mid-epoch checkpoint ends with the same weights as the uninterrupted
     * run: heads and memory banks are restored from the checkpoint, and the negatives replay because
     * the engine is reseeded at every step.
     */
    @Test
    void crdResumesExactlyFromAMidEpochCheckpoint(@TempDir Path dir) throws Exception {
        Dataset data = FashionMnist.load(Slice.dir()).train().head(128);
        TrainSpec spec = new TrainSpec(2, 32, null, null);
        MethodSpec method = new ContrastiveRepresentation(null, null, 16, null, null, null, null, null);
        Map<Path, TrainingProgress> saved = new java.util.LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(1);
            try (Network teacher = Network.create(new CnnSpec(List.of(4), 16, true, null), SAMPLE, 10, m)) {
                LiveTeacher live = new LiveTeacher(teacher);
                CheckpointStore store = new CheckpointStore(dir, "d", 100);
                SoloTraining.Saver every2 = new SoloTraining.Saver() {
                    @Override
                    public int everySteps() {
                        return 2;
                    }

                    @Override
                    public void save(String phase, Network student, org.distill4j.loss.Adapters adapters,
                            org.distill4j.train.Optimizer optimizer, TrainingProgress progress, double acc)
                            throws java.io.IOException {
                        saved.put(store.save(phase, acc, progress, student, adapters, optimizer), progress);
                    }
                };
                String uninterrupted;
                Seeds.apply(2);
                try (Network student = Network.create(new MlpSpec(List.of(16), null), SAMPLE, 10, m)) {
                    new SoloTraining(m, TrainListener.NONE).train("s", student, spec, method.objective(), live, data,
                            data.head(0), 3, TrainingProgress.start(), SoloTraining.Restore.NONE, every2);
                    uninterrupted = student.weightsDigest();
                }
                var mid = saved.entrySet().stream().filter(e -> e.getValue().epoch() == 1 && e.getValue().batch() == 2)
                        .findFirst().orElseThrow();
                CheckpointStore.Loaded loaded = CheckpointStore.read(mid.getKey());
                Seeds.apply(7); // a different initialisation: everything must come from the checkpoint
                try (Network student = Network.create(new MlpSpec(List.of(16), null), SAMPLE, 10, m)) {
                    loaded.only().restoreWeights(student);
                    new SoloTraining(m, TrainListener.NONE).train("s", student, spec, method.objective(), live, data,
                            data.head(0), 3, mid.getValue(), new SoloTraining.Restore() {
                                @Override
                                public void adapters(org.distill4j.loss.Adapters adapters) throws java.io.IOException {
                                    loaded.only().restoreAdapters(adapters);
                                }

                                @Override
                                public void optimizer(org.distill4j.train.Optimizer optimizer) throws java.io.IOException {
                                    loaded.only().restoreOptimizer(optimizer);
                                }
                            }, SoloTraining.Saver.NONE);
                    assertEquals(uninterrupted, student.weightsDigest());
                }
            }
        }
    }
}

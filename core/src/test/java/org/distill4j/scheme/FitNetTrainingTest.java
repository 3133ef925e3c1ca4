package org.distill4j.scheme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.FitNet;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.Network;
import org.distill4j.testing.Slice;
import org.distill4j.testing.SoloTraining;
import org.distill4j.train.CheckpointStore;

import org.distill4j.train.Optimizer;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FitNets end to end on real data (2 epochs, tiny CNNs, live teacher): the regressor adapter is
 * trained, written into checkpoints, restored on resume so that a run resumed mid-epoch ends
 * with exactly the uninterrupted run's student, and never exported with the student.
 */
class FitNetTrainingTest {
    static final long[] SAMPLE = {1, 28, 28};
    static final CnnSpec STUDENT = new CnnSpec(List.of(4, 8), 16, true, null);
    static final CnnSpec TEACHER = new CnnSpec(List.of(8, 16), 16, true, null);
    // 128 samples, batches of 32: 4 steps an epoch, 8 in all; checkpoints at steps 3 and 6 (mid-epoch)
    // and at both epoch ends. Adam, so the adapters' optimizer state matters on resume too.
    static final TrainSpec SPEC = new TrainSpec(2, 32, new OptimizerSpec.Adam(0.01, null, null, null, null), null);
    static final MethodSpec FITNET = new FitNet("conv2", "conv2", 3, null, null);
    static final long INIT_SEED = 100;
    static final long SHUFFLE_SEED = 7;

    /** Saves into a CheckpointStore, as Experiment does, and remembers the adapters' values at each save. */
    static final class Recording implements SoloTraining.Saver {
        final CheckpointStore store;
        final Map<Path, List<float[]>> adapterValues = new LinkedHashMap<>();

        Recording(Path dir) throws IOException {
            store = new CheckpointStore(dir, "test-config", 100);
        }

        @Override
        public int everySteps() {
            return 3;
        }

        @Override
        public void save(String phase, Network student, Adapters adapters, Optimizer optimizer,
                TrainingProgress progress, double validationAccuracy) throws IOException {
            adapterValues.put(store.save(phase, validationAccuracy, progress, student, adapters, optimizer),
                    values(adapters));
        }
    }

    static List<float[]> values(Adapters adapters) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : adapters.trainableParameters()) {
            out.add(p.getArray().toFloatArray());
        }
        return out;
    }

    static Network student(NDManager m) {
        Seeds.apply(INIT_SEED);
        return Network.create(STUDENT, SAMPLE, 10, m);
    }

    @Test
    void regressorIsTrainedCheckpointedResumedExactlyAndNotExported(@TempDir Path dir) throws Exception {
        Dataset train = FashionMnist.load(Slice.dir()).train().head(128);
        Dataset none = train.head(0);
        try (NDManager m = NDManager.newBaseManager()) {
            Seeds.apply(1);
            Network teacher = Network.create(TEACHER, SAMPLE, 10, m);
            LiveTeacher live = new LiveTeacher(teacher);
            SoloTraining offline = new SoloTraining(m, TrainListener.NONE);

            // uninterrupted
            Recording rec = new Recording(dir.resolve("a"));
            String uninterrupted;
            try (Network s = student(m)) {
                offline.train("student-fitnet", s, SPEC, FITNET.objective(), live, train, none, SHUFFLE_SEED,
                        TrainingProgress.start(), SoloTraining.Restore.NONE, rec);
                uninterrupted = s.weightsDigest();
                s.save(dir.resolve("fitnet.model"));
            }
            List<Path> saved = new ArrayList<>(rec.adapterValues.keySet());
            assertEquals(4, saved.size(), "steps 3 and 6, and both epoch ends: " + saved);

            // the regressor trains: its values move between checkpoints, and from their start
            List<float[]> first = rec.adapterValues.get(saved.get(0));
            List<float[]> last = rec.adapterValues.get(saved.get(3));
            List<float[]> initial;
            try (Network s = student(m); Adapters fresh = new Adapters(m)) {
                DistillationLoss loss = FITNET.objective();
                loss.bind(new Binding(s.tapShapes("student"), live.tapShapes(), train.size(), train.idBound(), fresh));
                initial = values(fresh);
                assertEquals(8 * 16 * 9 + 2 * 16, fresh.parameterCount(), "3×3 conv 8→16, batch norm γ, β");

                // and the last checkpoint holds exactly the adapters' values at that moment
                CheckpointStore.read(saved.get(3)).only().restoreAdapters(fresh);
                List<float[]> restored = values(fresh);
                for (int i = 0; i < last.size(); i++) {
                    assertArrayEquals(last.get(i), restored.get(i), "adapter parameter " + i + " is saved");
                }
            }
            for (int i = 0; i < initial.size(); i++) {
                assertFalse(java.util.Arrays.equals(initial.get(i), first.get(i)), "parameter " + i + " trained by step 3");
                assertFalse(java.util.Arrays.equals(first.get(i), last.get(i)), "parameter " + i + " trained after step 3");
            }

            // resumed from the mid-epoch checkpoint at step 6 (epoch 2, batch 3)
            CheckpointStore.Loaded mid = CheckpointStore.read(saved.get(2));
            TrainingProgress progress = mid.meta().progress().get("student-fitnet");
            assertEquals(1, progress.epoch());
            assertEquals(2, progress.batch());
            try (Network s = student(m)) {
                mid.only().restoreWeights(s);
                offline.train("student-fitnet", s, SPEC, FITNET.objective(), live, train, none, SHUFFLE_SEED, progress,
                        new SoloTraining.Restore() {
                            @Override
                            public void adapters(Adapters adapters) throws IOException {
                                mid.only().restoreAdapters(adapters);
                            }

                            @Override
                            public void optimizer(Optimizer optimizer) throws IOException {
                                mid.only().restoreOptimizer(optimizer);
                            }
                        }, SoloTraining.Saver.NONE);
                assertEquals(uninterrupted, s.weightsDigest(), "resumed run ends with the uninterrupted run's student");
            }

            // exported: the student alone, the same size as a KD student of the same architecture
            try (Network s = student(m)) {
                offline.train("student-kd", s, new TrainSpec(1, 32, SPEC.optimizer(), null),
                        new HintonKd(null, null).objective(), live, train.head(64), none, SHUFFLE_SEED);
                s.save(dir.resolve("kd.model"));
            }
            assertEquals(Files.size(dir.resolve("kd.model")), Files.size(dir.resolve("fitnet.model")));
            assertTrue(Files.size(saved.get(3)) > Files.size(dir.resolve("fitnet.model")));
            teacher.close();
        }
    }
}

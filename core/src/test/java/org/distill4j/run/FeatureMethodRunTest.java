package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.feature.AttentionLoss;
import org.distill4j.method.AttentionTransfer;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.Network;
import org.distill4j.model.ResNetSpec;
import org.distill4j.model.TapShapes;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Methods whose teacher taps are chosen in bind() (attention transfer's default pairs) with the
 * knowledge store: the store is asked for the taps of a bound loss, and keeps them in the
 * teacher's network order, so the loss pairs the same taps when it binds against the store.
 */
class FeatureMethodRunTest {
    static final long[] SAMPLE = {1, 28, 28};

    @Test
    void defaultAttentionPairsRunFromTheKnowledgeStore(@TempDir Path dir) throws Exception {
        TrainSpec one = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null);
        RunConfig cfg = new RunConfig("at", 5L, new DataSpec(0.2, 160, 64),
                new TeacherSpec(new CnnSpec(List.of(8, 8, 8), 16, true, null), one, null),
                new StudentSpec(new CnnSpec(List.of(4, 4), 16, true, null), one,
                        new AttentionTransfer(null, null, null, null, null), false));
        RunRecord r = new Experiment(cfg, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();

        double at = r.model("student-at").history().get(0).trainTerms().get("at");
        assertTrue(Double.isFinite(at) && at > 0, "the attention term was trained: " + at);
        List<String> stored = SafeTensors.open(dir.resolve("knowledge/teacher.safetensors")).tensors().keySet()
                .stream().filter(n -> n.startsWith("tap.")).toList();
        assertEquals(List.of("tap.logits", "tap.conv2", "tap.conv3"), stored, "the two deepest teacher maps");
    }

    /** ResNet tap names sort differently from their depth ("stage1" < "stage3" < "stem"). */
    @Test
    void storedTapsKeepTheTeachersNetworkOrderSoPairsSurviveTheStore() {
        try (NDManager m = NDManager.newBaseManager();
                Network teacher = Network.create(new ResNetSpec(8, 1), SAMPLE, 10, m);
                Network student = Network.create(new CnnSpec(List.of(4, 4, 4, 4), 8, true, null), SAMPLE, 10, m);
                Adapters scratch = new Adapters(m)) {
            TapShapes live = teacher.tapShapes("teacher");
            AttentionLoss probe = new AttentionLoss(null, null, true, 1000);
            probe.bind(new Binding(student.tapShapes("student"), live, 10, 10, scratch));
            List<String> taps = org.distill4j.knowledge.KnowledgeStore.tapsToStore(teacher, probe.teacherTaps());
            assertEquals(List.of("logits", "stem", "stage1", "stage2", "stage3"), taps);

            // what the trainer's loss sees when the teacher answers from the store
            Map<String, Shape> stored = new LinkedHashMap<>();
            taps.forEach(t -> stored.put(t, live.shape(t)));
            AttentionLoss trainer = new AttentionLoss(null, null, true, 1000);
            trainer.bind(new Binding(student.tapShapes("student"), new TapShapes("teacher (stored)", stored), 10, 10,
                    scratch));
            assertEquals(probe.pairedTeacherTaps(), trainer.pairedTeacherTaps());
            assertEquals(List.of("stem", "stage1", "stage2", "stage3"), trainer.pairedTeacherTaps());
            assertEquals(List.of("conv1", "conv2", "conv3", "conv4"), trainer.pairedStudentTaps());
        }
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.AdversarialScheme;
import org.distill4j.scheme.AfdScheme;
import org.distill4j.testing.ImportedTeachers;
import org.distill4j.testing.Slice;
import org.distill4j.train.TrainListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole adversarial runs on the committed slice. */
class AdversarialRunTest {
    @Test
    void aDiscriminatorOnLogitsTrainsBesideKd(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("adv", 3L, new DataSpec(0.2, 160, 100), DataFreeRunTest.teacher(),
                new StudentSpec(new MlpSpec(List.of(16), null), DataFreeRunTest.train(1), new HintonKd(null, null),
                        true), null, new AdversarialScheme(null, null, null, null));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student-none", "student-kd", "student-adversarial"),
                r.models().stream().map(ModelResult::name).toList());
        var terms = r.model("student-adversarial").history().get(0).trainTerms();
        assertEquals(List.of("ce", "kd", "adversarial"), List.copyOf(terms.keySet()));
    }

    @Test
    void anImportedTeacherServesTheDiscriminator(@TempDir Path dir) throws Exception {
        // the adversarial scheme only reads the teacher's outputs: an ONNX teacher is its real side
        RunConfig config = new RunConfig("adv-imported", 3L, new DataSpec(0.2, 160, 64),
                TeacherSpec.imported(ImportedTeachers.resource("tiny.onnx").toString(), null, ImportedTeachers.SCALED,
                        null),
                new StudentSpec(new MlpSpec(List.of(16), null), DataFreeRunTest.train(1), new HintonKd(null, null),
                        false), null, new AdversarialScheme(null, null, null, null));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("teacher", "student-adversarial"), r.models().stream().map(ModelResult::name).toList());
        assertEquals("imported", r.model("teacher").method());
        var terms = r.model("student-adversarial").history().get(0).trainTerms();
        assertEquals(List.of("ce", "kd", "adversarial"), List.copyOf(terms.keySet()));
        assertTrue(r.model("student-adversarial").metrics().agreementTest() != null, "fidelity to the imported teacher");
    }

    @Test
    void afdTrainsTwoNetworksAndTheirBaselines(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("afd", 3L, new DataSpec(0.2, 160, 100), null,
                new StudentSpec(null, DataFreeRunTest.train(1), null, true), null,
                new AfdScheme(List.of(new CnnSpec(List.of(4), 16, true, null), new CnnSpec(List.of(2), 8, true, null)),
                        null, null, null, null, null, null));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        assertEquals(List.of("peer1", "peer2", "peer1-mutual", "peer2-mutual", "peer1-alone", "peer2-alone"),
                r.models().stream().map(ModelResult::name).toList());
        var terms = r.model("peer2").history().get(0).trainTerms();
        assertEquals(List.of("ce", "kd", "adversarial"), List.copyOf(terms.keySet()));
        assertTrue(r.schemeResults().path("settings").path("transfer").asLong() > 0);
    }

    @Test
    void mutualKdWithoutWeightLearnsExactlyAsAlone(@TempDir Path dir) throws Exception {
        // Issue 11: peer2-mutual lost ~30 points against peer2-alone in the committed bench. With
        // kdWeight 0 the mutual phase differs from the alone one only by the peers' lookups of each
        // other (training-mode forwards that must leave the batch-norm running statistics, the
        // batches and the gradients alone), so both must end with the same weights bit for bit:
        // any loss of accuracy under mutual KD then comes from the KD term, not from a side effect.
        RunConfig config = new RunConfig("afd-mutual", 3L, new DataSpec(0.2, 160, 100), null,
                new StudentSpec(null, DataFreeRunTest.train(2), null, true), null,
                new AfdScheme(List.of(new CnnSpec(List.of(4), 16, true, null), new CnnSpec(List.of(2), 8, true, null)),
                        null, null, null, 0.0, null, null));
        RunRecord r = new Experiment(config, FashionMnist.load(Slice.dir()), dir, TrainListener.NONE).run();
        for (String peer : List.of("peer1", "peer2")) {
            assertEquals(r.model(peer + "-alone").weightsDigest(), r.model(peer + "-mutual").weightsDigest(), peer);
        }
    }
}

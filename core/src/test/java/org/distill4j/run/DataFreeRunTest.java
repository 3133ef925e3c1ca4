package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.data.SealedDataException;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.scheme.DaflScheme;
import org.distill4j.scheme.DeepInversionScheme;
import org.distill4j.scheme.ZsktScheme;
import org.distill4j.scheme.GeneratorSpec;
import org.distill4j.testing.Slice;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole data-free runs on the committed slice, each under a data guard of the test's own: while
 * the data-free student's phase runs, the real training data (the file the run loaded, and so
 * every split cut from it) is sealed, so any read of a real image or label in that phase throws
 * and fails the run. The runs pass: nothing read them.
 */
class DataFreeRunTest {
    /**
     * Seals {@code data} from the start of each of {@code phases} to its end and checks, at every
     * step of them, that a read of a real sample does fail there.
     */
    static final class Guard implements TrainListener {
        final Dataset data;
        final List<String> phases;
        Dataset.Seal seal;
        int refusedReads;

        Guard(Dataset data, List<String> phases) {
            this.data = data;
            this.phases = phases;
        }

        @Override
        public void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {
            if (phases.contains(phase)) {
                seal = data.seal("test guard: phase " + phase + " must not read real training data");
            }
        }

        @Override
        public void onStep(int epoch, int batch, double loss, double lr) {
            if (seal != null) {
                assertThrows(SealedDataException.class, () -> data.copyFeatures(0, new float[data.featureSize()], 0));
                refusedReads++;
            }
        }

        @Override
        public void onFinish(String phase) {
            if (phases.contains(phase) && seal != null) {
                seal.close();
                seal = null;
            }
        }
    }

    static RunRecord guarded(RunConfig config, Path dir, int steps, String... phases) throws Exception {
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        Guard guard = new Guard(data.train(), List.of(phases));
        RunRecord r = new Experiment(config, data, dir, guard).run();
        assertEquals(steps, guard.refusedReads, "the guard held at every step of " + List.of(phases));
        assertTrue(!data.train().sealed(), "lifted after the phase");
        return r;
    }

    @Test
    void theGuardCatchesAPhaseThatReadsRealData(@TempDir Path dir) {
        // the control: an offline student's phase does read real batches, and the test's guard stops it
        RunConfig config = new RunConfig("real", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new MlpSpec(List.of(16), null), train(1), new HintonKd(null, null), false));
        SealedDataException e = assertThrows(SealedDataException.class,
                () -> guarded(config, dir, 0, "student-kd"));
        assertTrue(e.getMessage().contains("student-kd must not read real training data"), e.getMessage());
    }

    static TrainSpec train(int epochs) {
        return new TrainSpec(epochs, 32, new OptimizerSpec.Adam(0.003, null, null, null, null), null);
    }

    static TeacherSpec teacher() {
        return new TeacherSpec(new CnnSpec(List.of(4), 16, true, null), train(1), null);
    }

    @Test
    void daflTrainsItsStudentBesideTheBaselines(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("dafl", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new MlpSpec(List.of(16), null), train(1), new HintonKd(null, null), true), null,
                new DaflScheme(new GeneratorSpec(8, List.of(8, 4), null, null, null, null), null, null, null, null,
                        null, null, 3));
        RunRecord r = guarded(config, dir, 3, "student-dafl");
        assertEquals(List.of("teacher", "student-none", "student-kd", "student-dafl"),
                r.models().stream().map(ModelResult::name).toList());
        var history = r.model("student-dafl").history();
        assertEquals(1, history.size());
        assertTrue(history.get(0).trainTerms().containsKey("kd"), history.get(0).trainTerms().toString());
    }

    @Test
    void zsktTrainsItsStudent(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("zskt", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new CnnSpec(List.of(2), 8, true, null), train(1), new HintonKd(null, null), false),
                null, new ZsktScheme(new GeneratorSpec(8, List.of(8, 4), null, null, null, null), 1, 2, null, null,
                        null, 3));
        RunRecord r = guarded(config, dir, 3, "student-zskt");
        assertEquals(List.of("teacher", "student-zskt"), r.models().stream().map(ModelResult::name).toList());
        var terms = r.model("student-zskt").history().get(0).trainTerms();
        assertTrue(terms.containsKey("kl") && terms.containsKey("at"), terms.toString());
    }

    @Test
    void deepInversionSynthesizesThenDistils(@TempDir Path dir) throws Exception {
        RunConfig config = new RunConfig("di", 3L, new DataSpec(0.2, 160, 100), teacher(),
                new StudentSpec(new MlpSpec(List.of(16), null), train(1), new HintonKd(null, null), false), null,
                new DeepInversionScheme(2, 16, 3, null, null, null, null, null, null, null, null, null, null));
        // both of its phases, the synthesis and the student's: 2 batches × 3 iterations, then 1 step (32 images)
        RunRecord r = guarded(config, dir, 7, "deep-inversion", "student-deep-inversion");
        assertEquals(List.of("teacher", "student-deep-inversion"), r.models().stream().map(ModelResult::name).toList());
        assertTrue(java.nio.file.Files.exists(dir.resolve("deep-inversion.safetensors")));
        assertEquals(32, r.schemeResults().path("settings").path("images").asInt());
        assertTrue(r.schemeResults().has("teacherMatchesTargets"));
    }
}

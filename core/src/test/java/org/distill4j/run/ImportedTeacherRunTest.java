package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.FashionMnist;
import org.distill4j.io.ProvenanceException;
import org.distill4j.knowledge.KnowledgeStore;
import org.distill4j.knowledge.SafeTensors;
import org.distill4j.method.FitNet;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.ImportedModel;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.ImportedTeachers;
import org.distill4j.testing.Slice;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs on the data slice with a teacher imported from an ONNX or TorchScript file: it is a frozen
 * knowledge source (stored once or live, the two giving the same student), feature methods read its
 * extra outputs as taps, the file's SHA-256 keys the knowledge store and goes into the record and
 * the provenance, and a resume refuses a changed file unless the change is accepted.
 */
class ImportedTeacherRunTest {
    static final TrainSpec ONE = new TrainSpec(1, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null);
    static final DataSpec SMALL = new DataSpec(0.2, 160, 64);

    static RunConfig config(Path file, Map<String, String> taps, StudentSpec student) {
        return new RunConfig("imported", 5L, SMALL, TeacherSpec.imported(file.toString(), null, null, taps), student);
    }

    static StudentSpec kd(TrainSpec train, StudentSpec.KnowledgeMode knowledge) {
        return new StudentSpec(new CnnSpec(List.of(4), 16, true, null), train, new HintonKd(4.0, 0.9), false, knowledge);
    }

    static Path copy(String resource, Path to) throws Exception {
        Files.createDirectories(to.getParent());
        return Files.copy(ImportedTeachers.resource(resource), to, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void kdFromAnOnnxTeacherStoredOrLiveRecordsTheFilesDigest(@TempDir Path dir) throws Exception {
        Path onnx = copy("tiny.onnx", dir.resolve("models/teacher.onnx"));
        String sha = ImportedModel.sha256(onnx);
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        RunRecord stored = new Experiment(config(onnx, null, kd(ONE, null)), data, dir.resolve("store"),
                TrainListener.NONE).run();
        RunRecord live = new Experiment(config(onnx, null, kd(ONE, StudentSpec.KnowledgeMode.LIVE)), data,
                dir.resolve("live"), TrainListener.NONE).run();

        ModelResult teacher = stored.model("teacher");
        assertTrue(teacher.loaded());
        assertEquals("imported", teacher.method());
        assertEquals("onnx teacher.onnx", teacher.architecture());
        assertEquals(sha, teacher.weightsDigest());
        assertNull(teacher.file(), "no copy of the file in the run directory");
        assertEquals(sha, stored.teacherDigest());
        assertEquals(sha, stored.provenance().teacher());
        assertTrue(stored.model("student-kd").metrics().agreementTest() != null, "fidelity to the imported teacher");

        Map<String, String> meta = SafeTensors.open(dir.resolve("store/knowledge/teacher.safetensors")).metadata();
        assertTrue(meta.get("teacher").startsWith(sha), meta.get("teacher"));
        assertTrue(Files.notExists(dir.resolve("live/knowledge")), "live: no store");

        // the stored outputs are the live ones: the same student, step for step
        List<EpochSummary> a = stored.model("student-kd").history();
        List<EpochSummary> b = live.model("student-kd").history();
        assertEquals(a.get(0).trainLoss(), b.get(0).trainLoss(), 1e-6);
        assertEquals(stored.model("student-kd").metrics().testAccuracy(), live.model("student-kd").metrics()
                .testAccuracy(), 1e-9);
        double kd = a.get(0).trainTerms().get("kd");
        assertTrue(Double.isFinite(kd) && kd > 0, "the kd term was trained: " + kd);
    }

    @Test
    void fitnetReadsAnImportedTorchScriptTap(@TempDir Path dir) throws Exception {
        Path pt = copy("tiny.pt", dir.resolve("teacher.pt"));
        StudentSpec student = new StudentSpec(new CnnSpec(List.of(8, 16), 16, true, null), ONE,
                new FitNet("conv2", "features", 1, null, null), false);
        RunRecord r = new Experiment(config(pt, Map.of("features", "output1"), student), FashionMnist.load(Slice.dir()),
                dir.resolve("run"), TrainListener.NONE).run();
        double hint = r.model("student-fitnet").history().get(0).trainTerms().get("hint");
        assertTrue(Double.isFinite(hint) && hint > 0, "the hint term was trained on the imported tap: " + hint);
        List<String> taps = SafeTensors.open(dir.resolve("run/knowledge/teacher.safetensors")).tensors().keySet()
                .stream().filter(n -> n.startsWith("tap.")).toList();
        assertEquals(List.of("tap.logits", "tap.features"), taps);
    }

    @Test
    void aMissingTapFailsBeforeAnythingTrains(@TempDir Path dir) throws Exception {
        Path pt = copy("tiny.pt", dir.resolve("teacher.pt"));
        StudentSpec student = new StudentSpec(new CnnSpec(List.of(8, 16), 16, true, null), ONE,
                new FitNet("conv2", "features", 1, null, null), false);
        // without taps: the tuple's outputs are output0 (logits) and output1, no 'features'
        org.distill4j.model.TapException e = assertThrows(org.distill4j.model.TapException.class,
                () -> new Experiment(config(pt, null, student), FashionMnist.load(Slice.dir()), dir.resolve("run"),
                        TrainListener.NONE).run());
        assertTrue(e.getMessage().contains("'features'") && e.getMessage().contains("output1"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("run/checkpoints")) || Files.list(dir.resolve("run/checkpoints"))
                .findAny().isEmpty(), "nothing trained");
    }

    /** The store's key holds the file's SHA-256 (and the preprocessing): another file or preprocessing rebuilds it. */
    @Test
    void theKnowledgeStoreIsKeyedByTheFilesDigest(@TempDir Path dir) throws Exception {
        RunData data = RunData.of(FashionMnist.load(Slice.dir()));
        var train = data.train().head(40);
        Path store = dir.resolve("teacher.safetensors");
        Path pt = copy("tiny.pt", dir.resolve("teacher.pt"));
        List<String> notices = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            ImportedModel.Spec plain = new ImportedModel.Spec(pt, null, null, Map.of("features", "output1"));
            try (ImportedModel t = ImportedModel.open("teacher", plain, data.normalisation())) {
                KnowledgeStore.openOrBuild(store, t, train, List.of("logits"), "p", m, notices::add);
                KnowledgeStore.openOrBuild(store, t, train, List.of("logits"), "p", m, notices::add);
                assertTrue(SafeTensors.open(store).metadata().get("teacher").startsWith(t.weightsDigest()));
            }
            assertTrue(notices.get(0).contains("computed once") && notices.get(1).contains("read from"), notices.toString());
            // the same graph in another file (a dict instead of a tuple): another digest
            copy("tiny-dict.pt", pt);
            try (ImportedModel t = ImportedModel.open("teacher", new ImportedModel.Spec(pt, null, null, null),
                    data.normalisation())) {
                KnowledgeStore.openOrBuild(store, t, train, List.of("logits"), "p", m, notices::add);
            }
            assertTrue(notices.get(2).contains("stale") && notices.get(2).contains("teacher"), notices.toString());
            ImportedModel.Spec scaled = new ImportedModel.Spec(pt, null, ImportedTeachers.SCALED, null);
            try (ImportedModel t = ImportedModel.open("teacher", scaled, data.normalisation())) {
                KnowledgeStore.openOrBuild(store, t, train, List.of("logits"), "p", m, notices::add);
            }
            assertTrue(notices.get(4).contains("stale"), "another preprocessing: " + notices);
        }
    }

    /** As for a changed load: teacher, a changed imported file is refused on resume unless accepted. */
    @Test
    void resumeRefusesAChangedFileUnlessAccepted(@TempDir Path dir) throws Exception {
        Path pt = copy("tiny.pt", dir.resolve("teacher.pt"));
        TrainSpec two = new TrainSpec(2, 32, new OptimizerSpec.Sgd(0.01, 0.9, 0.0), null);
        RunConfig cfg = config(pt, null, kd(two, null));
        FashionMnist.Splits data = FashionMnist.load(Slice.dir());
        Path run = dir.resolve("run");
        assertThrows(Interruption.Stop.class,
                () -> new Experiment(cfg, data, run, new Interruption("student-kd", 1)).run());
        String before = ImportedModel.sha256(pt);

        copy("tiny-dict.pt", pt); // another file at the same path
        ProvenanceException e = assertThrows(ProvenanceException.class,
                () -> new Experiment(cfg, data, run, TrainListener.NONE).run());
        assertTrue(e.getMessage().startsWith("the teacher " + pt + " is not the one the checkpoints in " + run)
                && e.getMessage().contains("file SHA-256 " + before.substring(0, 12))
                && e.getMessage().contains("--accept-teacher-change"), e.getMessage());
        assertTrue(Files.notExists(run.resolve(Experiment.RECORD)));

        RunRecord r = new Experiment(cfg, data, run, TrainListener.NONE).acceptingTeacherChange(true).run();
        assertEquals(ImportedModel.sha256(pt), r.teacherDigest());
        assertEquals(r.teacherDigest(), r.provenance().teacher());
        assertTrue(r.sittings().get(1).accepted().stream().anyMatch(a -> a.startsWith("teacher (")),
                r.sittings().toString());
    }
}

package org.distill4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.api.ExportFolder;
import org.distill4j.config.DataSpec;
import org.distill4j.config.RunConfig;
import org.distill4j.config.StudentSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.DiskLoss;
import org.distill4j.method.Disk;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.report.RunRecord;
import org.distill4j.testing.Slice;
import org.distill4j.train.Loop;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.Seeds;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.StoppedException;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.UpdateReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DiSK on the data slice: student and guide alternating by epochs step by step (whose weights move,
 * when λ moves), a resume mid-phase in the guide's epoch and in the student's ending exactly where
 * the uninterrupted run does, and an export that holds the student alone, not its guide.
 */
class DiskRunTest {
    static final CnnSpec TEACHER = new CnnSpec(List.of(4, 8), 16, true, null);
    static final MlpSpec STUDENT = new MlpSpec(List.of(8), null);
    static final TrainSpec THREE = new TrainSpec(3, 16, new OptimizerSpec.Sgd(0.05, 0.9, 0.0), null);
    // 64 training samples: 4 steps an epoch; epochs student, guide, student
    static final Disk DISK = new Disk(null, 2, 0.3, null, null, null, 0.5, null, 1, 1, 8, null);
    static FashionMnist.Splits data;
    static RunRecord whole;
    @TempDir
    static Path first;

    static RunConfig config() {
        return new RunConfig("disk", 5L, new DataSpec(0.2, 80, 32), TeacherSpec.random(TEACHER),
                new StudentSpec(STUDENT, THREE, DISK, false));
    }

    @BeforeAll
    static void runOnce() throws Exception {
        data = FashionMnist.load(Slice.dir());
        whole = new Experiment(config(), data, first, TrainListener.NONE).run();
    }

    /** Which participant each update moved, whether the other's weights stayed put, and λ. */
    @Test
    void epochsAlternateStudentThenGuideAndLambdaMovesOnlyInGuideSteps() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            Seeds.apply(7);
            Dataset all = data.train();
            Network teacher = Network.create(TEACHER, all.sampleShape(), all.numClasses(), root);
            Network student = Network.create(STUDENT, all.sampleShape(), all.numClasses(), root);
            teacher.freeze();
            Dataset train = all.subset("train", java.util.stream.IntStream.range(0, 64).toArray());
            Dataset validation = all.subset("val", java.util.stream.IntStream.range(64, 80).toArray());
            DistillationLoss objective = DISK.objective();
            DiskLoss disk = (DiskLoss) ((WeightedSum) objective).distillation();
            Phase phase = SoloPhase.of("s", student, THREE, objective, new LiveTeacher(teacher), train, validation, 3,
                    null);
            assertEquals(List.of("s", "s.guide"), phase.participants().stream().map(Participant::name).toList());
            Adapters guide = phase.participant("s.guide").adapters();
            assertTrue(phase.participant("s").adapters().isEmpty(), "the guide is not among the student's adapters");
            List<String> moved = new ArrayList<>();
            List<boolean[]> unchanged = new ArrayList<>(); // {student net, guide, λ}
            LoopListener watch = new LoopListener() {
                String[] before;
                double lambda;

                @Override
                public void beforeStep(LoopState state, long step) {
                    before = new String[] {student.weightsDigest(), digest(guide)};
                    lambda = disk.lambda();
                }

                @Override
                public boolean onGradients(LoopState state, UpdateReport r) {
                    moved.add(r.participant().name());
                    return true;
                }

                @Override
                public void afterStep(LoopState state, long step, double meanLoss) {
                    unchanged.add(new boolean[] {before[0].equals(student.weightsDigest()),
                            before[1].equals(digest(guide)), lambda == disk.lambda()});
                }
            };
            try {
                new Loop(root, List.of(watch)).run(phase);
                student.close();
                teacher.close();
            } finally {
                SoloPhase.close(phase);
            }
            String s = "s";
            String g = "s.guide";
            assertEquals(List.of(s, s, s, s, g, g, g, g, s, s, s, s), moved);
            for (int i = 0; i < moved.size(); i++) {
                boolean guideStep = moved.get(i).equals(g);
                boolean[] u = unchanged.get(i);
                assertEquals(guideStep, u[0], "step " + i + ": the student moves in its own steps only");
                assertEquals(!guideStep, u[1], "step " + i + ": the guide moves in its own steps only");
                assertEquals(!guideStep, u[2], "step " + i + ": λ ascends after guide steps only");
            }
        }
    }

    static String digest(Adapters a) {
        StringBuilder b = new StringBuilder();
        for (Parameter p : a.trainableParameters()) {
            b.append(java.util.Arrays.toString(p.getArray().toFloatArray()));
        }
        return org.distill4j.io.Provenance.sha256(b.toString());
    }

    /**
     * Stopped mid-epoch in the guide's epoch (after step 6 of 12) and in the student's last epoch
     * (after step 10): the resumed run restores student, guide, both optimizers and λ, and ends where
     * the uninterrupted run does.
     */
    @Test
    void aResumeMidPhaseEndsWhereTheUninterruptedRunDoes(@TempDir Path dir) throws Exception {
        for (int step : new int[] {6, 10}) {
            Path run = dir.resolve("stop" + step);
            StopMidPhase stop = new StopMidPhase("student-disk", step);
            assertThrows(StoppedException.class, () -> new Experiment(config(), data, run, stop)
                    .stoppedBy(stop.request).run());
            assertFalse(Files.exists(run.resolve(Experiment.RECORD)));
            RunRecord r = new Experiment(config(), data, run, TrainListener.NONE).run();
            assertEquals(whole.model("student-disk").reproducible(), r.model("student-disk").reproducible(),
                    "stopped after step " + step);
        }
        assertTrue(whole.model("student-disk").history().get(0).trainTerms().get(DiskLoss.TERM) > 0,
                "the lifted term was trained");
        assertNotEquals(null, whole.model("student-disk").metrics().agreementTest());
    }

    /** The export holds the student's network alone: its tensors are the MLP's, none of the guide's. */
    @Test
    void theExportHoldsTheStudentAloneNotItsGuide(@TempDir Path dir) throws Exception {
        TrainedModel m = TrainedModel.find(first, "student-disk");
        long mlp = 784 * 8 + 8 + 8 * 10 + 10; // the student's layers, by hand
        Path out = dir.resolve("export");
        try (NDManager root = NDManager.newBaseManager(); Network net = m.load(root)) {
            assertEquals(mlp, net.parameterCount());
            ExportFolder.write(out, m.name(), net, m.preprocessing(), m.classNames(), Map.of(), null, false);
        }
        assertEquals(mlp, tensorValues(out.resolve(ExportFolder.WEIGHTS)), "the weights file holds the MLP's values");
        JsonNode manifest = ExportFolder.verify(out);
        assertEquals(mlp, manifest.findValue("parameters").asLong(), "the manifest counts the MLP's parameters");
        try (Stream<Path> files = Files.list(out)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertFalse(names.contains(ExportFolder.RETRIEVAL), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.contains("guide")), names.toString());
        }
        try (Stream<Path> files = Files.list(first)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("guide")),
                    "the run saves no guide model beside the student");
        }
    }

    /** The number of values in a safetensors file, from its JSON header (each tensor's shape). */
    static long tensorValues(Path file) throws Exception {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            byte[] size = in.readNBytes(8);
            long n = ByteBuffer.wrap(size).order(ByteOrder.LITTLE_ENDIAN).getLong();
            JsonNode header = new ObjectMapper().readTree(new String(in.readNBytes((int) n), StandardCharsets.UTF_8));
            long total = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                assertFalse(e.getKey().contains("guide"), e.getKey());
                long values = 1;
                for (JsonNode d : e.getValue().path("shape")) {
                    values *= d.asLong();
                }
                total += values;
            }
            return total;
        }
    }
}

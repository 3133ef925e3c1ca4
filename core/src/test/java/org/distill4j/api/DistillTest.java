package org.distill4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.distill4j.config.ConfigException;
import org.distill4j.data.DatasetException;
import org.distill4j.data.SourceSpec;
import org.distill4j.report.RunRecord;
import org.distill4j.run.ConfigDriftException;
import org.distill4j.run.RunDirectory;
import org.distill4j.testing.Slice;
import org.distill4j.train.TrainListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade as a service uses it: a YAML config run into a directory, giving its record, with the
 * JVM's global state (system properties, default locale, the engine's thread counts) left as the
 * service set it, and nothing printed.
 */
class DistillTest {
    static final String YAML = """
            name: guest
            seed: 3
            data: {validation: 0.2, trainLimit: 300, testLimit: 100}
            teacher:
              model: {type: mlp, hidden: [16]}
              train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.05, momentum: 0.9}}
            student:
              model: {type: mlp, hidden: [8]}
              train: {epochs: 1, batchSize: 32, optimizer: {type: sgd, lr: 0.05, momentum: 0.9}}
              method: {name: kd, temperature: 4, alpha: 0.9}
              baseline: false
            """;

    static Map<String, String> systemProperties() {
        Map<String, String> out = new TreeMap<>();
        System.getProperties().stringPropertyNames().forEach(k -> out.put(k, System.getProperty(k)));
        return out;
    }

    /**
     * What the engine and the JVM look like to a service. What the JDK and the engine set on first
     * use, in any program that uses them, is set first: the engine started, the default time zone
     * read ({@code user.timezone}), text drawn ({@code sun.font.fontmanager}).
     */
    record Global(Map<String, String> properties, Locale locale, int intraOp, int interOp) {
        static Global now() {
            Engine.getInstance();
            java.util.TimeZone.getDefault();
            java.awt.Graphics2D g = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB)
                    .createGraphics();
            g.drawString("x", 0, 8);
            g.dispose();
            return new Global(systemProperties(), Locale.getDefault(), JniUtils.getNumThreads(),
                    JniUtils.getNumInteropThreads());
        }
    }

    @Test
    void aYamlRunLeavesTheJvmAsItWasAndPrintsNothing(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        Global before = Global.now();
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        RunRecord record;
        RunRecord again;
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            System.setErr(capture);
            Distill distill = Distill.yaml(YAML).fashionMnist(Slice.dir());
            record = distill.run(dir);
            // the same config into the same directory: the finished run's record, nothing trained
            again = distill.run(dir);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", printed.toString(StandardCharsets.UTF_8), "nothing printed");
        assertEquals(before, Global.now(), "system properties, locale and engine threads unchanged");

        assertEquals(List.of("teacher", "student-kd"), record.models().stream().map(m -> m.name()).toList());
        assertTrue(record.model("student-kd").metrics().testAccuracy() > 0.1, "trained");
        assertEquals(RunRecord.read(dir.resolve("record.json")).models().get(1).weightsDigest(),
                record.models().get(1).weightsDigest());
        assertEquals(record.models().get(1).weightsDigest(), again.models().get(1).weightsDigest());
        // the CLI's run directory: its config frozen, so ./distill resume / reproduce / evaluate take it
        assertEquals(record.config(), RunDirectory.frozenConfig(dir));
        assertEquals("api:yaml", RunDirectory.source(dir).source());

        // another config into that directory is refused, naming what differs; nothing is overwritten
        byte[] frozen = Files.readAllBytes(dir.resolve(RunDirectory.FROZEN_CONFIG));
        ConfigDriftException drift = assertThrows(ConfigDriftException.class,
                () -> Distill.yaml(YAML.replace("seed: 3", "seed: 4")).fashionMnist(Slice.dir()).run(dir));
        assertTrue(drift.getMessage().contains("seed (3 → 4)"), drift.getMessage());
        assertEquals(new String(frozen, StandardCharsets.UTF_8),
                Files.readString(dir.resolve(RunDirectory.FROZEN_CONFIG)));
    }

    @Test
    void engineThreadsAreSetOnlyWhenAskedAndOnlyForTheRun(@TempDir Path tmp) throws Exception {
        Global before = Global.now();
        int asked = before.intraOp() == 1 ? 2 : 1;
        List<Integer> during = new ArrayList<>();
        TrainListener probe = new TrainListener() {
            @Override
            public void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {
                during.add(JniUtils.getNumThreads());
            }
        };
        Distill.yaml(YAML).fashionMnist(Slice.dir()).listener(probe).engineThreads(asked).run(tmp.resolve("a"));
        assertEquals(List.of(asked, asked), during, "teacher and student trained with the asked thread count");
        assertEquals(before, Global.now(), "the service's own count restored");

        during.clear();
        Distill.yaml(YAML).fashionMnist(Slice.dir()).listener(probe).run(tmp.resolve("b"));
        assertEquals(List.of(before.intraOp(), before.intraOp()), during, "not asked: left alone");
        assertThrows(IllegalArgumentException.class, () -> Distill.yaml(YAML).engineThreads(0));
    }

    /** A service stops a run (its own StopRequest); run() on the directory again ends where one sitting would. */
    @Test
    void aStoppedRunContinuesWhereItStopped(@TempDir Path tmp) throws Exception {
        RunRecord whole = Distill.yaml(YAML).fashionMnist(Slice.dir()).run(tmp.resolve("whole"));
        org.distill4j.train.StopRequest stop = new org.distill4j.train.StopRequest();
        TrainListener stopper = new TrainListener() {
            int steps;

            @Override
            public void onStep(int epoch, int batch, double loss, double lr) {
                if (++steps == 5) {
                    stop.request("the service is shutting down");
                }
            }
        };
        Path dir = tmp.resolve("stopped");
        Distill distill = Distill.yaml(YAML).fashionMnist(Slice.dir());
        org.distill4j.train.StoppedException stopped = assertThrows(org.distill4j.train.StoppedException.class,
                () -> distill.listener(stopper).stoppedBy(stop).run(dir));
        assertEquals("the service is shutting down", stopped.reason());
        assertFalse(Files.exists(dir.resolve("record.json")));
        RunRecord resumed = distill.run(dir);
        assertEquals(2, resumed.sittings().size());
        assertEquals(whole.models().stream().map(m -> m.weightsDigest()).toList(),
                resumed.models().stream().map(m -> m.weightsDigest()).toList(), "the same weights as one sitting");
    }

    /** Data given as a source spec in code (a CSV of two features), replacing the config's Fashion-MNIST. */
    @Test
    void dataFromASourceSpecInCode(@TempDir Path tmp) throws Exception {
        StringBuilder csv = new StringBuilder("x,y,label\n");
        for (int i = 0; i < 80; i++) {
            double x = (i % 10) / 10.0;
            csv.append(String.format(Locale.ROOT, "%.2f,%.2f,%s%n", x, 1 - x, i % 2 == 0 ? "even" : "odd"));
        }
        Path file = Files.writeString(tmp.resolve("pairs.csv"), csv);
        Distill distill = Distill.yaml(YAML.replace("trainLimit: 300, testLimit: 100", "trainLimit: 0"))
                .data(SourceSpec.csv(file.toString(), null, "label"));
        assertEquals("csv", distill.config().data().sourceName());
        assertEquals(0.2, distill.config().data().validation(), "the config's validation fraction is kept");
        RunRecord record = distill.run(tmp.resolve("run"));
        assertEquals("csv", record.data().source());
        assertEquals(List.of("even", "odd"), record.data().normalisation().classNames());
        assertEquals(16, record.dataSizes().get("test"), "80 rows: a fifth carved for testing");
        assertEquals(64, record.dataSizes().get("train") + record.dataSizes().get("validation"));
    }

    @Test
    void badInputIsOneClearErrorAndNothingIsWritten(@TempDir Path tmp) throws Exception {
        ConfigException typo = assertThrows(ConfigException.class, () -> Distill.yaml(YAML.replace("seed:", "sed:")));
        assertTrue(typo.getMessage().contains("unknown key 'sed'") && typo.getMessage().contains("did you mean 'seed'?"),
                typo.getMessage());
        assertFalse(typo.getMessage().contains("\n"));

        Path dir = tmp.resolve("never");
        DatasetException missing = assertThrows(DatasetException.class,
                () -> Distill.yaml(YAML).fashionMnist(tmp.resolve("nowhere")).run(dir));
        assertTrue(missing.getMessage().contains("nowhere"), missing.getMessage());
        assertFalse(Files.exists(dir), "no run directory for a run that cannot start");

        // a file's relative data paths are taken against its directory, as by the CLI
        Path file = Files.writeString(tmp.resolve("csv.yaml"), YAML.replace("data: {", "data: {source: csv, train: t.csv, "));
        assertEquals(tmp.resolve("t.csv").toString(), Distill.yaml(file).config().data().train());
        DatasetException noFile = assertThrows(DatasetException.class, () -> Distill.yaml(file).run(dir));
        assertTrue(noFile.getMessage().contains(tmp.resolve("t.csv").toString()), noFile.getMessage());
        assertFalse(Files.exists(dir));
    }
}

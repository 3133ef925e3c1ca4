package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.method.AttentionTransfer;
import org.distill4j.method.Dkd;
import org.distill4j.method.FitNet;
import org.distill4j.method.Fsp;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.Vid;
import org.distill4j.model.CnnSpec;
import org.distill4j.train.OptimizerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    static final String GOOD = """
            name: t
            seed: 1
            teacher:
              model: {type: cnn, channels: [8, 16], hidden: 32}
              train:
                epochs: 2
                optimizer: {type: sgd, lr: 0.05}
            student:
              model: {type: mlp, hidden: [16]}
              train:
                epochs: 2
                batchSize: 64
                optimizer:
                  type: adam
                  lr: 0.001
                schedule: {type: step, stepEvery: 1, gamma: 0.5}
              method: {name: kd, temperature: 3, alpha: 0.8}
            """;

    private static String error(String yaml) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "bad.yaml"));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    @Test
    void parsesAValidConfig() throws Exception {
        RunConfig c = ConfigLoader.parse(GOOD, "good.yaml");
        assertEquals(new CnnSpec(List.of(8, 16), 32, null, null), c.teacher().model());
        assertEquals(new HintonKd(3.0, 0.8), c.student().method());
        assertEquals(new OptimizerSpec.Adam(0.001, null, null, null, null), c.student().train().optimizer());
        assertEquals(64, c.student().train().batchSize());
        assertEquals(0.1, c.data().validation());
    }

    @Test
    void reliabilityAndKnowledgeKeysParseAndRoundTrip() throws Exception {
        RunConfig c = ConfigLoader.parse(GOOD.replace("    schedule: {type: step, stepEvery: 1, gamma: 0.5}",
                "    schedule: {type: step, stepEvery: 1, gamma: 0.5}\n    clipGradNorm: 5\n    onNonFinite: skip-batch\n"
                        + "    augment: {shift: 2, flip: true}")
                .replace("  method: {name: kd, temperature: 3, alpha: 0.8}", "  method: {name: kd, temperature: 3, alpha: 0.8}\n  knowledge: live")
                + "checkpoint: {everySteps: 50, keepLast: 3}\n", "k.yaml");
        assertEquals(5.0, c.student().train().clipGradNorm());
        assertEquals(org.distill4j.train.TrainSpec.NonFinitePolicy.SKIP_BATCH, c.student().train().onNonFinite());
        assertEquals(new org.distill4j.data.Augmentation(2, true), c.student().train().augment());
        assertEquals(org.distill4j.config.StudentSpec.KnowledgeMode.LIVE, c.student().knowledge());
        assertEquals(50, c.checkpoint().everySteps());
        // the YAML frozen into run directories reads back to the same config
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        assertContains(error(GOOD.replace("  method: {name: kd, temperature: 3, alpha: 0.8}",
                "  method: {name: kd, temperature: 3, alpha: 0.8}\n  knowledge: cache")), "student.knowledge",
                "[live, store]");
    }

    @Test
    void everyExampleAndTheQuickstartParse() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("../examples"))) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(yamls.size() >= 3, "examples/ holds configs");
            for (Path p : yamls) {
                ConfigLoader.load(p);
            }
        }
        assertEquals("quickstart", QuickstartCommand.config(false).name());
        assertEquals(20000, QuickstartCommand.config(true).data().trainLimit());
        assertEquals(8, QuickstartCommand.config(true).teacher().train().epochs());
        assertEquals(4, QuickstartCommand.config(true).student().train().epochs());
        // the default's teacher at [24, 48, 96]: hidden units, batch norm and dropout unchanged
        org.distill4j.model.CnnSpec full = (org.distill4j.model.CnnSpec) QuickstartCommand.config(false).teacher().model();
        assertEquals(new org.distill4j.model.CnnSpec(java.util.List.of(24, 48, 96), full.hidden(), full.batchNorm(),
                full.dropout()), QuickstartCommand.config(true).teacher().model());
        assertEquals(java.util.List.of(32, 64, 128), full.channels());
    }

    @Test
    void theBenchmarkConfigsParse() throws Exception {
        MethodsBenchSpec methods = ConfigLoader.load(Path.of("../bench/methods.yaml"), MethodsBenchSpec.class);
        assertEquals(12, methods.rows().size());
        assertEquals(2, methods.pairs().size());
        RunBench.Spec schemes = ConfigLoader.load(Path.of("../bench/schemes.yaml"),
                RunBench.Spec.class);
        for (RunBench.Spec.Run run : schemes.runs()) {
            ConfigLoader.load(Path.of("..").resolve(run.config()));
        }
        RunBench.Spec algorithms = ConfigLoader.load(Path.of("../bench/algorithms.yaml"), RunBench.Spec.class);
        for (RunBench.Spec.Run run : algorithms.runs()) {
            ConfigLoader.load(Path.of("..").resolve(run.config()));
        }
        // a baseline from another run must name one of the runs
        assertThrows(ConfigException.class, () -> ConfigLoader.parse("runs: [{name: a, config: x.yaml}]\n"
                + "rows: [{run: a, label: l, model: m, baseline: n, baselineRun: b}]\n", "s.yaml", RunBench.Spec.class));
        // a row naming a run that does not exist is refused
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "runs: [{name: a, config: x.yaml}]\nrows: [{run: b, label: l, model: m, baseline: n}]\n", "s.yaml",
                RunBench.Spec.class));
    }

    @Test
    void unknownKeyNamesItThePositionAndTheAllowedKeys() {
        assertContains(error(GOOD.replace("seed: 1", "sead: 1")), "bad.yaml:2:", "(top level): unknown key 'sead'",
                "[checkpoint, data, name, scheme, seed, student, teacher, teachers]");
        assertContains(error(GOOD.replace("lr: 0.001", "lrate: 0.001")), "bad.yaml:15:",
                "student.train.optimizer", "unknown key 'lrate'", "beta1", "lr");
    }

    @Test
    void unknownKeysAreReportedFirstWithTheNearestKnownKey() throws Exception {
        assertContains(error(GOOD.replace("teacher:", "techer:")), "bad.yaml:3:", "(top level): unknown key 'techer'",
                "[checkpoint, data, name, scheme, seed, student, teacher, teachers]", "did you mean 'teacher'?");
        // the only key is unknown: that is the error, not the teacher it leaves missing
        String only = error("epochz: 3\n");
        assertContains(only, "bad.yaml:1:", "(top level): unknown key 'epochz'",
                "[checkpoint, data, name, scheme, seed, student, teacher, teachers]");
        assertFalse(only.contains("required"), only);
        assertFalse(only.contains("did you mean"), "no top-level key is near 'epochz': " + only);
        // nested: 'epochs' is a key of student.train
        String nested = error("name: x\nstudent: {train: {epochz: 2}}\n");
        assertContains(nested, "bad.yaml:2:", "student.train: unknown key 'epochz'", "did you mean 'epochs'?");
        assertFalse(nested.contains("required"), nested);
        assertContains(error(GOOD.replace("temperature: 3", "temprature: 3")), "bad.yaml:17:",
                "student.method: unknown key 'temprature'", "did you mean 'temperature'?");
        assertContains(error(GOOD.replace("lr: 0.001", "lrate: 0.001")), "did you mean 'lr'?");
        assertContains(error(GOOD.replace("batchSize: 64", "batchsize: 64")), "did you mean 'batchSize'?");
        assertContains(error(GOOD.replace("  train:\n    epochs: 2\n    optimizer: {type: sgd, lr: 0.05}",
                "  train:\n    epochs: 2\n    optimizre: {type: sgd, lr: 0.05}")), "bad.yaml:7:",
                "teacher.train: unknown key 'optimizre'", "did you mean 'optimizer'?");
        // inside lists and the polymorphic sections, deep down
        assertContains(error(GOOD + "scheme: {name: staged, stages: [{method: {name: kd}, "
                + "train: {optimizer: {type: sgd, momentun: 0.9}}}]}\n"),
                "scheme.stages[0].train.optimizer: unknown key 'momentun'", "did you mean 'momentum'?");
        assertContains(error(GOOD + "scheme: {name: takd, assistants: [{type: mlp, hiden: [8]}]}\n"),
                "scheme.assistants[0]: unknown key 'hiden'", "did you mean 'hidden'?");
        // an unknown key later in the file still comes before a bad value earlier in it
        assertContains(error(GOOD.replace("lr: 0.05", "lr: -1") + "checkpoint: {everystep: 5}\n"),
                "checkpoint: unknown key 'everystep'", "did you mean 'everySteps'?");
        // nothing near: no suggestion
        assertFalse(error(GOOD.replace("seed: 1", "colour: 1")).contains("did you mean"));
        // and a correct file still loads
        assertEquals(ConfigLoader.parse(GOOD, "a.yaml"), ConfigLoader.parse(GOOD, "b.yaml"));
    }

    @Test
    void unknownIdsSuggestTheNearestRegisteredOne() {
        assertContains(error(GOOD.replace("name: kd", "name: kdd")), "bad.yaml:17:", "student.method: unknown 'kdd'",
                "known: [at, crd, disk, dkd, fitnet, fsp, irg, kd, kd-hint, multi-teacher, none, pkt, reaugkd, rid, rkd, sp, vid]", "did you mean 'kd'?");
        String beforeMissing = error("student:\n  model: {type: mlp}\n  method: {name: fitnte}\n");
        assertContains(beforeMissing, "bad.yaml:3:", "student.method: unknown 'fitnte'", "did you mean 'fitnet'?");
        assertFalse(beforeMissing.contains("required"), beforeMissing);
        assertContains(error(GOOD.replace("type: mlp", "type: MLP")), "student.model: unknown 'MLP'",
                "did you mean 'mlp'?");
        assertContains(error(GOOD.replace("{type: sgd, lr: 0.05}", "{type: sgdd, lr: 0.05}")),
                "teacher.train.optimizer: unknown 'sgdd'", "known: [adam, sgd]", "did you mean 'sgd'?");
        assertContains(error(GOOD + "scheme: {name: bornagain}\n"), "scheme: unknown 'bornagain'",
                "did you mean 'born-again'?");
        assertContains(error(GOOD.replace("type: step", "type: stepp")), "student.train.schedule.type",
                "did you mean 'step'?");
        assertFalse(error(GOOD + "scheme: {name: telepathy}\n").contains("did you mean"));
        assertFalse(error(GOOD.replace("name: kd", "name: xy")).contains("did you mean"),
                "two letters are not 'at' or 'sp'");
    }

    @Test
    void wrongTypesAreNamed() {
        assertContains(error(GOOD.replace("epochs: 2\n    optimizer: {type: sgd", "epochs: two\n    optimizer: {type: sgd")),
                "bad.yaml:6:", "teacher.train.epochs", "expected a whole number", "two");
        assertContains(error(GOOD.replace("batchSize: 64", "batchSize: 6.5")), "student.train.batchSize");
        assertContains(error(GOOD.replace("lr: 0.001", "lr: \"0.001\"")), "student.train.optimizer.lr", "a number");
        assertContains(error(GOOD.replace("hidden: [16]", "hidden: 16")), "student.model.hidden");
    }

    @Test
    void outOfRangeValuesNameTheKeyTheRuleAndTheLine() {
        assertContains(error(GOOD.replace("lr: 0.001", "lr: -1")), "bad.yaml:15:", "student.train.optimizer.lr",
                "must be in (0, 10]", "got -1.0");
        assertContains(error(GOOD.replace("temperature: 3", "temperature: 0")), "bad.yaml:17:",
                "student.method.temperature", "(0, 1000]");
        assertContains(error(GOOD.replace("alpha: 0.8", "alpha: 1.8")), "student.method.alpha", "[0, 1]");
        assertContains(error(GOOD.replace("epochs: 2\n    batchSize", "epochs: 0\n    batchSize")),
                "student.train.epochs", "[1, 10000]");
        assertContains(error(GOOD.replace("hidden: 32", "hidden: 0")), "teacher.model.hidden");
        assertContains(error(GOOD.replace("name: t", "name: 'a b'")), "name");
    }

    @Test
    void unknownRegistryNamesListTheKnownOnes() {
        assertContains(error(GOOD.replace("type: mlp", "type: transformer")), "student.model", "'transformer'",
                "cnn", "mlp", "resnet");
        assertContains(error(GOOD.replace("name: kd", "name: fitnetz")), "student.method", "'fitnetz'", "kd", "none");
        assertContains(error(GOOD.replace("type: step", "type: linear")), "student.train.schedule.type", "'linear'",
                "[constant, cosine, step]");
        assertContains(error(GOOD.replace("{type: mlp, hidden: [16]}", "{hidden: [16]}")), "student.model",
                "missing 'type'");
        assertContains(error(GOOD + "scheme: {name: telepathy}\n"), "scheme", "'telepathy'", "offline");
    }

    @Test
    void schemeDefaultsToOffline() throws Exception {
        assertEquals("offline", ConfigLoader.parse(GOOD, "good.yaml").scheme().name());
        assertEquals("offline", ConfigLoader.parse(GOOD + "scheme: {name: offline}\n", "good.yaml").scheme().name());
    }


    @Test
    void relationMethodsParseByNameWithTheirParameters() throws Exception {
        assertEquals(new org.distill4j.method.SimilarityPreserving("fc", "pool", 1000.0, 0.5),
                method("{name: sp, studentTap: fc, teacherTap: pool, gamma: 1000, ceWeight: 0.5}"));
        assertEquals(new org.distill4j.method.RelationalKd("embedding", "embedding", 25.0, 0.0, 1.0),
                method("{name: rkd, angleWeight: 0}"));
        assertEquals(new org.distill4j.method.ProbabilisticTransfer("fc1", "embedding", 20000.0, 1.0),
                method("{name: pkt, studentTap: fc1, weight: 20000}"));
        assertEquals(new org.distill4j.method.ContrastiveRepresentation("embedding", "pool", 64, 0.1, 0.8, 4096, 0.9,
                1.0), method("{name: crd, teacherTap: pool, embedDim: 64, tau: 0.1, negatives: 4096, momentum: 0.9}"));
        assertEquals(new org.distill4j.method.InstanceRelationGraph(List.of("conv1", "embedding"),
                List.of("stage2", "pool"), "logits", 0.0, 2.0, 1.0, false, 1.0),
                method("{name: irg, studentTaps: [conv1, embedding], teacherTaps: [stage2, pool], vertexWeight: 0, "
                        + "edgeWeight: 2, transformWeight: 1, squared: false}"));
    }

    @Test
    void relationMethodDefaults() throws Exception {
        assertEquals(new org.distill4j.method.SimilarityPreserving("embedding", "embedding", 3000.0, 1.0),
                method("{name: sp}"));
        assertEquals(new org.distill4j.method.RelationalKd("embedding", "embedding", 25.0, 50.0, 1.0),
                method("{name: rkd}"));
        assertEquals(new org.distill4j.method.ProbabilisticTransfer("embedding", "embedding", 30000.0, 1.0),
                method("{name: pkt}"));
        assertEquals(new org.distill4j.method.ContrastiveRepresentation("embedding", "embedding", 128, 0.07, 0.8,
                16384, 0.5, 1.0), method("{name: crd}"));
        assertEquals(new org.distill4j.method.InstanceRelationGraph(List.of("embedding"), List.of("embedding"),
                "logits", 0.1, 5.0, 5.0, true, 1.0), method("{name: irg}"));
        assertEquals(java.util.Set.of("embedding"), method("{name: crd}").loss().teacherTaps());
    }

    @Test
    void relationMethodBadValuesNameTheKey() {
        String line = "bad.yaml:" + (GOOD.lines().toList().indexOf(KD_LINE) + 1) + ":";
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: sp, gamma: -1}")), line, "student.method.gamma",
                ">= 0", "got -1.0");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: rkd, distanceWeight: -25}")),
                "student.method.distanceWeight", ">= 0");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: pkt, weight: -3}")), "student.method.weight");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: crd, tau: 0}")), "student.method.tau",
                "(0, 10]", "got 0.0");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: crd, momentum: 1}")), "student.method.momentum",
                "[0, 1)");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: crd, negatives: 0}")),
                "student.method.negatives");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: crd, embedDim: 1.5}")), "student.method.embedDim",
                "whole number");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: irg, studentTaps: []}")),
                "student.method.studentTaps", "non-empty");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: irg, ceWeight: -1}")), "student.method.ceWeight");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: sp, studentTap: ''}")),
                "student.method.studentTap", "must name a tap");
        assertContains(error(GOOD.replace(KD_LINE, "  method: {name: sp, temperature: 4}")),
                "student.method", "unknown key 'temperature'", "gamma", "studentTap");
    }

    @Test
    void stagedSchemeParsesRoundTripsAndNamesItsMistakes() throws Exception {
        String staged = GOOD + """
                scheme:
                  name: staged
                  stages:
                    - method: {name: kd, temperature: 2}
                      train: {epochs: 1, optimizer: {type: sgd, lr: 0.1}}
                    - method: {name: none}
                """;
        RunConfig c = ConfigLoader.parse(staged, "staged.yaml");
        var s = (org.distill4j.scheme.StagedScheme) c.scheme();
        assertEquals(2, s.stages().size());
        assertEquals(new HintonKd(2.0, null), s.stages().get(0).method());
        assertEquals(1, s.stages().get(0).train().epochs());
        assertEquals(null, s.stages().get(1).train(), "no schedule: the stage uses student.train");
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        assertContains(error(GOOD + "scheme: {name: staged, stages: []}\n"), "scheme", "at least one stage");
        assertContains(error(GOOD + "scheme: {name: staged}\n"), "scheme", "at least one stage");
        assertContains(error(staged.replace("{name: none}", "{name: nonee}")), "scheme.stages", "'nonee'", "kd");
        assertContains(error(staged.replace("- method: {name: none}", "- train: {epochs: 1}")), "method: required");
        assertContains(error(staged.replace("train: {epochs: 1,", "train: {epochs: 0,")), "epochs", "[1, 10000]");
        // the misspelt key is named, not the stages it leaves missing
        assertContains(error(staged.replace("  stages:", "  stagez:")), "scheme: unknown key 'stagez'",
                "[name, stages]", "did you mean 'stages'?");
    }

    @Test
    void takdSchemeParsesRoundTripsAndNamesItsMistakes() throws Exception {
        String takd = GOOD + """
                scheme:
                  name: takd
                  assistants:
                    - {type: cnn, channels: [4], hidden: 16}
                    - {type: mlp, hidden: [24]}
                  method: {name: kd, alpha: 0.5}
                """;
        RunConfig c = ConfigLoader.parse(takd, "takd.yaml");
        var t = (org.distill4j.scheme.TakdScheme) c.scheme();
        assertEquals(List.of(new CnnSpec(List.of(4), 16, null, null), new org.distill4j.model.MlpSpec(List.of(24), null)),
                t.assistants());
        assertEquals(new HintonKd(null, 0.5), t.method());
        assertEquals(true, t.baseline());
        assertEquals(null, t.assistantTrain(), "assistants train with student.train");
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        var none = (org.distill4j.scheme.TakdScheme) ConfigLoader.parse(GOOD + "scheme: {name: takd}\n", "t.yaml").scheme();
        assertEquals(List.of(), none.assistants(), "no assistants: plain KD");
        assertEquals(new HintonKd(null, null), none.method());
        assertContains(error(GOOD + "scheme: {name: takd, method: {name: none}}\n"), "scheme", "uses no teacher");
        assertContains(error(takd.replace("{type: mlp, hidden: [24]}", "{type: mlpp, hidden: [24]}")), "scheme.assistants", "'mlpp'", "cnn");
        assertContains(error(takd.replace("hidden: [24]", "hidden: []")), "scheme.assistants", "hidden");
        assertContains(error("name: x\nstudent:\n  model: {type: mlp}\nscheme: {name: takd}\n"), "teacher: required",
                "takd");
    }

    @Test
    void selfDistillationSchemesParseWithTheirDefaultsAndCheckTheStudent() throws Exception {
        String self = """
                name: s
                student:
                  model: {type: resnet, depth: 8}
                  train: {epochs: 4}
                """;
        RunConfig byot = ConfigLoader.parse(self + "scheme: {name: byot}\n", "b.yaml");
        assertEquals(new org.distill4j.scheme.ByotScheme(0.1, 3.0, 1e-6, List.of(0.5, 0.8, 0.9, 0.95, 0.99)),
                byot.scheme());
        assertEquals(null, byot.teacher(), "self-distillation needs no teacher");
        assertEquals(new org.distill4j.scheme.BornAgainScheme(3, 1.0, 1.0, false),
                ConfigLoader.parse(self + "scheme: {name: born-again}\n", "b.yaml").scheme());
        assertEquals(new org.distill4j.scheme.SnapshotScheme(3, 4.0, 0.5),
                ConfigLoader.parse(self + "scheme: {name: snapshot}\n", "b.yaml").scheme());
        RunConfig sad = ConfigLoader.parse(self + "scheme: {name: sad, taps: [stage2, stage3]}\n", "b.yaml");
        assertEquals(new org.distill4j.scheme.SadScheme(List.of("stage2", "stage3"), 50.0, null), sad.scheme());
        assertEquals(2, ((org.distill4j.scheme.SadScheme) sad.scheme()).warmupFor(4));
        assertEquals(byot, ConfigLoader.parse(ConfigLoader.toYaml(byot), "frozen.yaml"));
        assertEquals(sad, ConfigLoader.parse(ConfigLoader.toYaml(sad), "frozen.yaml"));

        assertContains(error(self.replace("{type: resnet, depth: 8}", "{type: cnn}") + "scheme: {name: byot}\n"),
                "bad.yaml:", "scheme: byot adds an exit after each stage of a resnet", "cnn[32, 64]/128");
        assertContains(error(self + "scheme: {name: snapshot, cycles: 5}\n"), "scheme", "at least one epoch per cycle");
        assertContains(error(self + "scheme: {name: sad, warmupEpochs: 4}\n"), "scheme", "never switches on");
        assertContains(error(self + "scheme: {name: byot, alpha: 2}\n"), "scheme.alpha", "[0, 1]");
        assertContains(error(self + "scheme: {name: born-again, generations: 0}\n"), "scheme.generations");
        assertContains(error(self + "scheme: {name: byot, beta: 2}\n"), "unknown key 'beta'", "lambda");
        assertContains(error(self + "scheme: {name: telepathy}\n"), "byot", "born-again", "snapshot", "sad");
    }

    @Test
    void structuralMistakes() {
        assertContains(error(GOOD + "seed: 2\n"), "seed");
        assertContains(error(GOOD.replace("  train:\n    epochs: 2\n    optimizer: {type: sgd, lr: 0.05}",
                "  load: x.model\n  train:\n    epochs: 2")), "teacher", "exactly one of 'train'");
        assertContains(error("name: x\nstudent:\n  model: {type: mlp}\n"), "teacher: required");
        assertContains(error("name: x\n\tseed: 1\n"), "bad.yaml:2:", "malformed YAML");
        assertContains(error("teacher: [unclosed\n"), "bad.yaml:1:", "teacher");
        assertContains(error("   \n"), "empty");
        assertContains(error("- a\n- b\n"), "bad.yaml");
    }

    /** A few hundred mutated configs: each either parses or gives a one-line ConfigException. */
    @Test
    void fuzzedConfigsNeverEscapeAsOtherExceptions() {
        Random r = new Random(12345);
        String[] tokens = {"-1", "0", "1e9", "abc", "[", "]", "{", "}", ":", "null", "~", "true", "'", "\"", "- x",
            "&a", "*a", "!!int", "\t", "  ", "#", "9999999999999999999999", "NaN", ".inf", "[1, 2]", "{a: 1}"};
        int parsed = 0;
        int rejected = 0;
        for (int i = 0; i < 400; i++) {
            List<String> lines = new ArrayList<>(List.of(GOOD.split("\n")));
            int edits = 1 + r.nextInt(3);
            for (int e = 0; e < edits; e++) {
                int at = r.nextInt(lines.size());
                String line = lines.get(at);
                switch (r.nextInt(6)) {
                    case 0 -> lines.remove(at);
                    case 1 -> lines.add(at, lines.get(r.nextInt(lines.size())));
                    case 2 -> {
                        int c = line.isEmpty() ? 0 : r.nextInt(line.length());
                        lines.set(at, line.substring(0, c) + tokens[r.nextInt(tokens.length)] + line.substring(c));
                    }
                    case 3 -> lines.set(at, line.isEmpty() ? line : line.substring(0, r.nextInt(line.length())));
                    case 4 -> lines.set(at, line.contains(":")
                            ? line.substring(0, line.indexOf(':') + 1) + " " + tokens[r.nextInt(tokens.length)] : line);
                    default -> lines.set(at, " " + line);
                }
                if (lines.isEmpty()) {
                    lines.add("x");
                }
            }
            String yaml = String.join("\n", lines) + "\n";
            try {
                ConfigLoader.parse(yaml, "fuzz.yaml");
                parsed++;
            } catch (ConfigException e) {
                assertFalse(e.getMessage().contains("\n"), "one line for:\n" + yaml + "\n→ " + e.getMessage());
                assertTrue(e.getMessage().startsWith("fuzz.yaml"), e.getMessage());
                rejected++;
            } catch (RuntimeException e) {
                fail("mutation " + i + " escaped as " + e + " for:\n" + yaml);
            }
        }
        assertTrue(rejected > 200, "most mutations are invalid: " + rejected + " rejected, " + parsed + " parsed");
    }

    private static final String KD_LINE = "  method: {name: kd, temperature: 3, alpha: 0.8}";

    /** GOOD with its method line replaced. */
    private static String withMethod(String method) {
        return GOOD.replace(KD_LINE, "  method: " + method);
    }

    private static MethodSpec method(String method) throws ConfigException {
        RunConfig c = ConfigLoader.parse(withMethod(method), "m.yaml");
        // and the YAML frozen into run directories reads back to the same method
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        return c.student().method();
    }

    @Test
    void featureAndDecoupledMethodsParseByNameWithTheirParameters() throws Exception {
        assertEquals(new Dkd(2.0, 6.0, 3.0, 5, 0.5),
                method("{name: dkd, alpha: 2, beta: 6, temperature: 3, warmup: 5, ceWeight: 0.5}"));
        assertEquals(new Dkd(1.0, 8.0, 4.0, 20, 1.0), method("{name: dkd}"));
        assertEquals(new FitNet("conv2", "conv1", 3, 50.0, 0.0),
                method("{name: fitnet, studentTap: conv2, teacherTap: conv1, kernel: 3, beta: 50, ceWeight: 0}"));
        assertEquals(new FitNet("embedding", "embedding", 1, 100.0, 1.0), method("{name: fitnet}"));
        assertEquals(new AttentionTransfer(List.of("conv1", "conv2"), List.of("stage2", "stage3"), false, 500.0, 1.0),
                method("{name: at, studentTaps: [conv1, conv2], teacherTaps: [stage2, stage3], pool: false, beta: 500}"));
        AttentionTransfer at = (AttentionTransfer) method("{name: at}");
        assertEquals(new AttentionTransfer(null, null, true, 1000.0, 1.0), at);
        assertEquals(new Fsp(List.of("conv1", "conv2"), List.of("conv1", "conv2"), false, 0.5, 0.0), method(
                "{name: fsp, studentTaps: [conv1, conv2], teacherTaps: [conv1, conv2], pool: false, beta: 0.5, ceWeight: 0}"));
        assertEquals(new Fsp(null, null, true, 1.0, 1.0), method("{name: fsp}"));
        assertEquals(new Vid("conv2", "stage3", 32, 1.5, 0.001, 10.0, 1.0), method(
                "{name: vid, studentTap: conv2, teacherTap: stage3, hidden: 32, initSigma: 1.5, eps: 0.001, beta: 10}"));
        assertEquals(new Vid("embedding", "embedding", null, Math.sqrt(5), 1e-5, 100.0, 1.0), method("{name: vid}"));
        assertEquals(org.distill4j.loss.feature.VidLoss.Variance.STD,
                ((Vid) method("{name: vid, variance: std}")).variance());
        assertEquals(org.distill4j.loss.feature.VidLoss.Variance.VAR, ((Vid) method("{name: vid}")).variance());
        assertEquals("vid", method("{name: vid}").name());
    }

    @Test
    void badFeatureMethodValuesNameTheKey() {
        assertContains(error(withMethod("{name: fitnet, beta: -1}")), "bad.yaml:17:",
                "student.method.beta", "[0, 1e9]", "got -1.0");
        assertContains(error(withMethod("{name: dkd, beta: -8}")), "student.method.beta", "got -8.0");
        assertContains(error(withMethod("{name: dkd, warmup: -1}")), "student.method.warmup", "[0, 10000]");
        assertContains(error(withMethod("{name: dkd, temperature: 0}")), "student.method.temperature");
        assertContains(error(withMethod("{name: fitnet, kernel: 2}")), "student.method.kernel", "1 or 3");
        assertContains(error(withMethod("{name: fitnet, studentTap: ' '}")), "student.method.studentTap");
        assertContains(error(withMethod("{name: at, studentTaps: [conv1]}")), "student.method.teacherTaps",
                "together");
        assertContains(error(withMethod("{name: at, studentTaps: [a, b], teacherTaps: [x]}")),
                "student.method.teacherTaps", "one to one");
        assertContains(error(withMethod("{name: at, pool: 'yes'}")), "student.method.pool", "true or false");
        assertContains(error(withMethod("{name: fsp, studentTaps: [a], teacherTaps: [x]}")),
                "student.method.studentTaps", "at least 2");
        assertContains(error(withMethod("{name: vid, eps: 0}")), "student.method.eps", "(0, 0.1]");
        assertContains(error(withMethod("{name: vid, hidden: 0}")), "student.method.hidden");
        assertContains(error(withMethod("{name: vid, initSigma: -1}")), "student.method.initSigma");
        assertContains(error(withMethod("{name: fitnet, betta: 1}")), "student.method", "unknown key 'betta'",
                "beta", "ceWeight", "kernel", "studentTap", "teacherTap");
        assertContains(error(withMethod("{name: fitnets}")), "'fitnets'", "at", "dkd", "fitnet", "fsp", "vid");
    }

    static final String TEACHERS = """
            name: t
            teachers:
              - model: {type: cnn, channels: [8], hidden: 16}
                train: {epochs: 1}
              - model: {type: mlp, hidden: [32]}
                load: runs/x/teacher.model
            student:
              model: {type: mlp, hidden: [16]}
              method: {name: multi-teacher, weighting: fixed, weights: [2, 1]}
            """;

    @Test
    void multiTeacherConfigsParseRoundTripAndNameTheirMistakes() throws Exception {
        RunConfig c = ConfigLoader.parse(TEACHERS, "mt.yaml");
        assertEquals(List.of("teacher1", "teacher2"), List.copyOf(c.teacherSpecs().keySet()));
        assertEquals("runs/x/teacher.model", c.teachers().get(1).load());
        var mt = (org.distill4j.method.MultiTeacher) c.student().method();
        assertEquals(List.of(2.0, 1.0), mt.weights());
        assertEquals(org.distill4j.loss.response.MultiTeacherLoss.Average.PROBABILITIES, mt.average());
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        assertFalse(ConfigLoader.toYaml(ConfigLoader.parse(GOOD, "good.yaml")).contains("teachers"),
                "a one-teacher config serialises (and digests) as before");
        var hint = (org.distill4j.method.MultiTeacher) ConfigLoader.parse(TEACHERS.replace("weighting: fixed, weights: [2, 1]",
                "average: logits, weighting: confidence, tau: 0.5, hint: {teacherTaps: [conv1, fc1], kernel: 3}"),
                "h.yaml").student().method();
        assertEquals(List.of("conv1", "fc1"), hint.hint().teacherTaps());
        assertEquals(100.0, hint.hint().beta());

        assertContains(error(TEACHERS.replace("name: t\n", "name: t\nteacher: {model: {type: mlp}, train: {epochs: 1}}\n")),
                "teachers: give either 'teacher' (one) or 'teachers' (a list), not both");
        assertContains(error(TEACHERS.replace("weights: [2, 1]", "weights: [2, 1, 1]")), "bad.yaml:2:",
                "teachers: 2 teachers but student.method.weights has 3");
        assertContains(error(TEACHERS.replace("{name: multi-teacher, weighting: fixed, weights: [2, 1]}", "{name: kd}")),
                "teachers: method 'kd' learns from one teacher", "multi-teacher");
        assertContains(error(TEACHERS + "scheme: {name: takd}\n"), "teachers: scheme 'takd' takes one teacher");
        assertContains(error(TEACHERS.replace("weighting: fixed", "weighting: confidense")), "student.method.weighting",
                "'confidense' is not allowed", "did you mean 'confidence'?");
        assertContains(error(TEACHERS.replace("weighting: fixed, weights: [2, 1]", "weighting: confidence, tau: -1")),
                "bad.yaml:9:", "student.method.tau", "(0, 1e6]");
        assertContains(error(TEACHERS.replace("weights: [2, 1]", "weights: [2, 0]")), "student.method.weights",
                "> 0");
        assertContains(error(TEACHERS.replace("weighting: fixed, weights: [2, 1]", "weights: [2, 1]")),
                "student.method.weights", "only used with weighting: fixed");
        assertContains(error(TEACHERS.replace("weighting: fixed, weights: [2, 1]", "hint: {beta: -1}")),
                "student.method.hint.beta");
        assertContains(error(TEACHERS.replace("weighting: fixed, weights: [2, 1]", "hint: {betta: 1}")),
                "student.method.hint", "unknown key 'betta'", "did you mean 'beta'?");
        assertContains(error("name: t\nteachers: []\nstudent: {model: {type: mlp}}\n"), "teachers: the list is empty");
        assertContains(error(TEACHERS.replace("    load: runs/x/teacher.model\n", "")), "teachers[1]",
                "exactly one of 'train'");
    }

    @Test
    void quantizedSchemeParsesRoundTripsAndNamesItsMistakes() throws Exception {
        String q = GOOD + "scheme: {name: quantized, bits: [8, 4, 2], rounding: nearest, scope: all}\n";
        RunConfig c = ConfigLoader.parse(q, "q.yaml");
        var s = (org.distill4j.scheme.QuantizedScheme) c.scheme();
        assertEquals(List.of(8, 4, 2), s.bits());
        assertEquals(256, s.bucket());
        assertEquals(org.distill4j.model.Quantization.Rounding.NEAREST, s.rounding());
        assertEquals(org.distill4j.model.Quantization.Scope.ALL, s.scope());
        assertEquals(new HintonKd(2.0, 0.7), s.method(), "the paper's 0.3·CE + 0.7·T²·KL at T = 2");
        assertEquals(c, ConfigLoader.parse(ConfigLoader.toYaml(c), "frozen.yaml"));
        var defaults = (org.distill4j.scheme.QuantizedScheme) ConfigLoader.parse(GOOD + "scheme: {name: quantized}\n",
                "d.yaml").scheme();
        assertEquals(List.of(8, 4, 2), defaults.bits());
        assertEquals(org.distill4j.model.Quantization.Rounding.STOCHASTIC, defaults.rounding());
        assertContains(error(GOOD + "scheme: {name: quantized, bits: [9]}\n"), "scheme.bits", "[1, 8]", "got [9]");
        assertContains(error(GOOD + "scheme: {name: quantized, bits: [4, 4]}\n"), "scheme.bits", "repeats");
        assertContains(error(GOOD + "scheme: {name: quantized, bucket: 0}\n"), "scheme.bucket", "got 0");
        assertContains(error(GOOD + "scheme: {name: quantized, rounding: round}\n"), "scheme.rounding",
                "[nearest, stochastic]");
        assertContains(error(GOOD + "scheme: {name: quantized, scope: biases}\n"), "scheme.scope", "[all, weights]");
        assertContains(error(GOOD + "scheme: {name: quantized, method: {name: none}}\n"), "scheme.method",
                "uses the teacher");
        assertContains(error(GOOD + "scheme: {name: quantised}\n"), "'quantised'", "did you mean 'quantized'?");
    }

    @Test
    void cliExitsWithCode2AndOneLineBeforeAnyTraining(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, GOOD.replace("lr: 0.001", "lr: -1"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out), new PrintStream(err, true, StandardCharsets.UTF_8), "train", "-c",
                bad.toString(), "--runs", dir.resolve("runs").toString());
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        assertEquals(1, text.lines().count(), text);
        assertContains(text, "config error: " + bad + ":15:", "student.train.optimizer.lr");
        assertFalse(Files.exists(dir.resolve("runs")), "nothing is created for an invalid config");
        assertEquals(2, Main.run(new PrintStream(out), new PrintStream(err), "train", "-c", dir.resolve("none.yaml").toString()));
    }
}

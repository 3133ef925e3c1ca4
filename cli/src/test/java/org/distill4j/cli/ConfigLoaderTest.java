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
import org.distill4j.config.RunConfig;
import org.distill4j.method.HintonKd;
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
        assertEquals(6000, QuickstartCommand.config(true).data().trainLimit());
    }

    @Test
    void unknownKeyNamesItThePositionAndTheAllowedKeys() {
        assertContains(error(GOOD.replace("seed: 1", "sead: 1")), "bad.yaml:2:", "(top level): unknown key 'sead'",
                "[checkpoint, data, name, scheme, seed, student, teacher]");
        assertContains(error(GOOD.replace("lr: 0.001", "lrate: 0.001")), "bad.yaml:15:",
                "student.train.optimizer", "unknown key 'lrate'", "beta1", "lr");
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

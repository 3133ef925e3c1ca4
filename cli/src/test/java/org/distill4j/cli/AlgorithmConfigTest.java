package org.distill4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.config.RunConfig;
import org.distill4j.loss.adversarial.GanLoss;
import org.distill4j.loss.datafree.BeliefMatching;
import org.distill4j.scheme.AdversarialScheme;
import org.distill4j.scheme.AfdScheme;
import org.distill4j.scheme.DaflScheme;
import org.distill4j.scheme.DeepInversionScheme;
import org.distill4j.scheme.ZsktScheme;
import org.junit.jupiter.api.Test;

/** The adversarial and data-free schemes from YAML: defaults, the bench configs, bad values named by key. */
class AlgorithmConfigTest {
    static final String TEACHER = """
            name: t
            teacher:
              model: {type: cnn, channels: [8, 16], hidden: 32}
              train: {epochs: 1}
            student:
              model: {type: cnn, channels: [4], hidden: 16}
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
    void eachSchemeIsChosenByNameWithThePapersDefaults() throws Exception {
        DaflScheme dafl = (DaflScheme) ConfigLoader.parse(TEACHER + "scheme: {name: dafl}\n", "a.yaml").scheme();
        assertEquals(List.of(1.0, 0.1, 5.0), List.of(dafl.oneHot(), dafl.activation(), dafl.entropy()));
        assertEquals(DaflScheme.Log.LOG10, dafl.entropyLog());
        assertEquals(100, dafl.generator().z());
        assertEquals(true, dafl.generator().tanh());
        assertEquals(0.2, dafl.generator().optimizer().lr());
        ZsktScheme zskt = (ZsktScheme) ConfigLoader.parse(TEACHER + "scheme: {name: zskt, generator: {z: 32}}\n",
                "b.yaml").scheme();
        assertEquals(List.of(1, 10), List.of(zskt.generatorSteps(), zskt.studentSteps()));
        assertEquals(250.0, zskt.attention());
        assertEquals(BeliefMatching.Reduction.ELEMENTWISE, zskt.reduction());
        assertEquals(32, zskt.generator().z(), "a key given keeps its value");
        assertEquals(List.of(128, 64), zskt.generator().channels(), "the others take the paper's");
        assertEquals(5.0, zskt.generator().clipGradNorm());
        DeepInversionScheme di = (DeepInversionScheme) ConfigLoader.parse(TEACHER + "scheme: {name: deep-inversion}\n",
                "c.yaml").scheme();
        assertEquals(List.of(256, 2000), List.of(di.batchSize(), di.iterations()));
        assertEquals(List.of(0.05, 10.0, 2.5e-5, 0.0), List.of(di.lr(), di.feature(), di.tv(), di.l2()));
        assertEquals(DeepInversionScheme.Targets.BALANCED, di.targets());
        AdversarialScheme adv = (AdversarialScheme) ConfigLoader.parse(TEACHER + "scheme: {name: adversarial}\n",
                "d.yaml").scheme();
        assertEquals("logits", adv.on());
        assertEquals(GanLoss.Form.NON_SATURATING, adv.form());
        assertEquals(List.of(64), adv.discriminator().hidden());
        RunConfig afd = ConfigLoader.parse("""
                student: {train: {epochs: 1}}
                scheme: {name: afd, peers: [{type: cnn, channels: [8]}, {type: mlp, hidden: [16]}]}
                """, "e.yaml");
        assertEquals(null, afd.teacher(), "afd needs no teacher");
        assertEquals(3.0, ((AfdScheme) afd.scheme()).temperature());
        assertEquals(org.distill4j.scheme.DiscriminatorSpec.Score.LINEAR, ((AfdScheme) afd.scheme()).discriminator()
                .score());
        assertEquals(true, ((AfdScheme) afd.scheme()).discriminator().normalize());
        RunConfig raw = ConfigLoader.parse("""
                student: {train: {epochs: 1}}
                scheme: {name: afd, discriminator: {score: sigmoid, normalize: false},
                         peers: [{type: cnn, channels: [8]}, {type: mlp, hidden: [16]}]}
                """, "f.yaml");
        assertEquals(org.distill4j.scheme.DiscriminatorSpec.Score.SIGMOID, ((AfdScheme) raw.scheme()).discriminator()
                .score());
        assertEquals(false, ((AfdScheme) raw.scheme()).discriminator().normalize());
    }

    @Test
    void theBenchConfigsParseAndEveryAlgorithmStandsBesideItsFairBaselines() throws Exception {
        RunBench.Spec spec = ConfigLoader.load(Path.of("../bench/algorithms-adversarial-datafree.yaml"),
                RunBench.Spec.class);
        assertEquals(5, spec.runs().size());
        for (RunBench.Spec.Run run : spec.runs()) {
            RunConfig c = ConfigLoader.load(Path.of("..").resolve(run.config()));
            assertEquals(run.name(), c.scheme().name());
        }
        // the same student with plain KD on the real data and from scratch; the data-free ones also the teacher
        Map<String, List<String>> fair = Map.of("adversarial", List.of("student-kd", "student-none"),
                "zskt", List.of("student-kd", "student-none", "teacher"),
                "dafl", List.of("student-kd", "student-none", "teacher"),
                "deep-inversion", List.of("student-kd", "student-none", "teacher"),
                "afd", List.of("peer1-alone", "peer2-alone", "peer2-mutual"));
        fair.forEach((run, baselines) -> {
            Set<String> shown = spec.rows().stream().filter(r -> r.run().equals(run))
                    .map(RunBench.Spec.Row::baseline).collect(Collectors.toSet());
            assertTrue(shown.containsAll(baselines), run + ": rows against " + shown + ", expected " + baselines);
        });
        // a baseline read from another run is that run's own, trained for the same student on the same data
        for (RunBench.Spec.Row r : spec.rows()) {
            if (!r.baselineFrom().equals(r.run())) {
                RunConfig mine = config(spec, r.run());
                RunConfig theirs = config(spec, r.baselineFrom());
                assertTrue(theirs.student().baseline(), r.label());
                assertEquals(mine.student().model(), theirs.student().model(), r.label());
                assertEquals(mine.data(), theirs.data(), r.label());
                assertEquals(mine.student().method(), theirs.student().method(), r.label());
            }
        }
        // the adversarial and afd rows again, after the discriminator fix: the same runs and prepare step
        RunBench.Spec again = ConfigLoader.load(Path.of("../bench/algorithms-afd-adversarial.yaml"), RunBench.Spec.class);
        assertEquals(List.of("adversarial", "afd"), again.runs().stream().map(RunBench.Spec.Run::name).toList());
        for (RunBench.Spec.Run run : again.runs()) {
            assertTrue(spec.runs().contains(run), run.name());
        }
        assertEquals(spec.prepare(), again.prepare());
        // the runs with a teacher share the prepared one (the DiSK bench's, trained on all 54,000 images)
        assertEquals(List.of("runs/bench-algorithms/disk-teacher.model"),
                spec.prepare().stream().map(RunBench.Spec.Prepare::file).toList());
        for (String run : List.of("adversarial", "zskt", "dafl", "deep-inversion")) {
            assertEquals("runs/bench-algorithms/disk-teacher.model",
                    ConfigLoader.load(Path.of("../bench/algorithms/" + run + ".yaml")).teacher().load(), run);
        }
    }

    private static RunConfig config(RunBench.Spec spec, String run) {
        String file = spec.runs().stream().filter(x -> x.name().equals(run)).findFirst().orElseThrow().config();
        try {
            return ConfigLoader.load(Path.of("..").resolve(file));
        } catch (Exception e) {
            throw new AssertionError(file, e);
        }
    }

    @Test
    void theSchemesThatBackpropagateThroughTheTeacherRefuseAnImportedOne() throws Exception {
        String imported = TEACHER.replace("""
                  model: {type: cnn, channels: [8, 16], hidden: 32}
                  train: {epochs: 1}
                """, "  import: teacher.onnx\n");
        assertTrue(imported.contains("import: teacher.onnx"), imported);
        for (String scheme : List.of("zskt", "dafl", "deep-inversion")) {
            assertContains(error(imported + "scheme: {name: " + scheme + "}\n"), "teacher.import",
                    "scheme '" + scheme + "'", "Give a zoo teacher");
        }
        assertContains(error(imported + "scheme: {name: deep-inversion}\n"), "batch-norm running statistics");
        // the adversarial scheme only reads the teacher's outputs: an imported one serves
        RunConfig adv = ConfigLoader.parse(imported + "scheme: {name: adversarial}\n", "adv.yaml");
        assertEquals("teacher.onnx", adv.teacher().imported());
    }

    @Test
    void badValuesAreRejectedNamingTheKey() {
        assertContains(error(TEACHER + "scheme: {name: dafl, entropy: -5}\n"), "scheme",
                "entropy: must be a finite number ≥ 0 (got -5.0)");
        assertContains(error(TEACHER + "scheme: {name: dafl, entropyLog: log2}\n"), "scheme.entropyLog", "log2",
                "log10", "ln");
        assertContains(error(TEACHER + "scheme: {name: dafl, temperature: 0}\n"), "temperature: must be in (0, 1000]");
        assertContains(error(TEACHER + "scheme: {name: zskt, studentSteps: 0}\n"), "studentSteps: must be in [1, 100]");
        assertContains(error(TEACHER + "scheme: {name: zskt, generator: {channels: [8]}}\n"), "scheme.generator",
                "channels: two widths");
        assertContains(error(TEACHER + "scheme: {name: zskt, generator: {z: 0}}\n"), "z: must be in [1, 4096] (got 0)");
        assertContains(error(TEACHER + "scheme: {name: zskt, generator: {zdim: 8}}\n"), "scheme.generator",
                "unknown key 'zdim'");
        assertContains(error(TEACHER + "scheme: {name: zskt, reduction: sum}\n"), "scheme.reduction", "batchmean");
        assertContains(error(TEACHER + "scheme: {name: deep-inversion, batchSize: 1}\n"),
                "batchSize: must be in [2, 65536]");
        assertContains(error(TEACHER + "scheme: {name: deep-inversion, tv: -1}\n"), "tv: must be a finite number ≥ 0");
        assertContains(error(TEACHER + "scheme: {name: deep-inversion, targets: some}\n"), "scheme.targets",
                "balanced", "random");
        assertContains(error(TEACHER + "scheme: {name: adversarial, discriminator: {steps: 0}}\n"),
                "scheme.discriminator", "steps: must be in [1, 100] (got 0)");
        assertContains(error(TEACHER + "scheme: {name: adversarial, discriminator: {score: sigmoid}}\n"),
                "discriminator.score: adversarial takes only linear");
        assertContains(error("student: {train: {epochs: 1}}\nscheme: {name: afd, discriminator: {score: tanh}}\n"),
                "scheme.discriminator.score", "sigmoid", "linear");
        assertContains(error(TEACHER + "scheme: {name: adversarial, form: saturating}\n"), "scheme.form",
                "non-saturating", "minimax");
        assertContains(error(TEACHER + "scheme: {name: adversarial, weight: -1}\n"), "weight: must be a finite number ≥ 0");
        assertContains(error("student: {train: {epochs: 1}}\nscheme: {name: afd, peers: [{type: mlp}, {type: mlp}, "
                + "{type: mlp}]}\n"), "peers: afd trains two networks (got 3");
        assertContains(error(TEACHER + "scheme: {name: afd, peers: [{type: mlp}, {type: mlp}]}\n"),
                "'model' and scheme 'afd' peers are both given");
    }

    @Test
    void deepInversionNeedsATeacherWithBatchNorm() {
        String noBatchNorm = TEACHER.replace("{type: cnn, channels: [8, 16], hidden: 32}",
                "{type: cnn, channels: [8, 16], hidden: 32, batchNorm: false}");
        assertContains(error(noBatchNorm + "scheme: {name: deep-inversion}\n"), "teacher.model",
                "scheme 'deep-inversion' matches the teacher's batch-norm statistics", "has no batch norm");
        assertContains(error(TEACHER.replace("{type: cnn, channels: [8, 16], hidden: 32}", "{type: mlp}")
                + "scheme: {name: deep-inversion}\n"), "teacher.model", "mlp[256] has no batch norm");
    }
}

package org.distill4j.scheme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.distill4j.data.Augmentation;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.data.NoiseSource;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.LiveTeacher;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.adversarial.GanLoss;
import org.distill4j.loss.adversarial.LeastSquaresGan;
import org.distill4j.loss.datafree.BeliefMatching;
import org.distill4j.loss.datafree.DaflLoss;
import org.distill4j.loss.datafree.DeepInversionLoss;
import org.distill4j.loss.feature.AttentionLoss;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;
import org.distill4j.train.Feed;
import org.distill4j.train.Loop;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One step of each adversarial and data-free scheme's phase, run by the one loop, against the
 * same step computed independently: twins of every learning participant (same initial weights),
 * each update written out here from the losses' public functions — in the scheme's order, with
 * its signs, its detached inputs and its codes — and applied as a plain SGD (or, for
 * DeepInversion, a first Adam) step. Every parameter of every participant must end where the
 * independent computation puts it: who moves, in which order, on what, ascending or descending.
 */
class AlgorithmStepsTest {
    static final double LR = 0.1;
    static final long[] SAMPLE = {1, 4, 4};
    static final ModelSpec TEACHER = new CnnSpec(List.of(2), 3, true, null);
    static final ModelSpec STUDENT = new CnnSpec(List.of(2), 3, false, null);

    NDManager m;
    Dataset data;
    Network teacher;

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
        java.util.Random r = new java.util.Random(5);
        float[] x = new float[4 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        data = Dataset.of("tiny", x, new int[] {0, 1, 0, 1}, SAMPLE, 2);
        Seeds.apply(1);
        teacher = Network.create(TEACHER, SAMPLE, 2, m);
        teacher.freeze();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    static TrainSpec sgd() {
        return new TrainSpec(1, 4, new OptimizerSpec.Sgd(LR, 0.0, 0.0),
                new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null));
    }

    Network net(ModelSpec spec, long seed) {
        Seeds.apply(seed);
        return Network.create(spec, SAMPLE, 2, m);
    }

    Adapters block(String name, ai.djl.nn.Block block, Shape input, long seed) {
        Seeds.apply(seed);
        Adapters a = new Adapters(m);
        a.block(name, block, input);
        return a;
    }

    /** Plain SGD on {@code moving}: descend on loss (sign 1) or ascend (−1); every gradient cleared first. */
    static void step(double sign, List<Parameter> moving, List<Parameter> all, Supplier<NDArray> loss) {
        for (Parameter p : all) {
            if (p.requiresGradient()) {
                JniUtils.zeroGrad((PtNDArray) p.getArray());
            }
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(Scalars.mul(loss.get(), sign));
        }
        for (Parameter p : moving) {
            NDArray w = p.getArray();
            try (NDArray g = w.getGradient(); NDArray next = w.sub(Scalars.mul(g, LR))) {
                Network.assign(w, next);
            }
        }
    }

    static List<Parameter> all(Object... participants) {
        List<Parameter> out = new ArrayList<>();
        for (Object o : participants) {
            out.addAll(o instanceof Network n ? n.trainableParameters() : ((Adapters) o).trainableParameters());
        }
        return out;
    }

    static void assertSameParameters(List<Parameter> loop, List<Parameter> twin, String who) {
        assertEquals(twin.size(), loop.size(), who);
        for (int i = 0; i < loop.size(); i++) {
            float[] a = loop.get(i).getArray().toFloatArray();
            float[] b = twin.get(i).getArray().toFloatArray();
            for (int j = 0; j < a.length; j++) {
                assertEquals(b[j], a[j], 1e-6, who + " parameter " + loop.get(i).getName() + "[" + j + "]");
            }
        }
    }

    static void assertMoved(List<Parameter> after, float[][] before, String who) {
        boolean moved = false;
        for (int i = 0; i < after.size(); i++) {
            moved |= !java.util.Arrays.equals(before[i], after.get(i).getArray().toFloatArray());
        }
        assertEquals(true, moved, who + " moved");
    }

    static float[][] snapshot(List<Parameter> ps) {
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < ps.size(); i++) {
            out[i] = ps.get(i).getArray().toFloatArray();
        }
        return out;
    }

    /** The batch of the tiny set in its own order (every loss is a mean: the feed's order does not matter). */
    Batch batch() {
        return new BatchLoader(data, 4, false, 0, false).load(m, new int[] {0, 1, 2, 3});
    }

    NDArray codes(NoiseSource source) {
        return source.load(m, source.plan(0)[0], Augmentation.NONE, 0).input(NoiseSource.NOISE);
    }

    @Test
    void adversarialDiscriminatorAscendsThenTheStudentFoolsItWithKd() throws Exception {
        DiscriminatorSpec spec = new DiscriminatorSpec(List.of(3), new OptimizerSpec.Sgd(LR, 0.0, 0.0), null, 0.0, 1);
        AdversarialScheme scheme = new AdversarialScheme(null, 0.5, null, spec);
        DistillationLoss kd = new HintonKd(2.0, 0.5).objective();
        Network s = net(STUDENT, 2);
        Network sTwin = net(STUDENT, 2);
        Adapters d = block("discriminator", spec.or(DiscriminatorSpec.defaults(DiscriminatorSpec.Score.LINEAR, false)).build(), new Shape(2, 2), 3);
        Adapters dTwin = block("discriminator", spec.or(DiscriminatorSpec.defaults(DiscriminatorSpec.Score.LINEAR, false)).build(), new Shape(2, 2), 3);
        Feed feed = Feed.shuffled(AdversarialScheme.STUDENT, data, 4, 1, Augmentation.NONE, 1, "", false);
        try (Adapters extras = new Adapters(m)) {
            Phase phase = scheme.phase(s, extras, d, kd, new LiveTeacher(teacher), feed, sgd(), null);
            new Loop(m, List.of()).run(phase);
        }
        Batch b = batch();
        Outputs t = teacher.forward(b.input(), false);
        // 1. D ascends on V = mean log σ(D(t)) + mean log(1 − σ(D(s))), the student's logits detached
        step(-1, dTwin.trainableParameters(), all(sTwin, dTwin), () -> GanLoss.value(
                dTwin.forward("discriminator", t.logits()),
                dTwin.forward("discriminator", sTwin.forward(b.input(), true).logits().stopGradient())));
        // 2. the student descends on 0.5·CE + 0.5·4·KL + 0.5·(−mean log σ(D'(s)))
        step(1, sTwin.trainableParameters(), all(sTwin, dTwin), () -> {
            Outputs out = sTwin.forward(b.input(), true);
            NDArray fool = GanLoss.fool(dTwin.forward("discriminator", out.logits()), GanLoss.Form.NON_SATURATING);
            return kd.compute(out, new Knowledge(t), b).total().add(Scalars.mul(fool, 0.5));
        });
        assertSameParameters(d.trainableParameters(), dTwin.trainableParameters(), "discriminator");
        assertSameParameters(s.trainableParameters(), sTwin.trainableParameters(), "student");
    }

    @Test
    void zsktGeneratorAscendsOnKlThenTheStudentTakesItsStepsOnTheSameImages() throws Exception {
        GeneratorSpec g = new GeneratorSpec(3, List.of(2, 2), null, new OptimizerSpec.Sgd(LR, 0.0, 0.0), null, 0.0);
        ZsktScheme scheme = new ZsktScheme(g, 1, 2, 2.0, 10.0, null, 1);
        Network s = net(STUDENT, 2);
        Network sTwin = net(STUDENT, 2);
        Adapters gen = block("generator", scheme.generator().build(SAMPLE), new Shape(4, 3), 4);
        Adapters genTwin = block("generator", scheme.generator().build(SAMPLE), new Shape(4, 3), 4);
        NoiseSource source = new NoiseSource(new long[] {3}, 4, 1, 9);
        try (ZsktScheme.StepCache cache = new ZsktScheme.StepCache(m)) {
            Phase phase = scheme.phase(s, gen, teacher, sgd(), Feed.generated("codes", source, 1), cache);
            new Loop(m, List.of(cache)).run(phase);
        }
        NDArray z = codes(source);
        AttentionLoss at = new AttentionLoss(null, null, true, 2 * 10.0);
        try (Adapters none = new Adapters(m)) {
            at.bind(new Binding(sTwin.tapShapes("student"), teacher.tapShapes("teacher"), 0, 0, none));
        }
        float[][] before = snapshot(genTwin.trainableParameters());
        // 1. G ascends on D = KL(T(G(z)) ‖ S(G(z))) per element, through the teacher and the student
        step(-1, genTwin.trainableParameters(), all(sTwin, genTwin), () -> {
            NDArray x = genTwin.forward("generator", z);
            return BeliefMatching.divergence(teacher.forward(x, false).logits(), sTwin.forward(x, true).logits(), 2.0,
                    BeliefMatching.Reduction.ELEMENTWISE);
        });
        assertMoved(genTwin.trainableParameters(), before, "the twin generator");
        // 2. the student twice on the images of the updated G: D + β·Σ mean((Q_s − Q_t)²)
        NDArray x = genTwin.forward("generator", z).stopGradient();
        Outputs t = teacher.forward(x, false);
        for (int k = 0; k < 2; k++) {
            step(1, sTwin.trainableParameters(), all(sTwin, genTwin), () -> {
                Outputs out = sTwin.forward(x, true);
                return BeliefMatching.divergence(t.logits(), out.logits(), 2.0, BeliefMatching.Reduction.ELEMENTWISE)
                        .add(at.compute(out, new Knowledge(t), null).total());
            });
        }
        assertSameParameters(gen.trainableParameters(), genTwin.trainableParameters(), "generator");
        assertSameParameters(s.trainableParameters(), sTwin.trainableParameters(), "student");
    }

    @Test
    void daflStudentAndGeneratorEachTakeAStepOnTheSameGenerator() throws Exception {
        GeneratorSpec g = new GeneratorSpec(3, List.of(2, 2), null, new OptimizerSpec.Sgd(LR, 0.0, 0.0), null, null);
        DaflScheme scheme = new DaflScheme(g, null, null, null, null, "conv1", 2.0, 1);
        Network s = net(STUDENT, 2);
        Network sTwin = net(STUDENT, 2);
        Adapters gen = block("generator", scheme.generator().build(SAMPLE), new Shape(4, 3), 4);
        Adapters genTwin = block("generator", scheme.generator().build(SAMPLE), new Shape(4, 3), 4);
        NoiseSource source = new NoiseSource(new long[] {3}, 4, 1, 9);
        new Loop(m, List.of()).run(scheme.phase(s, gen, teacher, sgd(), Feed.generated("codes", source, 1)));
        NDArray z = codes(source);
        // 1. the student: 4·KL(T(x) ‖ S(x)) at τ = 2, x = G(z) detached
        step(1, sTwin.trainableParameters(), all(sTwin, genTwin), () -> {
            NDArray x = genTwin.forward("generator", z).stopGradient();
            return Scalars.mul(KdLoss.klDivergence(teacher.forward(x, false).logits(),
                    sTwin.forward(x, true).logits(), 2.0), 4);
        });
        // 2. the generator (not yet moved): L_oh + 0.1·L_a + 5·L_ie of the teacher on G(z), L_a on conv1
        step(1, genTwin.trainableParameters(), all(sTwin, genTwin), () -> {
            Outputs out = teacher.forward(genTwin.forward("generator", z), false);
            return new DaflLoss(1, 0.1, 5, 10).compute(out.logits(), out.get("conv1")).total();
        });
        assertSameParameters(gen.trainableParameters(), genTwin.trainableParameters(), "generator");
        assertSameParameters(s.trainableParameters(), sTwin.trainableParameters(), "student");
    }

    /**
     * The default discriminator ({@code score} and {@code normalize} absent: the raw score of the
     * standardised map), the sigmoid-scored one on the standardised map, and the raw one of before
     * ({@code score: linear}, {@code normalize: false}).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"default", "sigmoid", "raw"})
    void afdDiscriminatorsThenEachNetworkOnItsPeerAndItsDiscriminator(String form) throws Exception {
        ModelSpec large = new CnnSpec(List.of(3), 3, false, null);
        DiscriminatorSpec spec = new DiscriminatorSpec(List.of(2), new OptimizerSpec.Sgd(LR, 0.0, 0.0), null, 0.0, 1,
                form.equals("sigmoid") ? DiscriminatorSpec.Score.SIGMOID : form.equals("raw")
                        ? DiscriminatorSpec.Score.LINEAR : null, form.equals("raw") ? false : null);
        AfdScheme scheme = new AfdScheme(List.of(large, STUDENT), null, 0.5, 2.0, 0.7, spec, null);
        assertEquals(form.equals("sigmoid") ? DiscriminatorSpec.Score.SIGMOID : DiscriminatorSpec.Score.LINEAR,
                scheme.discriminator().score());
        assertEquals(!form.equals("raw"), scheme.discriminator().normalize());
        DiscriminatorSpec.Score score = scheme.discriminator().score();
        // conv1 is (3, 2, 2) and (2, 2, 2): transfer layers to the smaller size, 8
        AfdScheme.Taps taps = new AfdScheme.Taps(List.of("conv1", "conv1"), 8, List.of(12L, 8L));
        List<Network> nets = List.of(net(large, 2), net(STUDENT, 3));
        List<Network> twins = List.of(net(large, 2), net(STUDENT, 3));
        List<Adapters> transfers = new ArrayList<>();
        List<Adapters> transferTwins = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            Seeds.apply(10 + k);
            transfers.add(AfdScheme.transfer(nets.get(k), taps, k));
            Seeds.apply(10 + k);
            transferTwins.add(AfdScheme.transfer(twins.get(k), taps, k));
        }
        DiscriminatorSpec d = scheme.discriminator();
        List<Adapters> discs = List.of(block("discriminator", d.build(), new Shape(2, 8), 20),
                block("discriminator", d.build(), new Shape(2, 8), 21));
        List<Adapters> discTwins = List.of(block("discriminator", d.build(), new Shape(2, 8), 20),
                block("discriminator", d.build(), new Shape(2, 8), 21));
        Phase phase = scheme.phase(5, data, null, "afd", List.of("peer1", "peer2"), nets, transfers, discs, taps,
                AfdScheme.Kind.ADVERSARIAL, sgd());
        new Loop(m, List.of()).run(phase);

        Batch b = batch();
        List<Parameter> every = all(twins.get(0), twins.get(1), transferTwins.get(0), transferTwins.get(1),
                discTwins.get(0), discTwins.get(1));
        java.util.function.IntFunction<NDArray> judged = k -> transferTwins.get(k).forward("transfer",
                twins.get(k).forward(b.input(), true).get("conv1"));
        // 1, 2. D_k: the other network's features real, its own fake (least squares), all detached
        for (int k = 0; k < 2; k++) {
            int self = k;
            step(1, discTwins.get(k).trainableParameters(), every, () -> LeastSquaresGan.discriminator(
                    score.apply(discTwins.get(self).forward("discriminator", judged.apply(1 - self).stopGradient())),
                    score.apply(discTwins.get(self).forward("discriminator", judged.apply(self).stopGradient()))));
        }
        // 3, 4. network k (and its transfer layer): CE + 0.7·4·KL(p_other^τ ‖ p_k^τ) + 0.5·mean (1 − D_k(F_k))²,
        // network 2 taught by network 1 as updated
        for (int k = 0; k < 2; k++) {
            int self = k;
            List<Parameter> moving = all(twins.get(k), transferTwins.get(k));
            step(1, moving, every, () -> {
                NDArray target = twins.get(1 - self).forward(b.input(), true).logits().logSoftmax(1).stopGradient();
                Outputs out = twins.get(self).forward(b.input(), true);
                NDArray fake = transferTwins.get(self).forward("transfer", out.get("conv1"));
                return CrossEntropy.of(out.logits(), b.labels())
                        .add(Scalars.mul(KdLoss.klDivergence(target, out.logits(), 2.0), 0.7 * 4))
                        .add(Scalars.mul(LeastSquaresGan.fool(score.apply(discTwins.get(self).forward(
                                "discriminator", fake))), 0.5));
            });
        }
        for (int k = 0; k < 2; k++) {
            assertSameParameters(discs.get(k).trainableParameters(), discTwins.get(k).trainableParameters(),
                    "discriminator" + (k + 1));
            assertSameParameters(all(nets.get(k), transfers.get(k)), all(twins.get(k), transferTwins.get(k)),
                    "peer" + (k + 1));
        }
    }

    @Test
    void deepInversionStartsEachBatchFromNoiseWithAFreshAdam() throws Exception {
        DeepInversionScheme scheme = new DeepInversionScheme(2, 4, 1, LR, 10.0, 0.01, 0.5, 0, false, null, null, null, null);
        NDArray images;
        try (Adapters inputs = new Adapters(m)) {
            inputs.tensor("x", new Shape(4, 1, 4, 4), 0f);
            NDArray bank = inputs.state("images", m.zeros(new Shape(8, 1, 4, 4)));
            Phase phase = scheme.phase(7, m, teacher, inputs, 2, 2, null);
            new Loop(m, List.of(scheme.saveBatch(inputs, bank, null))).run(phase);
            images = m.create(bank.toFloatArray(), bank.getShape());
        }
        DeepInversionLoss loss = new DeepInversionLoss(10, 0.01, 0.5);
        double b1 = 0.9;
        double b2 = 0.999;
        for (int batch = 0; batch < 2; batch++) {
            NDArray x = DeepInversionScheme.noise(7, batch, new Shape(4, 1, 4, 4), m);
            x.setRequiresGradient(true);
            assertArrayEquals(new int[] {0, 1, 0, 1}, scheme.targets(7, batch, 2), "balanced targets");
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                List<Network.BatchNormStatistics> stats = new ArrayList<>();
                NDArray logits = teacher.forward(x, false, stats).logits();
                gc.backward(loss.compute(logits, m.create(new int[] {0, 1, 0, 1}), stats, x).total());
            }
            float[] x0 = x.toFloatArray();
            float[] g = x.getGradient().toFloatArray();
            float[] got = images.get(batch * 4 + ":" + (batch + 1) * 4).toFloatArray();
            for (int i = 0; i < x0.length; i++) {
                // a first Adam step: m = 0.1·g, v = 0.001·g², step lr·√(1−β₂)/(1−β₁)·m/(√v + ε)
                double mom = (1 - b1) * g[i];
                double var = (1 - b2) * g[i] * g[i];
                double expected = x0[i] - LR * Math.sqrt(1 - b2) / (1 - b1) * mom / (Math.sqrt(var) + 1e-8);
                assertEquals(expected, got[i], 1e-5, "batch " + batch + " value " + i);
            }
        }
    }

    @Test
    void deepInversionClipsEachStepIntoTheRangeOfRealImages() throws Exception {
        double big = 0.8; // a step of about 0.8 per value: most leave [−0.5, 0.5]
        float low = -0.5f;
        float high = 0.5f;
        for (int iterations : new int[] {1, 3}) {
            DeepInversionScheme scheme = new DeepInversionScheme(1, 4, iterations, big, 10.0, 0.01, 0.5, 0, false, true,
                    null, null, null);
            float[] got;
            try (Adapters inputs = new Adapters(m);
                    DeepInversionScheme.Range range = new DeepInversionScheme.Range(
                            m.create(new float[] {low}, new Shape(1, 1, 1, 1)),
                            m.create(new float[] {high}, new Shape(1, 1, 1, 1)))) {
                inputs.tensor("x", new Shape(4, 1, 4, 4), 0f);
                NDArray bank = inputs.state("images", m.zeros(new Shape(4, 1, 4, 4)));
                Phase phase = scheme.phase(7, m, teacher, inputs, 1, 2, range);
                new Loop(m, List.of(scheme.saveBatch(inputs, bank, range))).run(phase);
                got = bank.toFloatArray();
            }
            int atBound = 0;
            for (float v : got) {
                assertTrue(v >= low && v <= high, iterations + " iterations: " + v + " outside [" + low + ", " + high + "]");
                atBound += v == low || v == high ? 1 : 0;
            }
            assertTrue(atBound > got.length / 4, iterations + " iterations: only " + atBound + " values were clipped");
            if (iterations == 1) { // one Adam step from the noise, then clipped
                NDArray x = DeepInversionScheme.noise(7, 0, new Shape(4, 1, 4, 4), m);
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    List<Network.BatchNormStatistics> stats = new ArrayList<>();
                    NDArray logits = teacher.forward(x, false, stats).logits();
                    gc.backward(new DeepInversionLoss(10, 0.01, 0.5)
                            .compute(logits, m.create(new int[] {0, 1, 0, 1}), stats, x).total());
                }
                float[] x0 = x.toFloatArray();
                float[] g = x.getGradient().toFloatArray();
                for (int i = 0; i < x0.length; i++) {
                    double mom = 0.1 * g[i];
                    double var = 0.001 * g[i] * g[i];
                    double step = x0[i] - big * Math.sqrt(0.001) / 0.1 * mom / (Math.sqrt(var) + 1e-8);
                    assertEquals(Math.max(low, Math.min(high, step)), got[i], 1e-5, "value " + i);
                }
            }
        }
    }

    @Test
    void rollingPushesPixelsRoundTheEdge() {
        NDArray x = m.arange(0f, 6f).reshape(1, 1, 2, 3);
        assertArrayEquals(new float[] {5, 3, 4, 2, 0, 1}, DeepInversionScheme.roll(x, 1, 1).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 0, 4, 5, 3}, DeepInversionScheme.roll(x, 0, -1).toFloatArray());
        assertArrayEquals(x.toFloatArray(), DeepInversionScheme.roll(x, 2, 3).toFloatArray());
    }
}

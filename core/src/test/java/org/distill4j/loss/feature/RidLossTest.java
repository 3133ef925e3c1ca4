package org.distill4j.loss.feature;

import static org.distill4j.loss.feature.Fixtures.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Alternating;
import org.distill4j.loss.Binding;
import org.distill4j.loss.LossValue;
import org.distill4j.method.Rid;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

class RidLossTest {
    static final double[] FS = Fixtures.values(51, 2 * 3 * 4, 0.2);
    static final double[] FT = Fixtures.values(52, 2 * 3 * 4, -0.1);
    static final double[] ALPHA = {-0.4, 0.3, 1.2};
    static final Shape MAPS = new Shape(2, 3, 2, 2);

    static double softplus(double x) {
        return Math.log1p(Math.exp(x));
    }

    /** mean over every value of σ_c² + (fs − ft)²/σ_c, by hand; values laid out (B, C, P). */
    static double alignByHand(double[] fs, double[] ft, double[] alpha, int batch, int channels, int positions) {
        return byHand(fs, ft, alpha, batch, channels, positions, true);
    }

    /** mean over every value of (fs − ft)²/σ_c (the teacher filters' alignment), by hand. */
    static double distanceByHand(double[] fs, double[] ft, double[] alpha, int batch, int channels, int positions) {
        return byHand(fs, ft, alpha, batch, channels, positions, false);
    }

    static double byHand(double[] fs, double[] ft, double[] alpha, int batch, int channels, int positions,
            boolean withSigma) {
        double sum = 0;
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                double s = softplus(alpha[c]) + RidLoss.EPS;
                for (int p = 0; p < positions; p++) {
                    int i = (n * channels + c) * positions + p;
                    sum += (withSigma ? s * s : 0) + (fs[i] - ft[i]) * (fs[i] - ft[i]) / s;
                }
            }
        }
        return sum / (batch * channels * positions);
    }

    @Test
    void alignMatchesHandComputationOnMapsAndVectors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray alpha = m.create(ALPHA);
            assertEquals(alignByHand(FS, FT, ALPHA, 2, 3, 4),
                    RidLoss.align(m.create(FS, MAPS), alpha, m.create(FT, MAPS)).getDouble(), 1e-8);
            double[] fs = java.util.Arrays.copyOf(FS, 6);
            double[] ft = java.util.Arrays.copyOf(FT, 6);
            assertEquals(alignByHand(fs, ft, ALPHA, 2, 3, 1),
                    RidLoss.align(m.create(fs, new Shape(2, 3)), alpha, m.create(ft, new Shape(2, 3))).getDouble(),
                    1e-8);
        }
    }

    @Test
    void alignGradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ft = m.create(FT, MAPS);
            NDArray alpha = m.create(ALPHA);
            NDArray fs = m.create(FS, MAPS);
            GradientCheck.assertGradient(x -> RidLoss.align(x, alpha, ft), FS, MAPS); // the student's side
            GradientCheck.assertGradient(x -> RidLoss.align(fs, alpha, x), FT, MAPS); // the teacher filter's side
            GradientCheck.assertGradient(x -> RidLoss.align(fs, x, ft), ALPHA, new Shape(3)); // σ
            GradientCheck.assertGradient(x -> RidLoss.distance(fs, alpha, x), FT, MAPS); // the teacher filters' own
        }
    }

    /** {@code divisor: variance}: mean of σ_c² + (fs − ft)²/σ_c², and (fs − ft)²/σ_c² for the teacher filters, by hand. */
    @Test
    void theVarianceDivisorMatchesHandComputationAndFiniteDifferences() {
        double align = 0;
        double distance = 0;
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                double sg = softplus(ALPHA[c]) + RidLoss.EPS;
                for (int p = 0; p < 4; p++) {
                    int i = (n * 3 + c) * 4 + p;
                    double d2 = (FS[i] - FT[i]) * (FS[i] - FT[i]);
                    align += sg * sg + d2 / (sg * sg);
                    distance += d2 / (sg * sg);
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ft = m.create(FT, MAPS);
            NDArray alpha = m.create(ALPHA);
            NDArray fs = m.create(FS, MAPS);
            assertEquals(align / 24, RidLoss.align(fs, alpha, ft, true).getDouble(), 1e-8);
            assertEquals(distance / 24, RidLoss.distance(fs, alpha, ft, true).getDouble(), 1e-8);
            assertNotEquals(RidLoss.align(fs, alpha, ft).getDouble(), RidLoss.align(fs, alpha, ft, true).getDouble(), 1e-6);
            GradientCheck.assertGradient(x -> RidLoss.align(x, alpha, ft, true), FS, MAPS);
            GradientCheck.assertGradient(x -> RidLoss.align(fs, x, ft, true), ALPHA, new Shape(3));
            GradientCheck.assertGradient(x -> RidLoss.distance(fs, alpha, x, true), FT, MAPS);
        }
    }

    static RidLoss vectors(int roundSteps, int teacherSteps) {
        return new RidLoss(List.of("embedding"), List.of("embedding"), 10, 1.0, roundSteps, teacherSteps);
    }

    static Binding binding(Adapters student) {
        return new Binding(Fixtures.shapes("student", "embedding", new Shape(3)),
                Fixtures.shapes("teacher", "embedding", new Shape(2)), 100, 100, student);
    }

    /**
     * The student's term is β·align of its filter (one linear layer, computed by hand here) against
     * the teacher filter's output, σ starting at initSigma; the partner's terms are its heads'
     * cross-entropy and, from the second round, mean((f_s − f_t)²/σ) at weight 1. Each side's
     * gradients reach only its own parameters (and the student's tap), never the other's: the two participants have their own optimizers.
     */
    @Test
    void eachSideIsTheFormulaAndItsGradientsStayOnItsSide() {
        try (NDManager m = NDManager.newBaseManager(); Adapters student = new Adapters(m);
                Adapters partner = new Adapters(m)) {
            Seeds.apply(53);
            RidLoss loss = vectors(5, 2);
            loss.bind(binding(student));
            loss.bindPartner(binding(student), partner);
            for (double a : Fixtures.parameter(student, "value", 0)) {
                assertEquals(1.0, softplus(a) + RidLoss.EPS, 1e-6, "σ starts at initSigma");
            }
            double[] s = Fixtures.values(54, 6, 0);
            NDArray sTap = f32(m, s, new Shape(2, 3));
            sTap.setRequiresGradient(true);
            NDArray tTap = f32(m, Fixtures.values(55, 4, 0.5), new Shape(2, 2));
            Outputs out = Fixtures.outputs(m.zeros(new Shape(2, 10)), "embedding", sTap);
            Knowledge k = new Knowledge(Fixtures.outputs(m.zeros(new Shape(2, 10)), "embedding", tTap));

            NDArray ft = partner.forward(RidLoss.teacherFilter(1), tTap);
            double[] w = Fixtures.parameter(student, "weight", 0); // (2, 3)
            double[] b = Fixtures.parameter(student, "bias", 0);
            double[] fs = new double[4];
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 2; o++) {
                    fs[n * 2 + o] = b[o];
                    for (int c = 0; c < 3; c++) {
                        fs[n * 2 + o] += w[o * 3 + c] * s[n * 3 + c];
                    }
                }
            }
            double[] ftv = ft.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double[] alpha = Fixtures.parameter(student, "value", 0);
            double expected = 10 * alignByHand(fs, ftv, alpha, 2, 2, 1);

            LossValue v;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                v = loss.compute(out, k, Batches.withLabels(m, 1, 4));
                gc.backward(v.total());
            }
            assertEquals(expected, Fixtures.scalar(v.terms().get(RidLoss.TERM)), 1e-5 * expected);
            assertTrue(gradientNorm(student) > 0, "the student's filter and σ learn from the student's term");
            assertTrue(Fixtures.scalar(sTap.getGradient().abs().sum()) > 0, "so does the student");
            assertEquals(0, gradientNorm(partner), "the teacher filters are not moved by the student's term");

            zero(student);
            sTap.getGradient().subi(sTap.getGradient());
            // the first round trains the heads alone; from the second the filters align too, at weight 1
            assertTrue(loss.partnerStep(0));
            LossValue first = loss.partnerLoss(out, k, Batches.withLabels(m, 1, 4));
            assertEquals(0, Fixtures.scalar(first.terms().get(RidLoss.ALIGN)));
            assertTrue(loss.partnerStep(5));
            LossValue p;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                p = loss.partnerLoss(out, k, Batches.withLabels(m, 1, 4));
                gc.backward(p.total());
            }
            NDArray logits = partner.forward(RidLoss.head(1), partner.forward(RidLoss.teacherFilter(1), tTap));
            double ce = Fixtures.crossEntropy(logits.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                    .toDoubleArray(), 10, new int[] {1, 4});
            assertEquals(ce, Fixtures.scalar(p.terms().get(RidLoss.HEADS)), 1e-5);
            double distance = distanceByHand(fs, ftv, alpha, 2, 2, 1);
            assertTrue(distance > 1e-3, "a case where the filters differ: " + distance);
            assertEquals(distance, Fixtures.scalar(p.terms().get(RidLoss.ALIGN)), 1e-5 * distance);
            assertTrue(gradientNorm(partner) > 0, "the teacher filters and heads learn from theirs");
            assertEquals(0, gradientNorm(student), "the student's filter and σ are not moved by the partner's terms");
            assertEquals(0, Fixtures.scalar(sTap.getGradient().abs().sum()), "nor is the student");
        }
    }

    static double gradientNorm(Adapters a) {
        double sum = 0;
        for (Parameter p : a.trainableParameters()) {
            NDArray g = p.getArray().getGradient();
            sum += Fixtures.scalar(g.square().sum());
        }
        return sum;
    }

    static void zero(Adapters a) {
        for (Parameter p : a.trainableParameters()) {
            NDArray g = p.getArray().getGradient();
            g.subi(g);
        }
    }

    /** Rounds of 5 steps: the first 2 train the teacher filters, the other 3 the student. */
    @Test
    void roundsGiveTheFirstStepsToTheTeacherFilters() {
        Alternating a = vectors(5, 2);
        boolean[] expected = {true, true, false, false, false, true, true, false, false, false, true};
        for (int s = 0; s < expected.length; s++) {
            assertEquals(expected[s], a.partnerStep(s), "step " + s);
        }
        assertEquals("teacher-filters", a.partner());
        assertNotNull(Alternating.of(new Rid(null, null, null, null, null, null, null, null).objective()),
                "the objective (a weighted sum) exposes its alternating part");
        assertEquals(null, Alternating.of(new org.distill4j.method.HintonKd(null, null).objective()));
    }

    @Test
    void badTapsAreRejectedNamingBoth() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapShapes student = Fixtures.shapes("student", "conv1", new Shape(4, 14, 14), "embedding", new Shape(8));
            TapShapes teacher = Fixtures.shapes("teacher", "conv2", new Shape(8, 7, 7), "conv1", new Shape(4, 14, 14));
            TapException size = assertThrows(TapException.class, () -> new RidLoss(List.of("conv1"), List.of("conv2"),
                    10, 1, 5, 2).bind(new Binding(student, teacher, 10, 10, a)));
            assertTrue(size.getMessage().contains("student tap 'conv1'") && size.getMessage().contains("teacher tap "
                    + "'conv2'") && size.getMessage().contains("spatial size"), size.getMessage());
            TapException kind = assertThrows(TapException.class, () -> new RidLoss(List.of("embedding"),
                    List.of("conv1"), 10, 1, 5, 2).bind(new Binding(student, teacher, 10, 10, a)));
            assertTrue(kind.getMessage().contains("'embedding'") && kind.getMessage().contains("'conv1'"),
                    kind.getMessage());
        }
    }

    static final String CONFIG = """
            name: rid
            seed: 1
            teacher:
              model: {type: cnn, channels: [8, 16], hidden: 32}
              random: true
            student:
              model: {type: cnn, channels: [4, 8], hidden: 16}
              train: {epochs: 1}
              method: {name: rid, studentTaps: [conv2], teacherTaps: [conv2], %s}
            """;

    static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "rid.yaml")).getMessage();
    }

    @Test
    void badParametersAreRejectedNamingTheKey() throws ConfigException {
        Rid ok = (Rid) ConfigLoader.parse(CONFIG.formatted("roundSteps: 20, teacherSteps: 4"), "rid.yaml").student()
                .method();
        assertEquals(new Rid(List.of("conv2"), List.of("conv2"), 10.0, 5.0, 20, 4, 1.0, "sigma"), ok);
        assertTrue(ConfigLoader.parse(CONFIG.formatted("beta: 10"), "rid.yaml").teacher().isRandom());
        String steps = error(CONFIG.formatted("roundSteps: 5, teacherSteps: 5"));
        assertTrue(steps.contains("teacherSteps") && steps.contains("[1, 5)") && steps.contains("got 5"), steps);
        String round = error(CONFIG.formatted("roundSteps: 1"));
        assertTrue(round.contains("roundSteps") && round.contains("got 1"), round);
        String sigma = error(CONFIG.formatted("initSigma: 0"));
        assertTrue(sigma.contains("initSigma") && sigma.contains("got 0"), sigma);
        String divisor = error(CONFIG.formatted("divisor: sigma2"));
        assertTrue(divisor.contains("divisor") && divisor.contains("sigma2") && divisor.contains("variance"), divisor);
        assertEquals("variance", ((Rid) ConfigLoader.parse(CONFIG.formatted("divisor: variance"), "rid.yaml").student()
                .method()).divisor());
        String beta = error(CONFIG.formatted("beta: -1"));
        assertTrue(beta.contains("beta") && beta.contains("-1"), beta);
        String pairs = error(CONFIG.formatted("beta: 1").replace("teacherTaps: [conv2]", "teacherTaps: [conv1, conv2]"));
        assertTrue(pairs.contains("teacherTaps") && pairs.contains("pair"), pairs);
        // a nuisance teacher is a model and nothing else
        String random = error(CONFIG.formatted("beta: 1").replace("  random: true", "  random: true\n  train: {epochs: 1}"));
        assertTrue(random.contains("random") && random.contains("never trained"), random);
        assertFalse(ConfigLoader.parse(CONFIG.formatted("beta: 1").replace("  random: true",
                "  random: false\n  train: {epochs: 1}"), "rid.yaml").teacher().isRandom());
    }
}

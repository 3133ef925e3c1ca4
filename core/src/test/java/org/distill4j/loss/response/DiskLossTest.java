package org.distill4j.loss.response;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import org.distill4j.config.ConfigException;
import org.distill4j.config.ConfigLoader;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Alternating;
import org.distill4j.loss.Binding;
import org.distill4j.loss.LossValue;
import org.distill4j.method.Disk;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.testing.Batches;
import org.distill4j.testing.GradientCheck;
import org.distill4j.train.Seeds;
import org.junit.jupiter.api.Test;

/**
 * DiSK's terms against an independent computation in plain Java (the lifted loss, the guide's mass
 * on the student's errors, the dual ascent of λ), their gradients against finite differences, each
 * side's gradients staying on its side, the epochs' alternation, and bad parameters.
 */
class DiskLossTest {
    // Student and teacher logits (B=2, C=4), labels [1, 0]: the student is right on row 0, wrong on row 1.
    static final double[] ZS = {1.0, 2.0, 0.5, -0.3, 0.2, -1.0, 3.0, 0.4};
    static final double[] ZT = {2.0, 1.0, 0.0, -1.0, 0.0, 0.5, 2.5, 1.5};
    static final int[] LABELS = {1, 0};
    static final Shape SHAPE = new Shape(2, 4);
    // top-2 of the teacher plus the label: row 0 {0, 1} ∪ {1}, row 1 {2, 3} ∪ {0}
    static final double[] MASK = {1, 1, 0, 0, 1, 0, 1, 1};
    static final double[] G = {0.3, 0.7};

    /** −mean_b Σ_c r_c·log q_c, written out with loops (no NDArray). */
    static double liftedByHand(double[] zs, double[] zt, double[] mask, double[] g, double ts, double t) {
        double total = 0;
        for (int b = 0; b < 2; b++) {
            double zmax = Double.NEGATIVE_INFINITY;
            double tmax = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 4; c++) {
                zmax = Math.max(zmax, zs[b * 4 + c] / ts);
                tmax = Math.max(tmax, zt[b * 4 + c] / t);
            }
            double zsum = 0;
            double tsum = 0;
            double size = 0;
            for (int c = 0; c < 4; c++) {
                zsum += Math.exp(zs[b * 4 + c] / ts - zmax);
                tsum += mask[b * 4 + c] * Math.exp(zt[b * 4 + c] / t - tmax);
                size += mask[b * 4 + c];
            }
            for (int c = 0; c < 4; c++) {
                double p = Math.exp(zs[b * 4 + c] / ts - zmax) / zsum;
                double q = (p + g[b] * mask[b * 4 + c]) / (1 + g[b] * size);
                double r = mask[b * 4 + c] * Math.exp(zt[b * 4 + c] / t - tmax) / tsum;
                total -= r == 0 ? 0 : r * Math.log(q);
            }
        }
        return total / 2;
    }

    static NDArray create(NDManager m, double[] v, Shape s) {
        return m.create(v, s);
    }

    @Test
    void theMaskIsTheTeachersTopKAndTheLabel() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = DiskLoss.mask(m.create(ZT, SHAPE), m.create(LABELS), 2);
            assertArrayEquals(MASK, mask.toDoubleArray());
            // k = 1: row 0 {0} ∪ {1}, row 1 {2} ∪ {0}
            assertArrayEquals(new double[] {1, 1, 0, 0, 1, 0, 1, 0},
                    DiskLoss.mask(m.create(ZT, SHAPE), m.create(LABELS), 1).toDoubleArray());
        }
    }

    @Test
    void theLiftedLossMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(MASK, SHAPE);
            for (double[] g : new double[][] {G, {0, 0}, {1, 1}}) {
                double expected = liftedByHand(ZS, ZT, MASK, g, 3, 2);
                double got = DiskLoss.lifted(m.create(ZS, SHAPE), m.create(ZT, SHAPE), mask,
                        m.create(g, new Shape(2, 1)), 3, 2).getDouble();
                assertEquals(expected, got, 1e-12, "g = " + java.util.Arrays.toString(g));
            }
            // lifting lowers the loss: a censored example costs the student less
            assertTrue(liftedByHand(ZS, ZT, MASK, G, 3, 2) < liftedByHand(ZS, ZT, MASK, new double[2], 3, 2));
        }
    }

    @Test
    void theLiftedLossGradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(MASK, SHAPE);
            NDArray zt = m.create(ZT, SHAPE);
            NDArray g = m.create(G, new Shape(2, 1));
            NDArray zs = m.create(ZS, SHAPE);
            GradientCheck.assertGradient(x -> DiskLoss.lifted(x, zt, mask, g, 3, 2), ZS, SHAPE); // the student's side
            GradientCheck.assertGradient(x -> DiskLoss.lifted(zs, zt, mask, x, 3, 2), G, new Shape(2, 1)); // the guide's
        }
    }

    @Test
    void theErrorMassIsTheMeanGuideOverTheStudentsErrors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray g = m.create(new double[] {0.3, 0.7, 0.2}, new Shape(3, 1));
            assertEquals((0.7 + 0.2) / 2, DiskLoss.errorMass(g, m.create(new double[] {0, 1, 1})).getDouble(), 1e-12);
            assertEquals(0, DiskLoss.errorMass(g, m.create(new double[] {0, 0, 0})).getDouble(), 1e-12,
                    "no errors: no mass (divided by max(1, 0))");
            NDArray errors = m.create(new double[] {1, 0, 1});
            GradientCheck.assertGradient(x -> DiskLoss.errorMass(x, errors), new double[] {0.3, 0.7, 0.2},
                    new Shape(3, 1));
        }
    }

    @Test
    void lambdaAscendsOnTheConstraintAndStaysNonNegative() {
        assertEquals(1.0 + 0.5 * (0.8 - 0.3), DiskLoss.ascend(1.0, 0.5, 0.8, 0.3), 1e-12, "over budget: λ grows");
        assertEquals(1.0 - 0.5 * 0.2, DiskLoss.ascend(1.0, 0.5, 0.1, 0.3), 1e-12, "under budget: λ shrinks");
        assertEquals(0, DiskLoss.ascend(0.05, 0.5, 0.0, 0.3), 0, "never below 0");
    }

    static DiskLoss loss(int studentEpochs, int guideEpochs) {
        return new DiskLoss("embedding", 2, 0.3, 2, 3, 0.9, 0.5, 1.0, studentEpochs, guideEpochs, 5);
    }

    static Binding binding(Adapters student) {
        TapShapes s = new TapShapes("student", Map.of(Outputs.LOGITS, new Shape(4)));
        TapShapes t = new TapShapes("teacher", Map.of(Outputs.LOGITS, new Shape(4), "embedding", new Shape(3)));
        return new Binding(s, t, 100, 100, student);
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** g by hand from the guide's parameters: sigmoid(w2·relu(W1·x + b1) + b2 − 4). */
    static double[] guideByHand(Adapters guide, double[] x, int batch, int in, int hidden) {
        List<Parameter> p = guide.trainableParameters();
        double[] w1 = p.get(0).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
        double[] b1 = p.get(1).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
        double[] w2 = p.get(2).getArray().toType(DataType.FLOAT64, false).toDoubleArray();
        double b2 = p.get(3).getArray().toType(DataType.FLOAT64, false).toDoubleArray()[0];
        double[] g = new double[batch];
        for (int n = 0; n < batch; n++) {
            double out = b2 + DiskLoss.GUIDE_OFFSET;
            for (int h = 0; h < hidden; h++) {
                double a = b1[h];
                for (int i = 0; i < in; i++) {
                    a += w1[h * in + i] * x[n * in + i];
                }
                out += w2[h] * Math.max(0, a);
            }
            g[n] = sigmoid(out);
        }
        return g;
    }

    /**
     * The student's term is weight·T_s·T·lifted with g from the guide (detached); the guide's terms are
     * the same lifted loss with the student detached, and λ·(c − ε); λ then takes one dual ascent step.
     * Each side's gradients reach only its own parameters.
     */
    @Test
    void eachSideIsTheFormulaAndItsGradientsStayOnItsSide() {
        try (NDManager m = NDManager.newBaseManager(); Adapters student = new Adapters(m);
                Adapters guide = new Adapters(m)) {
            Seeds.apply(61);
            DiskLoss loss = loss(1, 1);
            loss.bind(binding(student));
            loss.bindPartner(binding(student), guide);
            assertTrue(student.isEmpty(), "the student has no adapters: the guide is the partner's");
            assertEquals(1.0, loss.lambda(), 0, "λ starts at initialLambda");
            double[] tap = {0.5, -1.0, 2.0, 1.5, 0.3, -0.2};
            double[] g = guideByHand(guide, tap, 2, 3, 5);
            NDArray zs = m.create(ZS, SHAPE).toType(DataType.FLOAT32, false);
            zs.setRequiresGradient(true);
            NDArray tTap = m.create(tap, new Shape(2, 3)).toType(DataType.FLOAT32, false);
            Knowledge k = new Knowledge(new Outputs(Map.of(Outputs.LOGITS,
                    m.create(ZT, SHAPE).toType(DataType.FLOAT32, false), "embedding", tTap)));
            assertArrayEquals(g, loss.guide(k).toType(DataType.FLOAT64, false).toDoubleArray(), 1e-6);
            Batch batch = Batches.withLabels(m, LABELS);
            double scale = 0.9 * 3 * 2;
            double lifted = liftedByHand(ZS, ZT, MASK, g, 3, 2);

            LossValue v;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                v = loss.compute(Outputs.ofLogits(zs), k, batch);
                gc.backward(v.total());
            }
            assertEquals(scale * lifted, value(v.terms().get(DiskLoss.TERM)), 1e-5);
            assertTrue(zs.getGradient().abs().sum().getFloat() > 0, "the student learns from its term");
            assertEquals(0, gradientNorm(guide), "the guide is not moved by the student's term");
            assertEquals(1.0, loss.lambda(), 0, "nor is λ");

            zs.getGradient().subi(zs.getGradient());
            LossValue p;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                p = loss.partnerLoss(Outputs.ofLogits(zs), k, batch);
                gc.backward(p.total());
            }
            double mass = g[1]; // the student's one error is row 1
            assertEquals(scale * lifted, value(p.terms().get(DiskLoss.GUIDE)), 1e-5);
            assertEquals(1.0 * (mass - 0.3), value(p.terms().get(DiskLoss.BUDGET)), 1e-6);
            assertTrue(gradientNorm(guide) > 0, "the guide learns from its terms");
            assertEquals(0, zs.getGradient().abs().sum().getFloat(), "the student is not moved by them");
            assertEquals(DiskLoss.ascend(1.0, 0.5, mass, 0.3), loss.lambda(), 1e-6, "λ took one ascent step");
        }
    }

    static double value(NDArray scalar) {
        return scalar.toType(DataType.FLOAT64, false).getDouble();
    }

    static double gradientNorm(Adapters a) {
        double sum = 0;
        for (Parameter p : a.trainableParameters()) {
            sum += p.getArray().getGradient().square().sum().getFloat();
        }
        return sum;
    }

    /** Cycles of 2 student epochs, then 1 guide epoch; every step of an epoch goes to its participant. */
    @Test
    void epochsAlternateStudentFirst() {
        DiskLoss a = loss(2, 1);
        boolean[] expected = {false, false, true, false, false, true, false};
        for (int e = 0; e < expected.length; e++) {
            a.startEpoch(e, expected.length);
            assertEquals(expected[e], a.guideEpoch(e), "epoch " + e);
            for (long step : new long[] {0, 3, 1000}) {
                assertEquals(expected[e], a.partnerStep(step), "epoch " + e + " step " + step);
            }
        }
        assertEquals("guide", a.partner());
        assertNotNull(Alternating.of(new Disk(null, null, null, null, null, null, null, null, null, null, null, null)
                .objective()), "the objective (a weighted sum) exposes its alternating part");
    }

    @Test
    void aMissingTapOrTooLargeKIsRejected() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            assertThrows(TapException.class, () -> new DiskLoss("conv9", 2, 0.3, 2, 3, 0.9, 0.5, 1, 1, 1, 5)
                    .bind(binding(a)));
            TapException k = assertThrows(TapException.class, () -> new DiskLoss("embedding", 5, 0.3, 2, 3, 0.9, 0.5,
                    1, 1, 1, 5).bind(binding(a)));
            assertTrue(k.getMessage().contains("topK 5") && k.getMessage().contains("4 classes"), k.getMessage());
        }
    }

    static final String CONFIG = """
            name: disk
            seed: 1
            teacher:
              model: {type: cnn, channels: [8, 16], hidden: 32}
              train: {epochs: 1}
            student:
              model: {type: mlp, hidden: [8]}
              train: {epochs: 2}
              method: {name: disk, %s}
            """;

    static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "disk.yaml")).getMessage();
    }

    @Test
    void badParametersAreRejectedNamingTheKey() throws ConfigException {
        Disk ok = (Disk) ConfigLoader.parse(CONFIG.formatted("topK: 2, budget: 0.25"), "disk.yaml").student().method();
        assertEquals(new Disk("embedding", 2, 0.25, 4.0, 4.0, 0.9, 0.1, 1.0, 3, 3, 64, 0.1), ok);
        String[][] bad = {
            {"topK: 0", "topK", "got 0"},
            {"budget: 0", "budget", "(0, 1)"},
            {"budget: 1", "budget", "got 1.0"},
            {"budget: -0.5", "budget", "got -0.5"},
            {"temperature: 0", "temperature", "got 0"},
            {"studentTemperature: -1", "studentTemperature", "got -1"},
            {"dualStep: 0", "dualStep", "got 0"},
            {"initialLambda: -1", "initialLambda", "got -1"},
            {"studentEpochs: 0", "studentEpochs", "got 0"},
            {"guideEpochs: 0", "guideEpochs", "got 0"},
            {"guideHidden: 0", "guideHidden", "got 0"},
            {"weight: -1", "weight", "got -1"},
            {"ceWeight: -0.1", "ceWeight", "got -0.1"},
            {"teacherTap: ''", "teacherTap", "name a tap"},
        };
        for (String[] b : bad) {
            String message = error(CONFIG.formatted(b[0]));
            assertTrue(message.contains("disk.yaml") && message.contains(b[1]) && message.contains(b[2]),
                    b[0] + ": " + message);
        }
    }
}

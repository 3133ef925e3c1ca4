package org.example.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import org.distill4j.api.Distill;
import org.distill4j.config.ConfigException;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.model.Outputs;
import org.distill4j.config.Registry;
import org.distill4j.report.ModelResult;
import org.distill4j.report.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * This project end to end: a method defined in the user's own code, registered by name, chosen
 * from YAML and trained like a built-in one, through the facade, on the Fashion-MNIST slice
 * (the {@code distill4j.data} property, set in pom.xml).
 */
class UserMethodExampleTest {
    static final Path DATA = Path.of(System.getProperty("distill4j.data", "../../core/src/test/resources/fashion-mnist-slice"));

    @Test
    void aUserMethodRunsFromYamlByItsName(@TempDir Path dir) throws Exception {
        Path config = Path.of("logit-matching.yaml").toAbsolutePath();
        Main.main(new String[] {config.toString(), DATA.toString(), dir.toString()});
        RunRecord r = RunRecord.read(dir.resolve("record.json"));
        ModelResult m = r.model("student-logit-matching");
        assertEquals("logit-matching", m.method());
        assertEquals(0.5, ((LogitMatching) r.config().student().method()).weight());
        assertTrue(m.history().get(0).trainTerms().containsKey("logits"), "its own term is reported");
        assertTrue(m.history().get(0).trainTerms().containsKey("ce"), "and distill4j added the cross-entropy");
        assertTrue(m.metrics().testAccuracy() > 0.3, "it learned: " + m.metrics().testAccuracy());
        // a name is taken once; built-in names are not available
        assertThrows(IllegalArgumentException.class, () -> Registry.method("kd", LogitMatching.class));
    }

    @Test
    void anUnregisteredNameIsAConfigErrorListingTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> Distill.yaml("""
                teacher: {model: {type: mlp, hidden: [8]}, train: {epochs: 1}}
                student: {model: {type: mlp, hidden: [8]}, method: {name: logit-matchin}}
                """));
        assertTrue(e.getMessage().contains("logit-matchin"), e.getMessage());
    }

    static final double[] ZS = {0.5, -1.0, 2.0, 0.25, 1.5, -0.5};
    static final double[] ZT = {1.0, 0.0, 1.0, -0.75, 0.5, 1.5};

    /** The example's objective on 2 samples × 3 classes, labels {2, 0}, in float64. */
    static double objective(NDManager m, NDArray zs) {
        Batch batch = new Batch(m.zeros(new Shape(2, 1)), m.create(new int[] {2, 0}), new int[] {0, 1}, new int[] {2, 0});
        Knowledge teacher = new Knowledge(Outputs.ofLogits(m.create(ZT, new Shape(2, 3))));
        return new LogitMatching(0.5, 0.3).objective().compute(Outputs.ofLogits(zs), teacher, batch).total()
                .toType(DataType.FLOAT64, false).getDouble();
    }

    /**
     * By hand: 0.5·mean((z_s − z_t)²) + 0.3·CE; the squared differences are 0.25, 1, 1, 1, 1, 4
     * (mean 1.375), and CE = mean(−log softmax(z_s)[y]) over the rows (labels 2 and 0).
     */
    @Test
    void theExampleLossMatchesAHandComputationAndItsGradient() {
        double ce = 0;
        int[] y = {2, 0};
        for (int r = 0; r < 2; r++) {
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                sum += Math.exp(ZS[r * 3 + c]);
            }
            ce += -(ZS[r * 3 + y[r]] - Math.log(sum)) / 2;
        }
        double expected = 0.5 * 1.375 + 0.3 * ce;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray zs = m.create(ZS, new Shape(2, 3));
            // the weights enter as float multipliers (0.3f ≠ 0.3): agreement to ~1e-8
            assertEquals(expected, objective(m, zs), 1e-7);
            zs.setRequiresGradient(true);
            double[] analytic;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Batch batch = new Batch(m.zeros(new Shape(2, 1)), m.create(y), new int[] {0, 1}, y.clone());
                Knowledge teacher = new Knowledge(Outputs.ofLogits(m.create(ZT, new Shape(2, 3))));
                gc.backward(new LogitMatching(0.5, 0.3).objective().compute(Outputs.ofLogits(zs), teacher, batch)
                        .total());
                analytic = zs.getGradient().toDoubleArray();
            }
            double h = 1e-6;
            for (int i = 0; i < ZS.length; i++) {
                double[] plus = ZS.clone();
                double[] minus = ZS.clone();
                plus[i] += h;
                minus[i] -= h;
                double numeric = (objective(m, m.create(plus, new Shape(2, 3)))
                        - objective(m, m.create(minus, new Shape(2, 3)))) / (2 * h);
                assertEquals(numeric, analytic[i], 1e-6, "d/dz_s[" + i + "]");
            }
        }
    }
}

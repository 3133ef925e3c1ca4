package org.distill4j.loss.relation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.data.Batch;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.LossValue;
import org.distill4j.model.TapException;
import org.distill4j.testing.GradientCheck;
import org.junit.jupiter.api.Test;

class CrdLossTest {
    // B = 4 samples with ids 7, 2, 5, 0 out of 10; student features of 3 values, teacher of 2.
    static final int[] IDS = {7, 2, 5, 0};
    static final int[] LABELS = {1, 0, 2, 1};
    static final double[] S = {0.5, -1.0, 2.0, 1.5, 0.2, -0.7, -0.4, 0.9, 0.6, 1.1, 1.3, -0.2};
    static final double[] T = {1.0, 0.2, -0.5, 1.4, 0.8, -0.9, 0.1, 0.3};
    static final double[] Z = {1.0, 0.1, -0.3, 0.2, 0.4, 1.2, -0.5, 0.7, 0.0, 0.3, 0.3, -0.1};
    static final int TRAIN = 8;
    static final int ID_BOUND = 10;
    static final double TAU = 0.5;
    static final double MOMENTUM = 0.5;

    /** 50 negatives asked for, 8 training samples: 8 are drawn. */
    static CrdLoss newLoss() {
        return new CrdLoss("embedding", "embedding", 3, TAU, 0.8, 50, MOMENTUM);
    }

    static CrdLoss bound(Adapters adapters, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        CrdLoss loss = newLoss();
        loss.bind(new Binding(Fixtures.shapes("student", "embedding", new Shape(3)),
                Fixtures.shapes("teacher", "embedding", new Shape(2)), TRAIN, ID_BOUND, adapters));
        return loss;
    }

    static Batch batch(NDManager m, int[] ids, int[] labels) {
        return new Batch(m.zeros(new Shape(ids.length, 1)), m.create(labels), ids.clone(), labels.clone());
    }

    /** Rows of a flat array reordered: row i of the result is row order[i] of the input. */
    static double[] permute(double[] flat, int width, int[] order) {
        double[] out = new double[flat.length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(flat, order[i] * width, out, i * width, width);
        }
        return out;
    }

    static LossValue compute(NDManager m, DistillationLoss loss, NDArray s, NDArray t, Batch b, long seed) {
        Engine.getInstance().setRandomSeed((int) seed); // the step runner seeds each step the same way
        int n = b.size();
        return new WeightedSum(1, loss).compute(Fixtures.outputs(m.create(permuteLogits(b), new Shape(n, 3)), "embedding", s),
                Fixtures.knowledge(m.create(permuteLogits(b), new Shape(n, 3)), "embedding", t), b);
    }

    /** The logits rows that go with the batch's ids (so a shuffled batch carries the same samples). */
    static double[] permuteLogits(Batch b) {
        int[] order = new int[b.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = indexOf(IDS, b.ids()[i]);
        }
        return permute(Z, 3, order);
    }

    static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        throw new IllegalArgumentException();
    }

    static double[][] matrix(NDArray a) {
        float[] v = a.toFloatArray();
        int rows = (int) a.getShape().get(0);
        int cols = v.length / rows;
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i][j] = v[i * cols + j];
            }
        }
        return out;
    }

    /** unit(W·x + b) per row, by loops. */
    static double[][] project(double[][] x, double[][] w, double[] bias) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double[] y = new double[w.length];
            for (int o = 0; o < w.length; o++) {
                y[o] = bias[o] + Reference.dot(w[o], x[i]);
            }
            out[i] = Reference.unit(y);
        }
        return out;
    }

    /** −mean_i log softmax([a_i·p_i, a_i·M[n_k] for n_k ≠ id_i] / τ)[0], by loops. */
    static double infoNce(double[][] a, double[][] p, double[][] bank, long[] negatives, int[] ids) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            List<Double> logits = new ArrayList<>();
            logits.add(Reference.dot(a[i], p[i]) / TAU);
            for (long n : negatives) {
                if (n != ids[i]) {
                    logits.add(Reference.dot(a[i], bank[(int) n]) / TAU);
                }
            }
            double max = logits.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            double lse = max + Math.log(logits.stream().mapToDouble(l -> Math.exp(l - max)).sum());
            sum += lse - logits.get(0);
        }
        return sum / a.length;
    }

    @Test
    void valueAndBankUpdateMatchHandComputation() {
        try (NDManager m = NDManager.newBaseManager(); Adapters adapters = new Adapters(m)) {
            CrdLoss loss = bound(adapters, 3);
            double[][] ws = matrix(loss.studentHead.weight.getArray());
            double[] bs = matrix(loss.studentHead.bias.getArray().reshape(1, -1))[0];
            double[][] wt = matrix(loss.teacherHead.weight.getArray());
            double[] bt = matrix(loss.teacherHead.bias.getArray().reshape(1, -1))[0];
            double[][] studentBank = matrix(loss.studentBank);
            double[][] teacherBank = matrix(loss.teacherBank);
            for (double[] row : studentBank) {
                assertEquals(1, Math.sqrt(Reference.dot(row, row)), 1e-5, "banks start as unit rows");
            }

            LossValue v = compute(m, loss, m.create(S, new Shape(4, 3)), m.create(T, new Shape(4, 2)),
                    batch(m, IDS, LABELS), 5);
            long[] negatives = loss.lastNegatives.toLongArray();
            assertEquals(TRAIN, negatives.length, "N is capped at the training set's size");
            boolean ownSampleDrawn = false;
            for (long n : negatives) {
                assertTrue(n >= 0 && n < ID_BOUND);
                ownSampleDrawn |= n == 7 || n == 2 || n == 5 || n == 0;
            }
            assertTrue(ownSampleDrawn, "the case where an anchor's own sample is drawn, and masked, arises");

            double[][] vs = project(Reference.rows(S, 4), ws, bs);
            double[][] vt = project(Reference.rows(T, 4), wt, bt);
            double crd = 0.8 * (infoNce(vs, vt, teacherBank, negatives, IDS) + infoNce(vt, vs, studentBank, negatives, IDS));
            double ce = Reference.crossEntropy(Reference.rows(Z, 4), LABELS);
            assertEquals(crd, v.terms().get(CrdLoss.TERM).getDouble(), 1e-9);
            assertEquals(ce + crd, v.total().getDouble(), 1e-9);

            // the batch's rows, by sample id, became unit(m·old + (1 − m)·v); the others did not move
            double[][] studentAfter = matrix(loss.studentBank);
            double[][] teacherAfter = matrix(loss.teacherBank);
            for (int id = 0; id < ID_BOUND; id++) {
                int row = indexOf(new int[] {7, 2, 5, 0, id}, id);
                double[] expectS = studentBank[id];
                double[] expectT = teacherBank[id];
                if (row < 4) {
                    expectS = Reference.unit(mix(studentBank[id], vs[row]));
                    expectT = Reference.unit(mix(teacherBank[id], vt[row]));
                }
                assertArrayEquals(expectS, studentAfter[id], 1e-6, "student bank row " + id);
                assertArrayEquals(expectT, teacherAfter[id], 1e-6, "teacher bank row " + id);
            }
        }
    }

    static double[] mix(double[] old, double[] v) {
        double[] out = new double[old.length];
        for (int i = 0; i < old.length; i++) {
            out[i] = MOMENTUM * old[i] + (1 - MOMENTUM) * v[i];
        }
        return out;
    }

    @Test
    void shuffledBatchReadsAndWritesTheSameRows() {
        int[] order = {2, 3, 0, 1};
        int[] shuffledIds = {IDS[2], IDS[3], IDS[0], IDS[1]};
        int[] shuffledLabels = {LABELS[2], LABELS[3], LABELS[0], LABELS[1]};
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m); Adapters b = new Adapters(m)) {
            CrdLoss plain = bound(a, 3);
            CrdLoss shuffled = bound(b, 3);
            float before = plain.studentBank.sum().getFloat();
            double v1 = compute(m, plain, m.create(S, new Shape(4, 3)), m.create(T, new Shape(4, 2)),
                    batch(m, IDS, LABELS), 5).total().getDouble();
            double v2 = compute(m, shuffled, m.create(permute(S, 3, order), new Shape(4, 3)),
                    m.create(permute(T, 2, order), new Shape(4, 2)), batch(m, shuffledIds, shuffledLabels), 5)
                    .total().getDouble();
            assertEquals(v1, v2, 1e-5);
            assertNotEquals(before, plain.studentBank.sum().getFloat(), "the step wrote the bank");
            assertArrayEquals(plain.studentBank.toFloatArray(), shuffled.studentBank.toFloatArray(), 1e-6f);
            assertArrayEquals(plain.teacherBank.toFloatArray(), shuffled.teacherBank.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void stateRoundTripsThroughAdaptersWriteAndRead() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m); Adapters b = new Adapters(m)) {
            CrdLoss first = bound(a, 3);
            compute(m, first, m.create(S, new Shape(4, 3)), m.create(T, new Shape(4, 2)), batch(m, IDS, LABELS), 5);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            a.write(new DataOutputStream(bytes));

            CrdLoss second = bound(b, 99); // other initial weights and banks
            assertNotEquals(first.studentBank.sum().getFloat(), second.studentBank.sum().getFloat());
            b.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            assertArrayEquals(first.studentBank.toFloatArray(), second.studentBank.toFloatArray());
            assertArrayEquals(first.teacherBank.toFloatArray(), second.teacherBank.toFloatArray());
            assertArrayEquals(first.studentHead.weight.getArray().toFloatArray(),
                    second.studentHead.weight.getArray().toFloatArray());
            // the next step is the same from either
            double next1 = compute(m, first, m.create(S, new Shape(4, 3)),
                    m.create(T, new Shape(4, 2)), batch(m, IDS, LABELS), 6).total().getDouble();
            double next2 = compute(m, second, m.create(S, new Shape(4, 3)), m.create(T, new Shape(4, 2)),
                    batch(m, IDS, LABELS), 6).total().getDouble();
            assertEquals(next1, next2, 0.0);
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Adapters> opened = new ArrayList<>();
            try {
                // each evaluation starts from the same heads, banks and negatives
                GradientCheck.assertGradient(s -> {
                    Adapters a = new Adapters(m);
                    opened.add(a);
                    return compute(m, bound(a, 3), s, m.create(T, new Shape(4, 2)), batch(m, IDS, LABELS), 5).total();
                }, S, new Shape(4, 3));
            } finally {
                opened.forEach(Adapters::close);
            }
        }
    }

    @Test
    void missingOrUnusableTapsNameBothTaps() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            TapException missing = assertThrows(TapException.class, () -> newLoss().bind(new Binding(
                    Fixtures.shapes("student", "fc", new Shape(3)),
                    Fixtures.shapes("teacher", "embedding", new Shape(2)), TRAIN, ID_BOUND, a)));
            assertTrue(missing.getMessage().contains("student tap 'embedding' (missing")
                    && missing.getMessage().contains("[fc, logits]")
                    && missing.getMessage().contains("teacher tap 'embedding' (shape (2))"), missing.getMessage());
            TapException scalar = assertThrows(TapException.class, () -> newLoss().bind(new Binding(
                    Fixtures.shapes("student", "embedding", new Shape()),
                    Fixtures.shapes("teacher", "embedding", new Shape(2)), TRAIN, ID_BOUND, a)));
            assertTrue(scalar.getMessage().contains("student tap 'embedding' has shape ()")
                    && scalar.getMessage().contains("teacher tap 'embedding' has shape (2)"), scalar.getMessage());
        }
    }

    /** In float32, as in training (the heads' weights learn only then, see {@link Projection}). */
    @Test
    void teacherTapReceivesNoGradientButItsHeadLearns() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            CrdLoss loss = bound(a, 3);
            NDArray s = m.create(S, new Shape(4, 3)).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            NDArray t = m.create(T, new Shape(4, 2)).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            s.setRequiresGradient(true);
            t.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(compute(m, loss, s, t, batch(m, IDS, LABELS), 5).total());
            }
            assertTrue(Fixtures.gradientMass(s) > 0);
            assertEquals(0.0, Fixtures.gradientMass(t));
            assertTrue(Fixtures.gradientMass(loss.teacherHead.weight.getArray()) > 0, "the teacher's head is trained");
        }
    }
}

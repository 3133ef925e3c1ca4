package org.distill4j.cooperative;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.distill4j.data.Dataset;
import org.distill4j.data.FashionMnist;
import org.distill4j.testing.Slice;
import org.junit.jupiter.api.Test;

/** Cooperative distillation: the search, the targets, what crosses between learners, bad parameters. */
class CooperationTest {
    private static final long[] SHAPE6 = {6};
    // Tribuo logs every fit through java.util.logging at INFO: kept quiet here (held: loggers are weakly referenced)
    private static final java.util.logging.Logger TRIBUO = java.util.logging.Logger.getLogger("org.tribuo");

    static {
        TRIBUO.setLevel(java.util.logging.Level.WARNING);
    }

    /** Two overlapping classes in 6 features: class c has mean ±1 in every feature, unit noise. */
    private static float[][] blobs(int n, int[] labels, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][6];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            for (int d = 0; d < 6; d++) {
                x[i][d] = (float) ((labels[i] == 0 ? -0.7 : 0.7) + r.nextGaussian());
            }
        }
        return x;
    }

    @Test
    void virtualTargetsFollowTheFormulaOnAHandCase() {
        CounterfactualSearch s = new CounterfactualSearch(10, 0.9, 0.5);
        // f + 0.5·(onehot(1) − f) for f = (0.6, 0.3, 0.1): (0.3, 0.65, 0.05)
        assertArrayEquals(new float[] {0.3f, 0.65f, 0.05f}, s.target(new float[] {0.6f, 0.3f, 0.1f}, 1), 1e-6f);
        // mix 0: i's output unchanged; mix 1: the label
        assertArrayEquals(new float[] {0.6f, 0.3f, 0.1f},
                new CounterfactualSearch(10, 0.9, 0).target(new float[] {0.6f, 0.3f, 0.1f}, 1), 1e-6f);
        assertArrayEquals(new float[] {0, 1, 0},
                new CounterfactualSearch(10, 0.9, 1).target(new float[] {0.6f, 0.3f, 0.1f}, 1), 1e-6f);
    }

    @Test
    void prototypesAreConfidenceWeightedMeansOfTheCorrectlyClassified() {
        float[][] x = {{0, 0}, {2, 2}, {10, 10}, {4, 4}};
        int[] y = {0, 0, 0, 1};
        // the third instance of class 0 is misclassified: left out; weights 0.5 and 1.0
        float[][] p = {{0.5f, 0.5f}, {1, 0}, {0, 1}, {0, 1}};
        float[][] proto = CounterfactualSearch.prototypes(x, y, p, 3);
        assertArrayEquals(new float[] {4f / 3, 4f / 3}, proto[0], 1e-6f);
        assertArrayEquals(new float[] {4, 4}, proto[1], 1e-6f);
        assertEquals(null, proto[2]);
    }

    @Test
    void theSearchMovesATreesPredictionTowardTheTrueClass() {
        int[] y = new int[400];
        float[][] x = blobs(400, y, 1);
        TribuoLearner tree = new TribuoLearner(TribuoLearner.Kind.TREE, 2, 3, 1, 1);
        assertSearchRaisesConfidence(tree, x, y);
    }

    @Test
    void theSearchMovesAnMlpsPredictionTowardTheTrueClass() {
        int[] y = new int[400];
        float[][] x = blobs(400, y, 2);
        try (NDManager root = NDManager.newBaseManager();
                Learner mlp = new LearnerSpec("mlp", "mlp", null, null, 3, null, List.of(16), null, 32)
                        .create(SHAPE6, 2, root)) {
            assertSearchRaisesConfidence(mlp, x, y);
        }
    }

    private static void assertSearchRaisesConfidence(Learner learner, float[][] x, int[] y) {
        learner.fit(x, Cooperation.oneHot(y, 2), 7);
        float[][] p = learner.predict(x);
        List<float[]> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Cooperation.argMax(p[i]) == y[i] && p[i][y[i]] < 0.9) {
                xs.add(x[i]);
                ys.add(y[i]);
            }
        }
        assertTrue(xs.size() >= 10, "instances right but unsure: " + xs.size());
        CounterfactualSearch search = new CounterfactualSearch(10, 0.95, 0.5);
        float[][] protos = CounterfactualSearch.prototypes(x, y, p, 2);
        List<CounterfactualSearch.Virtual> made = search.search(learner, View.pixels(), SHAPE6,
                xs.toArray(float[][]::new), ys.stream().mapToInt(Integer::intValue).toArray(), protos);
        assertTrue(made.size() >= xs.size() / 2, made.size() + " virtual instances of " + xs.size());
        for (CounterfactualSearch.Virtual v : made) {
            float[] f = learner.predict(new float[][] {v.x()})[0];
            assertEquals(v.after(), f[v.label()], 1e-6, "the reported confidence is the learner's");
            assertTrue(f[v.label()] > v.before(), "confidence " + v.before() + " → " + f[v.label()]);
            assertArrayEquals(search.target(f, v.label()), v.target(), 1e-6f);
        }
    }

    /** Records every row a learner is given, and passes them on. */
    private static final class Recording implements Learner {
        final Learner inner;
        final List<float[]> fitted = new ArrayList<>();
        final List<float[]> predicted = new ArrayList<>();

        Recording(Learner inner) {
            this.inner = inner;
        }

        @Override
        public void fit(float[][] rows, float[][] targets, long seed) {
            fitted.addAll(Arrays.asList(rows));
            inner.fit(rows, targets, seed);
        }

        @Override
        public float[][] predict(float[][] rows) {
            predicted.addAll(Arrays.asList(rows));
            return inner.predict(rows);
        }

        @Override
        public String describe() {
            return inner.describe();
        }
    }

    @Test
    void noRawRowOfAnotherViewReachesALearner() {
        int[] y = new int[300];
        float[][] train = blobs(300, y, 3);
        int[] ty = new int[100];
        float[][] test = blobs(100, ty, 4);
        List<View> views = List.of(View.columns(0, 1), View.columns(2, 3), View.columns(4, 5));
        List<Recording> rec = new ArrayList<>();
        List<Cooperation.Member> members = new ArrayList<>();
        for (int v = 0; v < 3; v++) {
            Recording r = new Recording(new TribuoLearner(v == 1 ? TribuoLearner.Kind.LOGISTIC : TribuoLearner.Kind.TREE,
                    2, 3, 5, 0.5));
            rec.add(r);
            members.add(new Cooperation.Member("l" + v, views.get(v), r));
        }
        Cooperation.Data data = new Cooperation.Data(train, y, test, ty, test, ty, SHAPE6, 2);
        Cooperation.Result result = new Cooperation(new CounterfactualSearch(10, 0.9, 0.5), 2, 50)
                .run(members, data, 11, s -> {});
        int madeTotal = result.exchanges().stream().flatMap(List::stream).mapToInt(Cooperation.Exchange::made).sum();
        assertTrue(madeTotal > 0, "some virtual instances were exchanged");
        for (int j = 0; j < 3; j++) {
            Set<String> own = rows(views.get(j).apply(train, SHAPE6));
            Set<String> others = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                if (i != j) {
                    others.addAll(rows(views.get(i).apply(train, SHAPE6)));
                }
            }
            for (float[] row : concat(rec.get(j).fitted, rec.get(j).predicted)) {
                assertEquals(2, row.length, "a row of the learner's own width");
                assertFalse(others.contains(Arrays.toString(row)), "l" + j + " was given a training row of another view");
            }
            // what it fitted beyond its own rows: virtual instances, none of them a raw row of its own view
            long virtual = rec.get(j).fitted.stream().filter(r -> !own.contains(Arrays.toString(r))).count();
            int received = 0;
            for (int r = 0; r < result.exchanges().size(); r++) {
                for (Cooperation.Exchange e : result.exchanges().get(r)) {
                    // fits after round r hold what arrived in rounds 1..r
                    received += e.to().equals("l" + j) ? e.made() * (result.exchanges().size() - r) : 0;
                }
            }
            assertEquals(received, virtual, "l" + j + " fitted exactly the virtual instances it received");
        }
        assertEquals(3, result.accuracy().size(), "alone, then two rounds");
        assertEquals(6, result.exchanges().get(0).size(), "every ordered pair");
    }

    private static List<float[]> concat(List<float[]> a, List<float[]> b) {
        List<float[]> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static Set<String> rows(float[][] rows) {
        Set<String> out = new HashSet<>();
        for (float[] r : rows) {
            out.add(Arrays.toString(r));
        }
        return out;
    }

    @Test
    void fourKindsOfLearnersCooperateOnTheSlice() {
        FashionMnist.Splits s = FashionMnist.load(Slice.dir());
        Dataset train = s.train().head(300);
        Dataset test = s.test().head(100);
        CooperativeSpec spec = new CooperativeSpec(List.of(
                new LearnerSpec("tree", "tree", new View("summary", null), 6, null, null, null, null, null),
                new LearnerSpec("logistic", "logistic", new View("downsample", null), null, 2, null, null, null, null),
                new LearnerSpec("mlp", "mlp", null, null, 2, null, List.of(32), null, null),
                new LearnerSpec("cnn", "cnn", null, null, 1, null, List.of(16), List.of(4, 8), null)),
                1, null, 5, null, 20);
        try (NDManager root = NDManager.newBaseManager()) {
            List<Cooperation.Member> members = spec.members(train.sampleShape(), 10, root);
            Cooperation.Result r = spec.cooperation().run(members, Cooperation.Data.of(train, test, test), 5, t -> {});
            members.forEach(m -> m.learner().close());
            assertEquals(2, r.accuracy().size());
            assertEquals(12, r.exchanges().get(0).size());
            r.accuracy().forEach(a -> a.values().forEach(v -> assertTrue(v >= 0 && v <= 1, "accuracy " + v)));
            // alone, the tree, the logistic regression and the MLP learn (the 1-epoch CNN barely does)
            for (String n : List.of("tree", "logistic", "mlp")) {
                assertTrue(r.accuracy().get(0).get(n) > 0.4, n + " alone: " + r.accuracy().get(0).get(n));
            }
            assertEquals(4, r.kd().size());
        }
    }

    /** Keeps the state as JSON (as the bench's file does) and fails once, after saving round {@code failAfter}. */
    private static final class FailingStore implements Cooperation.Rounds {
        String json;
        int failAfter;

        FailingStore(int failAfter) {
            this.failAfter = failAfter;
        }

        @Override
        public Cooperation.State load() throws java.io.IOException {
            return json == null ? null : org.distill4j.report.RunRecord.JSON.readValue(json, Cooperation.State.class);
        }

        @Override
        public void save(Cooperation.State state) throws java.io.IOException {
            json = org.distill4j.report.RunRecord.JSON.writeValueAsString(state);
            if (state.round() == failAfter) {
                failAfter = -1;
                throw new java.io.IOException("stopped after round " + state.round());
            }
        }
    }

    @Test
    void aRunStoppedAfterARoundResumesToTheSameResult() throws Exception {
        int[] y = new int[200];
        float[][] train = blobs(200, y, 5);
        int[] ty = new int[60];
        float[][] test = blobs(60, ty, 6);
        Cooperation.Data data = new Cooperation.Data(train, y, test, ty, test, ty, SHAPE6, 2);
        CooperativeSpec spec = new CooperativeSpec(List.of(
                new LearnerSpec("tree", "tree", View.columns(0, 1, 2), 3, null, null, null, null, null),
                new LearnerSpec("logistic", "logistic", View.columns(3, 4), null, null, null, null, null, null),
                new LearnerSpec("mlp", "mlp", View.columns(1, 5), null, 2, null, List.of(8), null, 16)),
                3, null, null, null, 20);
        try (NDManager root = NDManager.newBaseManager()) {
            List<Cooperation.Member> members = spec.members(SHAPE6, 2, root);
            Cooperation.Result whole = spec.cooperation().run(members, data, 9, t -> {});
            FailingStore store = new FailingStore(1);
            assertThrows(java.io.IOException.class, () -> spec.cooperation().run(members, data, 9, t -> {}, store));
            assertEquals(1, store.load().round());
            List<String> lines = new ArrayList<>();
            Cooperation.Result resumed = spec.cooperation().run(members, data, 9, lines::add, store);
            assertTrue(lines.get(0).startsWith("resuming after round 1"), lines.get(0));
            assertTrue(lines.stream().noneMatch(l -> l.startsWith("round 0") || l.startsWith("round 1")), "" + lines);
            assertEquals(whole, resumed);
            members.forEach(m -> m.learner().close());
        }
    }

    @Test
    void badParametersNameTheKey() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CounterfactualSearch(0, 0.9, 0.5))
                .getMessage().startsWith("searchSteps: must be in [1, 1000]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CounterfactualSearch(10, 0, 0.5))
                .getMessage().startsWith("stopConfidence:"));
        assertEquals("mix: must be in [0, 1] (got 1.5)",
                assertThrows(IllegalArgumentException.class, () -> new CounterfactualSearch(10, 0.9, 1.5)).getMessage());
        LearnerSpec tree = new LearnerSpec("a", "tree", null, null, null, null, null, null, null);
        assertEquals("learners: cooperative distillation needs at least 2 (got 1)", assertThrows(
                IllegalArgumentException.class, () -> new CooperativeSpec(List.of(tree), 1, null, null, null, null))
                .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new CooperativeSpec(List.of(tree, tree), 1, null, null, null, null)).getMessage()
                .startsWith("learners: names repeat"));
        LearnerSpec b = new LearnerSpec("b", "logistic", null, null, null, null, null, null, null);
        assertEquals("rounds: must be in [1, 100] (got 0)", assertThrows(IllegalArgumentException.class,
                () -> new CooperativeSpec(List.of(tree, b), 0, null, null, null, null)).getMessage());
        assertEquals("learners.x.kind: must be one of [tree, logistic, mlp, cnn] (got svm)", assertThrows(
                IllegalArgumentException.class, () -> new LearnerSpec("x", "svm", null, null, null, null, null, null,
                        null)).getMessage());
        assertEquals("learners.x.depth: must be in [1, 64] (got 0)", assertThrows(IllegalArgumentException.class,
                () -> new LearnerSpec("x", "tree", null, 0, null, null, null, null, null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new View("crop", null)).getMessage()
                .startsWith("view: must be one of"));
        LearnerSpec far = new LearnerSpec("x", "tree", View.columns(0, 9), null, null, null, null, null, null);
        assertEquals("learners.x.view.columns: column 9 is out of range (instances have 6 features)",
                assertThrows(IllegalArgumentException.class, () -> far.create(SHAPE6, 2, null)).getMessage());
        LearnerSpec cnn = new LearnerSpec("c", "cnn", new View("summary", null), null, null, null, null, null, null);
        assertEquals("learners.c: a cnn needs an image view (pixels or downsample), not summary",
                assertThrows(IllegalArgumentException.class, () -> cnn.create(new long[] {1, 28, 28}, 10, null))
                        .getMessage());
    }

    @Test
    void viewsComputeWhatTheySay() {
        float[] img = new float[16];
        Arrays.setAll(new int[16], i -> 0);
        for (int i = 0; i < 16; i++) {
            img[i] = i;
        }
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f},
                new View("downsample", null).apply(img, new long[] {1, 4, 4}), 1e-6f);
        assertArrayEquals(new float[] {3, 1}, View.columns(3, 1).apply(img, new long[] {16}), 1e-6f);
    }
}

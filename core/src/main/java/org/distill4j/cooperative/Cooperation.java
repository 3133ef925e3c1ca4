package org.distill4j.cooperative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.distill4j.data.Dataset;
import org.distill4j.train.Seeds;

/**
 * Cooperative distillation's rounds (Livanos et al., AAAI 2024) over learners of any kind, each on
 * its own view. Round 0 fits every learner alone on its view of the training rows. In each round,
 * for every ordered pair (i, j), {@code R(i→j)} is the training instances i gets right and j gets
 * wrong (known from their outputs); for at most {@code maxVirtual} of them (a seeded choice) i makes
 * a virtual instance by {@link CounterfactualSearch}; j receives each through its own view with
 * its soft target. Then every learner is refitted from scratch, with the same seed, on its own rows
 * plus all the virtual instances it has received so far (they accumulate over rounds).
 *
 * <p>What crosses between learners: predictions (to form {@code R(i→j)}) and virtual instances, in
 * the receiver's view. A learner's {@link Learner#fit} and {@link Learner#predict} only ever get
 * rows of its own view: its training rows, virtual instances, and (for i's search) the
 * candidates on the segment toward i's prototype.
 *
 * <p>The comparison: plain KD from the best learner (by validation accuracy when alone): every
 * other learner refitted on its own rows with targets {@code mix·f_best(x) + (1 − mix)·onehot(y)}
 * (Hinton's KD at {@code T = 1}, {@code α = mix}).
 */
public final class Cooperation {
    /** A learner with its name and view. */
    public record Member(String name, View view, Learner learner) {}

    /** The training, validation and test instances in the shared space. */
    public record Data(float[][] train, int[] trainLabels, float[][] validation, int[] validationLabels,
            float[][] test, int[] testLabels, long[] shape, int numClasses) {
        /** Rows of a dataset in the shared space. */
        public static float[][] rows(Dataset d) {
            float[][] out = new float[d.size()][d.featureSize()];
            for (int i = 0; i < d.size(); i++) {
                d.copyFeatures(i, out[i], 0);
            }
            return out;
        }

        public static Data of(Dataset train, Dataset validation, Dataset test) {
            return new Data(rows(train), train.labels(), rows(validation), validation.labels(), rows(test),
                    test.labels(), train.sampleShape(), train.numClasses());
        }
    }

    /** One pair's exchange in a round: |R(i→j)|, how many were searched, how many virtual instances were made. */
    public record Exchange(String from, String to, int disagreements, int searched, int made, double meanBefore,
            double meanAfter) {}

    /**
     * The outcome. {@code accuracy.get(r).get(name)}: test accuracy after round r (0 = alone);
     * {@code kd}: test accuracy of each learner distilled from {@code best} (the best's own is its
     * alone accuracy).
     */
    public record Result(Map<String, String> learners, List<Map<String, Double>> accuracy,
            Map<String, Double> validationAlone, String best, Map<String, Double> kd, List<List<Exchange>> exchanges) {}

    /**
     * Where the state after each finished round is kept, so an interrupted run resumes after its last
     * finished round: the state is the virtual instances each learner has received (learners are
     * refitted from them, deterministically) and the accuracies and exchanges so far.
     */
    public interface Rounds {
        /** The state saved last, or null to start from the learners alone. */
        State load() throws java.io.IOException;

        void save(State state) throws java.io.IOException;

        Rounds NONE = new Rounds() {
            @Override
            public State load() {
                return null;
            }

            @Override
            public void save(State state) {}
        };
    }

    /** The state after round {@code round} (0: the learners alone). */
    public record State(int round, List<List<CounterfactualSearch.Virtual>> received,
            List<Map<String, Double>> accuracy, Map<String, Double> validationAlone, List<List<Exchange>> exchanges) {}

    private final CounterfactualSearch search;
    private final int rounds;
    private final int maxVirtual;

    public Cooperation(CounterfactualSearch search, int rounds, int maxVirtual) {
        if (rounds < 1 || rounds > 100) {
            throw new IllegalArgumentException("rounds: must be in [1, 100] (got " + rounds + ")");
        }
        if (maxVirtual < 1) {
            throw new IllegalArgumentException("maxVirtual: must be ≥ 1 (got " + maxVirtual + ")");
        }
        this.search = search;
        this.rounds = rounds;
        this.maxVirtual = maxVirtual;
    }

    /** Runs the rounds and the KD comparison; {@code progress} hears one line per stage. */
    public Result run(List<Member> members, Data data, long seed, Consumer<String> progress) {
        try {
            return run(members, data, seed, progress, Rounds.NONE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** As above, saving the state after every round to {@code store} and resuming from what it holds. */
    public Result run(List<Member> members, Data data, long seed, Consumer<String> progress, Rounds store)
            throws java.io.IOException {
        if (members.size() < 2) {
            throw new IllegalArgumentException("learners: cooperative distillation needs at least 2 (got "
                    + members.size() + ")");
        }
        int m = members.size();
        int k = data.numClasses();
        // each learner's own view of the training rows: computed once, never handed to another
        List<float[][]> own = new ArrayList<>();
        List<List<CounterfactualSearch.Virtual>> received = new ArrayList<>();
        Map<String, String> kinds = new LinkedHashMap<>();
        for (Member mb : members) {
            mb.view().shape(data.shape());
            own.add(mb.view().apply(data.train(), data.shape()));
            received.add(new ArrayList<>());
            kinds.put(mb.name(), mb.learner().describe() + " on " + describe(mb.view()));
        }
        float[][] hard = oneHot(data.trainLabels(), k);
        List<Map<String, Double>> accuracy = new ArrayList<>();
        List<List<Exchange>> exchanges = new ArrayList<>();
        Map<String, Double> validationAlone = new LinkedHashMap<>();
        int start = 0;
        State saved = store.load();
        if (saved != null) {
            if (saved.received().size() != m || saved.round() > rounds) {
                throw new IllegalStateException("the saved rounds are of another run (" + saved.received().size()
                        + " learners, round " + saved.round() + "): delete them to start again");
            }
            start = saved.round() + 1;
            accuracy.addAll(saved.accuracy());
            validationAlone.putAll(saved.validationAlone());
            exchanges.addAll(saved.exchanges());
            for (int j = 0; j < m; j++) {
                received.get(j).addAll(saved.received().get(j));
                if (start <= rounds) {
                    progress.accept("resuming after round " + saved.round() + ": refitting " + members.get(j).name());
                    fitWith(members.get(j), own.get(j), hard, received.get(j), data.shape(),
                            Seeds.derive(seed, members.get(j).name()));
                }
            }
        }
        for (int r = start; r <= rounds; r++) {
            if (r > 0) {
                List<Exchange> ex = new ArrayList<>();
                List<float[][]> preds = new ArrayList<>();
                for (int i = 0; i < m; i++) {
                    preds.add(members.get(i).learner().predict(own.get(i)));
                }
                for (int i = 0; i < m; i++) {
                    float[][] protos = CounterfactualSearch.prototypes(data.train(), data.trainLabels(), preds.get(i), k);
                    for (int j = 0; j < m; j++) {
                        if (i == j) {
                            continue;
                        }
                        int[] pick = disagreements(preds.get(i), preds.get(j), data.trainLabels());
                        int found = pick.length;
                        pick = choose(pick, Seeds.derive(seed, "pick " + r + " " + i + " " + j));
                        float[][] xs = new float[pick.length][];
                        int[] ys = new int[pick.length];
                        for (int q = 0; q < pick.length; q++) {
                            xs[q] = data.train()[pick[q]];
                            ys[q] = data.trainLabels()[pick[q]];
                        }
                        Member mi = members.get(i);
                        List<CounterfactualSearch.Virtual> made = search.search(mi.learner(), mi.view(), data.shape(),
                                xs, ys, protos);
                        received.get(j).addAll(made);
                        ex.add(new Exchange(mi.name(), members.get(j).name(), found, pick.length, made.size(),
                                made.stream().mapToDouble(CounterfactualSearch.Virtual::before).average().orElse(Double.NaN),
                                made.stream().mapToDouble(CounterfactualSearch.Virtual::after).average().orElse(Double.NaN)));
                    }
                }
                exchanges.add(ex);
            }
            Map<String, Double> acc = new LinkedHashMap<>();
            for (int j = 0; j < m; j++) {
                Member mj = members.get(j);
                progress.accept("round " + r + ": fitting " + mj.name() + " on " + own.get(j).length + " rows + "
                        + received.get(j).size() + " virtual instances");
                fitWith(mj, own.get(j), hard, received.get(j), data.shape(), Seeds.derive(seed, mj.name()));
                acc.put(mj.name(), accuracy(mj, data.test(), data.testLabels(), data.shape()));
                if (r == 0) {
                    validationAlone.put(mj.name(), accuracy(mj, data.validation(), data.validationLabels(), data.shape()));
                }
            }
            accuracy.add(acc);
            store.save(new State(r, received, accuracy, validationAlone, exchanges));
        }
        // plain KD from the best learner alone, as the comparison
        String best = validationAlone.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        Member bm = members.stream().filter(x -> x.name().equals(best)).findFirst().orElseThrow();
        fitWith(bm, own.get(members.indexOf(bm)), hard, List.of(), data.shape(), Seeds.derive(seed, best));
        float[][] teacher = bm.learner().predict(own.get(members.indexOf(bm)));
        float[][] kdTargets = new float[hard.length][k];
        for (int q = 0; q < hard.length; q++) {
            for (int c = 0; c < k; c++) {
                kdTargets[q][c] = (float) (search.mix() * teacher[q][c] + (1 - search.mix()) * hard[q][c]);
            }
        }
        Map<String, Double> kd = new LinkedHashMap<>();
        for (int j = 0; j < m; j++) {
            Member mj = members.get(j);
            if (mj == bm) {
                kd.put(mj.name(), accuracy.get(0).get(best));
                continue;
            }
            progress.accept("kd from " + best + ": fitting " + mj.name());
            mj.learner().fit(own.get(j), kdTargets, Seeds.derive(seed, mj.name()));
            kd.put(mj.name(), accuracy(mj, data.test(), data.testLabels(), data.shape()));
        }
        return new Result(kinds, accuracy, validationAlone, best, kd, exchanges);
    }

    /** Fits a learner on its own rows (hard targets) and the virtual instances it received, in its view. */
    static void fitWith(Member mb, float[][] ownRows, float[][] hard, List<CounterfactualSearch.Virtual> virtual,
            long[] shape, long seed) {
        float[][] rows = Arrays.copyOf(ownRows, ownRows.length + virtual.size());
        float[][] targets = Arrays.copyOf(hard, hard.length + virtual.size());
        for (int v = 0; v < virtual.size(); v++) {
            rows[ownRows.length + v] = mb.view().apply(virtual.get(v).x(), shape);
            targets[ownRows.length + v] = virtual.get(v).target();
        }
        mb.learner().fit(rows, targets, seed);
    }

    /** Positions where {@code a} is right and {@code b} wrong. */
    static int[] disagreements(float[][] a, float[][] b, int[] labels) {
        return java.util.stream.IntStream.range(0, labels.length)
                .filter(q -> argMax(a[q]) == labels[q] && argMax(b[q]) != labels[q]).toArray();
    }

    private int[] choose(int[] positions, long seed) {
        if (positions.length <= maxVirtual) {
            return positions;
        }
        int[] order = Dataset.shuffled(positions.length, seed);
        int[] out = new int[maxVirtual];
        for (int q = 0; q < maxVirtual; q++) {
            out[q] = positions[order[q]];
        }
        Arrays.sort(out);
        return out;
    }

    static double accuracy(Member mb, float[][] shared, int[] labels, long[] shape) {
        if (shared.length == 0) {
            return Double.NaN;
        }
        float[][] p = mb.learner().predict(mb.view().apply(shared, shape));
        int right = 0;
        for (int q = 0; q < labels.length; q++) {
            if (argMax(p[q]) == labels[q]) {
                right++;
            }
        }
        return (double) right / labels.length;
    }

    static float[][] oneHot(int[] labels, int k) {
        float[][] out = new float[labels.length][k];
        for (int q = 0; q < labels.length; q++) {
            out[q][labels[q]] = 1;
        }
        return out;
    }

    /** The index of the largest value (the first on ties). */
    public static int argMax(float[] v) {
        int best = 0;
        for (int c = 1; c < v.length; c++) {
            if (v[c] > v[best]) {
                best = c;
            }
        }
        return best;
    }

    private static String describe(View v) {
        return v.type().equals("columns") ? "columns " + v.columns() : v.type();
    }
}

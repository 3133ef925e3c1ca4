package org.distill4j.scheme;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.PeerKnowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.PeerLoss;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.FaultInjection;
import org.distill4j.train.Optimizer;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepRunner;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;

/**
 * Online distillation: K peers learn at the same time, in lockstep, each through the one
 * {@link StepRunner} with its own optimizer, data and batch order. At step s (counted from 0
 * over the phase) every peer takes one step, peer1 first; how they teach each other is the
 * {@link Coupling}: not at all (each peer alone: the controls), deep mutual learning (the other
 * live peers' predictions as they are at that peer's turn, see {@link DmlScheme}) or
 * codistillation (the mean prediction of the others' stale copies, taken when the burn-in ends
 * and refreshed every N steps from then on, see {@link CodistillationScheme}). The loss is {@link PeerLoss}.
 *
 * <p>The loop can start from saved {@link State} (resume) and hands its whole state — every
 * peer's weights, optimizer and progress, and the stale copies — to a {@link Saver} at every
 * epoch end and every {@code everySteps} steps, so a resumed phase ends exactly where an
 * uninterrupted one does.
 */
public final class Online {
    /**
     * One peer.
     *
     * @param name its result name ("peer1", "peer1-alone" …), also its name as a target
     * @param net its network, initialised by the caller
     * @param data what it trains on (the whole training set or its shard)
     * @param shuffleSeed its batch order (peers with equal data and seed see the same batches)
     */
    public record Learner(String name, Network net, Dataset data, long shuffleSeed) {}

    /**
     * How the peers of a phase teach each other.
     *
     * @param kind alone, mutual (dml) or codistillation
     * @param weight weight of the distillation term (1 for dml, 0 alone)
     * @param trainingTargets whether live peers compute targets in training mode (dml)
     * @param refreshSteps steps between refreshes of the stale copies (codistillation)
     * @param burnInSteps steps before the distillation term is switched on (codistillation)
     */
    public record Coupling(Kind kind, double weight, boolean trainingTargets, int refreshSteps, int burnInSteps) {
        /** The kinds of coupling. */
        public enum Kind { ALONE, MUTUAL, CODISTILLATION }

        public Coupling {
            if (!(weight >= 0) || refreshSteps < 1 || burnInSteps < 0) {
                throw new IllegalArgumentException("coupling needs weight ≥ 0, refreshSteps ≥ 1, burnInSteps ≥ 0");
            }
        }

        /** Every peer learns from labels alone. */
        public static Coupling alone() {
            return new Coupling(Kind.ALONE, 0, false, 1, 0);
        }

        /** Deep mutual learning: live targets, weight 1. */
        public static Coupling mutual(boolean trainingTargets) {
            return new Coupling(Kind.MUTUAL, 1, trainingTargets, 1, 0);
        }

        /** Codistillation: stale targets in inference mode, refreshed and switched on as given. */
        public static Coupling codistillation(double weight, int refreshSteps, int burnInSteps) {
            return new Coupling(Kind.CODISTILLATION, weight, false, refreshSteps, burnInSteps);
        }
    }

    /**
     * Everything a phase needs to continue exactly, peers in order.
     *
     * @param staleCopies codistillation's stale copies (empty for other couplings)
     * @param progress each peer's progress
     */
    public record State(List<Network> peers, List<Optimizer> optimizers, List<Network> staleCopies,
            List<TrainingProgress> progress) {}

    /** Restores saved state into what the loop creates (peers' weights, optimizers, stale copies). */
    public interface Restore {
        Restore NONE = state -> {};

        void restore(State state) throws IOException;
    }

    /** Saves the state of a phase; called at epoch ends and every {@link #everySteps()} steps. */
    public interface Saver {
        Saver NONE = new Saver() {
            @Override
            public int everySteps() {
                return 0;
            }

            @Override
            public void save(String phase, State state, double validationAccuracy) {}
        };

        /** Save every this many steps within an epoch (0 = only at epoch ends). */
        int everySteps();

        /** @param validationAccuracy the peers' mean validation accuracy at an epoch end; NaN mid-epoch */
        void save(String phase, State state, double validationAccuracy) throws IOException;
    }

    /** Sees every step before the peers take it (tests): the live peers and the stale copies. */
    public interface Observer {
        Observer NONE = (step, peers, staleCopies) -> {};

        /** @param step 0-based step of the phase; the stale copies are already refreshed if due */
        void beforeStep(long step, List<Network> peers, List<Network> staleCopies);
    }

    private final NDManager root;
    private final TrainListener listener;
    private Observer observer = Observer.NONE;

    public Online(NDManager root, TrainListener listener) {
        this.root = root;
        this.listener = listener;
    }

    /** Lets {@code o} see every step before it is taken (for tests). */
    public Online observe(Observer o) {
        this.observer = o;
        return this;
    }

    /** Trains from scratch without checkpoints; returns each peer's progress. */
    public List<TrainingProgress> train(String phase, List<Learner> learners, TrainSpec spec, Coupling coupling,
            Dataset validation, long seed) throws IOException {
        return train(phase, learners, spec, coupling, validation, seed, null, Restore.NONE, Saver.NONE);
    }

    /**
     * Trains the peers with {@code coupling} from {@code start} (null: from the beginning),
     * evaluating each on {@code validation} after every epoch; returns each peer's final progress.
     *
     * @param seed the phase's seed: step seeds (dropout) derive from it and the peer's name
     */
    public List<TrainingProgress> train(String phase, List<Learner> learners, TrainSpec spec, Coupling coupling,
            Dataset validation, long seed, List<TrainingProgress> start, Restore restore, Saver saver)
            throws IOException {
        int k = learners.size();
        if (k < 2 && coupling.kind() != Coupling.Kind.ALONE) {
            throw new IllegalArgumentException(phase + ": online distillation needs at least 2 peers, got " + k);
        }
        List<BatchLoader> loaders = new ArrayList<>();
        for (Learner l : learners) {
            if (l.data().size() == 0) {
                throw new IllegalArgumentException(phase + ": " + l.name() + " has no training data");
            }
            loaders.add(loader(l.data(), spec.batchSize(), l.shuffleSeed()));
        }
        int perEpoch = stepsPerEpoch(learners.stream().map(Learner::data).toList(), spec.batchSize());
        List<TrainingProgress> progress = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            progress.add(start == null ? TrainingProgress.start() : start.get(i));
        }
        int startEpoch = progress.get(0).epoch();
        int startBatch = progress.get(0).batch();
        List<Sums> sums = new ArrayList<>();
        for (TrainingProgress p : progress) {
            sums.add(new Sums(p));
        }
        List<Network> nets = learners.stream().map(Learner::net).toList();
        StepRunner runner = new StepRunner(root);
        List<Optimizer> optimizers = new ArrayList<>();
        List<Network> stale = new ArrayList<>();
        listener.onStart(phase, spec.epochs(), perEpoch, (long) startEpoch * perEpoch + startBatch);
        try {
            for (Network n : nets) {
                optimizers.add(spec.optimizer().create(n.trainableParameters(), n.manager()));
            }
            if (coupling.kind() == Coupling.Kind.CODISTILLATION) {
                for (Network n : nets) {
                    Network copy = Network.create(n.spec(), n.sampleShape(), n.numClasses(), root);
                    copy.freeze();
                    stale.add(copy);
                }
            }
            restore.restore(new State(nets, optimizers, stale, progress));
            for (int epoch = startEpoch; epoch < spec.epochs(); epoch++) {
                List<int[][]> plans = new ArrayList<>();
                for (BatchLoader loader : loaders) {
                    plans.add(loader.plan(epoch));
                }
                double lr = 0;
                for (int b = epoch == startEpoch ? startBatch : 0; b < perEpoch; b++) {
                    long step = (long) epoch * perEpoch + b;
                    lr = spec.schedule().rate(spec.optimizer().lr(), epoch, b, perEpoch, spec.epochs());
                    boolean distilling = coupling.kind() == Coupling.Kind.MUTUAL
                            || coupling.kind() == Coupling.Kind.CODISTILLATION && step >= coupling.burnInSteps();
                    // the copies are taken when distillation switches on, then every refreshSteps: a
                    // copy from before the burn-in (an untrained network) would only teach noise
                    if (coupling.kind() == Coupling.Kind.CODISTILLATION && step >= coupling.burnInSteps()
                            && (step - coupling.burnInSteps()) % coupling.refreshSteps() == 0) {
                        for (int i = 0; i < k; i++) {
                            copyWeights(nets.get(i), stale.get(i));
                        }
                    }
                    observer.beforeStep(step, nets, stale);
                    double lossSum = 0;
                    for (int i = 0; i < k; i++) {
                        long t0 = System.nanoTime();
                        Learner l = learners.get(i);
                        long stepSeed = Seeds.derive(seed, "step " + epoch + " " + b + " " + l.name());
                        StepRunner.StepResult r = runner.step(l.name(), l.net(), optimizers.get(i),
                                loss(coupling, distilling, learners, i), distilling ? targets(coupling, learners, stale, i) : null,
                                loaders.get(i), spec, plans.get(i)[b], epoch, b, lr, stepSeed);
                        sums.get(i).add(r, (System.nanoTime() - t0) / 1e9);
                        lossSum += r.loss();
                    }
                    long done = step + 1;
                    FaultInjection.maybeHalt(FaultInjection.AFTER_STEP, done);
                    listener.onStep(epoch, b, lossSum / k, lr);
                    if (saver.everySteps() > 0 && done % saver.everySteps() == 0 && b + 1 < perEpoch) {
                        List<TrainingProgress> now = new ArrayList<>();
                        for (Sums s : sums) {
                            now.add(s.progress(epoch, b + 1));
                        }
                        saver.save(phase, new State(nets, optimizers, stale, now), Double.NaN);
                    }
                }
                List<EpochSummary> summaries = new ArrayList<>();
                double accuracySum = 0;
                for (int i = 0; i < k; i++) {
                    long t0 = System.nanoTime();
                    double valLoss = Double.NaN;
                    double valAcc = Double.NaN;
                    if (validation.size() > 0) {
                        Predictions p = Predictions.of(nets.get(i), validation, root);
                        valLoss = Metrics.crossEntropy(p, validation.labels());
                        valAcc = Metrics.accuracy(p, validation.labels());
                    }
                    summaries.add(sums.get(i).endEpoch(learners.get(i).name(), epoch, lr, valLoss, valAcc,
                            (System.nanoTime() - t0) / 1e9));
                    accuracySum += valAcc;
                }
                List<TrainingProgress> now = new ArrayList<>();
                for (Sums s : sums) {
                    now.add(s.progress(epoch + 1, 0));
                }
                saver.save(phase, new State(nets, optimizers, stale, now), accuracySum / k);
                summaries.forEach(listener::onEpochEnd);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            optimizers.forEach(Optimizer::close);
            stale.forEach(Network::close);
        }
        listener.onFinish(phase);
        List<TrainingProgress> end = new ArrayList<>();
        for (Sums s : sums) {
            end.add(s.progress(spec.epochs(), 0));
        }
        return end;
    }

    /** Drops a last partial batch: a batch of one breaks batch norm in training mode. */
    private static BatchLoader loader(Dataset data, int batchSize, long shuffleSeed) {
        return new BatchLoader(data, batchSize, true, shuffleSeed, data.size() > batchSize);
    }

    /**
     * Steps in one epoch of peers training on {@code data} in lockstep: the fewest batches any
     * peer has (shards differing by one sample may differ by one batch; the larger drops it).
     */
    public static int stepsPerEpoch(List<Dataset> data, int batchSize) {
        return data.stream().mapToInt(d -> loader(d, batchSize, 0).batchesPerEpoch()).min().orElseThrow();
    }

    /** Peer i's loss at this step. */
    private static DistillationLoss loss(Coupling coupling, boolean distilling, List<Learner> learners, int i) {
        return switch (coupling.kind()) {
            case ALONE -> WeightedSum.crossEntropy();
            case MUTUAL -> new WeightedSum(1, new PeerLoss(learners.stream().map(Learner::name)
                    .filter(n -> !n.equals(learners.get(i).name())).toList(), coupling.weight()));
            // during the burn-in the term is there, at weight 0, so every epoch reports the same terms
            case CODISTILLATION -> new WeightedSum(1, new PeerLoss(List.of(Outputs.LOGITS),
                    distilling ? coupling.weight() : 0));
        };
    }

    /** Who teaches peer i: the other live peers (dml) or the other peers' stale copies (codistillation). */
    private static KnowledgeSource targets(Coupling coupling, List<Learner> learners, List<Network> stale, int i) {
        Map<String, Network> others = new LinkedHashMap<>();
        for (int j = 0; j < learners.size(); j++) {
            if (j != i) {
                others.put(learners.get(j).name(),
                        coupling.kind() == Coupling.Kind.CODISTILLATION ? stale.get(j) : learners.get(j).net());
            }
        }
        return new PeerKnowledge(others, coupling.trainingTargets());
    }

    /** Makes {@code to} a real copy of {@code from}'s weights, running statistics included. */
    static void copyWeights(Network from, Network to) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        from.writeWeights(new DataOutputStream(bytes));
        to.readWeights(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    /**
     * Cuts {@code data} into {@code k} disjoint parts covering it, sizes differing by at most one:
     * the positions are shuffled with {@code seed}, cut in order, and each part keeps the source
     * order of its samples and their ids.
     */
    public static List<Dataset> shards(Dataset data, int k, long seed) {
        if (k < 1 || k > data.size()) {
            throw new IllegalArgumentException("cannot cut " + data.size() + " samples into " + k + " shards");
        }
        int n = data.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        List<Dataset> out = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            int[] part = Arrays.copyOfRange(order, (int) ((long) n * s / k), (int) ((long) n * (s + 1) / k));
            Arrays.sort(part);
            out.add(data.subset(data.name() + "-shard" + (s + 1) + "of" + k, part));
        }
        return out;
    }

    /** One peer's running sums over the epoch in progress, and its finished epochs. */
    private static final class Sums {
        double lossSum;
        final Map<String, Double> termSums;
        long correct;
        long seen;
        int skipped;
        final List<EpochSummary> history;
        double seconds;

        Sums(TrainingProgress p) {
            lossSum = p.lossSum();
            termSums = new LinkedHashMap<>(p.termSums());
            correct = p.correct();
            seen = p.seen();
            skipped = p.skippedBatches();
            history = new ArrayList<>(p.history());
            seconds = p.seconds();
        }

        void add(StepRunner.StepResult r, double stepSeconds) {
            if (r.skipped()) {
                skipped++;
            } else {
                lossSum += r.loss() * r.samples();
                r.terms().forEach((name, v) -> termSums.merge(name, v * r.samples(), Double::sum));
                correct += r.correct();
                seen += r.samples();
            }
            seconds += stepSeconds;
        }

        EpochSummary endEpoch(String name, int epoch, double lr, double valLoss, double valAcc, double evalSeconds) {
            seconds += evalSeconds;
            long n = Math.max(seen, 1);
            Map<String, Double> termMeans = new LinkedHashMap<>();
            termSums.forEach((t, v) -> termMeans.put(t, v / n));
            double before = history.stream().mapToDouble(EpochSummary::seconds).sum();
            EpochSummary summary = new EpochSummary(name, epoch + 1, lr, lossSum / n, termMeans, (double) correct / n,
                    valLoss, valAcc, seconds - before);
            history.add(summary);
            lossSum = 0;
            termSums.clear();
            correct = 0;
            seen = 0;
            return summary;
        }

        TrainingProgress progress(int epoch, int batch) {
            return new TrainingProgress(epoch, batch, lossSum, termSums, correct, seen, skipped, history, seconds);
        }
    }
}

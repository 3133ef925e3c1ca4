package org.distill4j.scheme;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.knowledge.PeerKnowledge;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.PeerLoss;
import org.distill4j.metric.Churn;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.distill4j.train.Update;

/**
 * Peers learning at the same time, in lockstep — the phase of the online schemes {@link DmlScheme}
 * and {@link CodistillationScheme} and of their alone baselines. At step s (counted from 0 over
 * the phase) every peer takes one update, peer1 first, each on its own feed (data and batch
 * order) with its own optimizer; how they teach each other is the {@link Coupling}: not at all
 * (alone: the controls), deep mutual learning (the other live peers' predictions as they are at
 * that peer's turn) or codistillation (the mean prediction of the others' stale copies, taken
 * when the burn-in ends and refreshed every N steps from then on). The stale copies are frozen
 * participants, so checkpoints hold them as they hold the peers.
 */
public final class Peers {
    private Peers() {}

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

        public static Coupling alone() {
            return new Coupling(Kind.ALONE, 0, false, 1, 0);
        }

        public static Coupling mutual(boolean trainingTargets) {
            return new Coupling(Kind.MUTUAL, 1, trainingTargets, 1, 0);
        }

        public static Coupling codistillation(double weight, int refreshSteps, int burnInSteps) {
            return new Coupling(Kind.CODISTILLATION, weight, false, refreshSteps, burnInSteps);
        }
    }

    /** A phase of peers and the stale copies it owns (closed with it). */
    public record Lockstep(Phase phase, List<Network> staleCopies) implements AutoCloseable {
        @Override
        public void close() {
            staleCopies.forEach(Network::close);
        }
    }

    /**
     * The phase in which {@code learners} train with {@code coupling}; {@code seed} is the phase's
     * seed: step seeds (dropout) derive from it and each peer's name.
     */
    public static Lockstep phase(String name, List<Learner> learners, TrainSpec spec, Coupling coupling,
            Dataset validation, long seed, NDManager root) {
        int k = learners.size();
        if (k < 2 && coupling.kind() != Coupling.Kind.ALONE) {
            throw new IllegalArgumentException(name + ": online distillation needs at least 2 peers, got " + k);
        }
        List<Participant> participants = new ArrayList<>();
        List<Feed> feeds = new ArrayList<>();
        for (Learner l : learners) {
            if (l.data().size() == 0) {
                throw new IllegalArgumentException(name + ": " + l.name() + " has no training data");
            }
            participants.add(Participant.learner(l.name(), l.net(), null, spec));
            feeds.add(Feed.shuffled(l.name(), l.data(), spec.batchSize(), l.shuffleSeed(), spec.augment(), seed,
                    " " + l.name(), true));
        }
        List<Network> stale = new ArrayList<>();
        if (coupling.kind() == Coupling.Kind.CODISTILLATION) {
            for (Learner l : learners) {
                Network copy = Network.create(l.net().spec(), l.net().sampleShape(), l.net().numClasses(), root);
                copy.freeze();
                stale.add(copy);
                participants.add(Participant.frozen("stale-" + l.name(), copy));
            }
        }
        StepPolicy policy = (step, epoch, batch) -> {
            boolean distilling = coupling.kind() == Coupling.Kind.MUTUAL
                    || coupling.kind() == Coupling.Kind.CODISTILLATION && step >= coupling.burnInSteps();
            // the copies are taken when distillation switches on, then every refreshSteps: a copy
            // from before the burn-in (an untrained network) would only teach noise
            if (coupling.kind() == Coupling.Kind.CODISTILLATION && step >= coupling.burnInSteps()
                    && (step - coupling.burnInSteps()) % coupling.refreshSteps() == 0) {
                for (int i = 0; i < k; i++) {
                    try {
                        RunContext.handOver(learners.get(i).net(), stale.get(i));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            List<Update> updates = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                String peer = learners.get(i).name();
                updates.add(Update.minimise(peer, peer, loss(coupling, distilling, learners, i),
                        distilling ? targets(coupling, learners, stale, i) : null));
            }
            return updates;
        };
        return new Lockstep(new Phase(name, participants, feeds, policy, spec.epochs(), validation), stale);
    }

    /**
     * Steps in one epoch of peers training on {@code data} in lockstep: the fewest batches any
     * peer has (shards differing by one sample may differ by one batch; the larger drops it).
     */
    public static int stepsPerEpoch(List<Dataset> data, int batchSize) {
        return data.stream().mapToInt(d -> new BatchLoader(d, batchSize, true, 0, d.size() > batchSize)
                .batchesPerEpoch()).min().orElseThrow();
    }

    /** Peer i's objective at this step. */
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
        int[] order = Dataset.shuffled(n, seed);
        List<Dataset> out = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            int[] part = Arrays.copyOfRange(order, (int) ((long) n * s / k), (int) ((long) n * (s + 1) / k));
            Arrays.sort(part);
            out.add(data.subset(data.name() + "-shard" + (s + 1) + "of" + k, part));
        }
        return out;
    }

    static String peer(int i) {
        return "peer" + (i + 1);
    }

    /**
     * A run of an online scheme: the peers learn together (phase named after the scheme; results
     * "peer1" … "peerK"), then, with {@code student.baseline}, each peer alone from the same
     * initial weights, on the same data in the same order, with the same schedule (phase
     * "&lt;scheme&gt;-alone"; results "peer1-alone" …). Peer k's initial weights come from the seed
     * derived for "peer&lt;k&gt;". The scheme results hold the settings and the churn between the
     * peers and between the alone baselines ({@link Churn}, on the test set).
     */
    static JsonNode run(RunContext ctx, OnlineScheme scheme, Coupling coupling, List<Dataset> data, List<Long> shuffles,
            ObjectNode settings) throws IOException {
        var config = ctx.config();
        List<ModelSpec> models = scheme.peerModels(config.student().model());
        int k = models.size();
        TrainSpec spec = config.student().train();
        settings.put("stepsPerEpoch", stepsPerEpoch(data, spec.batchSize()));
        ArrayNode sizes = settings.putArray("trainSizes");
        data.forEach(d -> sizes.add(d.size()));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            names.add(peer(i));
        }
        Map<String, Predictions> together = together(ctx, scheme.name(), names, models, data, shuffles, coupling,
                scheme.name());
        Map<String, Predictions> alone = null;
        if (config.student().baseline()) {
            alone = together(ctx, scheme.name() + "-alone", names.stream().map(n -> n + "-alone").toList(), models,
                    data, shuffles, Coupling.alone(), "none");
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", scheme.name());
        out.set("settings", settings);
        ObjectNode churn = out.putObject("churn");
        churn.put("definition", "on the test set, for every pair of models: disagreement = fraction of samples "
                + "whose top-1 predictions differ; totalVariation = mean over samples of half the L1 distance "
                + "between the predicted distributions (T=1); means over pairs. 'peers': the peers trained "
                + "together (different initial weights); 'alone': the same peers trained alone from the same "
                + "initial weights, i.e. independent runs with different seeds");
        churn.set("peers", RunRecord.JSON.valueToTree(Churn.between(together)));
        if (alone != null) {
            churn.set("alone", RunRecord.JSON.valueToTree(Churn.between(alone)));
        }
        return out;
    }

    /** Trains (or resumes, or loads) the peers of one phase; returns their test-set predictions by name. */
    private static Map<String, Predictions> together(RunContext ctx, String phase, List<String> names,
            List<ModelSpec> models, List<Dataset> data, List<Long> shuffles, Coupling coupling, String method)
            throws IOException {
        List<Network> nets = new ArrayList<>();
        try {
            if (names.stream().allMatch(n -> ctx.done(n) != null)) {
                for (int i = 0; i < names.size(); i++) {
                    nets.add(ctx.loadFinished(names.get(i), models.get(i)));
                }
            } else {
                List<Learner> learners = new ArrayList<>();
                for (int i = 0; i < names.size(); i++) {
                    // peer k starts from the same weights together and alone
                    Seeds.apply(Seeds.derive(ctx.seed(), peer(i)));
                    Network net = ctx.create(models.get(i));
                    nets.add(net);
                    learners.add(new Learner(names.get(i), net, data.get(i), shuffles.get(i)));
                }
                Map<String, TrainingProgress> end;
                try (Lockstep lockstep = phase(phase, learners, ctx.config().student().train(), coupling,
                        ctx.validation(), Seeds.derive(ctx.seed(), phase), ctx.root())) {
                    end = ctx.run(lockstep.phase(), List.of());
                }
                for (int i = 0; i < names.size(); i++) {
                    nets.get(i).save(ctx.runDir().resolve(names.get(i) + ".model"));
                    ctx.evaluated(names.get(i), "peer", method, nets.get(i), false, end.get(names.get(i)), false);
                }
            }
            Map<String, Predictions> predictions = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                predictions.put(names.get(i), Predictions.of(nets.get(i), ctx.test(), ctx.root()));
            }
            return predictions;
        } finally {
            nets.forEach(Network::close);
        }
    }

    /** The settings' name of an enum value. */
    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** n copies of one value. */
    static <T> List<T> copies(int n, T value) {
        return new ArrayList<>(Collections.nCopies(n, value));
    }
}

package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.PeerKnowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.adversarial.LeastSquaresGan;
import org.distill4j.loss.response.CrossEntropy;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Objective;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.distill4j.train.Update;
import org.distill4j.model.Scalars;

/**
 * {@code afd}: online adversarial feature-map distillation (Chung, Park, Kim &amp; Kwak 2020,
 * "Feature-map-level Online Adversarial Knowledge Distillation", ICML). Two networks learn from
 * scratch together; each has a discriminator that learns to tell the other network's feature
 * map (real) from its own (fake), and each network learns to fool its discriminator — so it
 * learns the distribution of the other's features — while the two also teach each other their
 * class probabilities. Four updates per step, on the same batch:
 *
 * <ol>
 *   <li>D₁, then D₂, each descending on the least-squares loss
 *       {@code mean (1 − D_k(F_other))² + mean D_k(F_k)²} (both networks in training mode, features
 *       detached, running statistics left as they were; {@link LeastSquaresGan}), {@code D_k} the
 *       MLP's raw output ({@code discriminator.score}, default {@code linear}; {@code sigmoid}: σ of
 *       it) on the map standardised per sample ({@code discriminator.normalize}, default true);
 *   <li>network 1, then network 2 (DML's order: network 2 is taught by network 1 as updated),
 *       each descending on {@code CE(z_k, y) + kdWeight·τ²·KL(p_other^τ ‖ p_k^τ) + λ·mean (1 −
 *       D_k(F_k))²}.
 * </ol>
 *
 * {@code F_k} is network k's tap {@code tap} (default {@code auto}: its last feature map, else its
 * embedding), flattened; where the two networks' taps differ in size each goes through a linear
 * transfer layer of its own to {@code transfer} values (default: the smaller size), trained with
 * its network (the paper's transfer layer, here linear). With {@code student.baseline} (default
 * true) the same two networks also learn, from the same initial weights and batches, with the
 * mutual KD term alone ({@code peer1-mutual}, {@code peer2-mutual}: AFD without discriminators)
 * and alone ({@code peer1-alone}, {@code peer2-alone}).
 *
 * <p><em>Choices (options):</em> τ (default 3), λ ({@code weight}, default 1), the KD weight
 * (default 1), the discriminator (an MLP on the flattened map here, one hidden layer of 64, Adam
 * 2e-4/β₁ 0.5; the paper's is convolutional), its input and score (default {@code normalize: true},
 * each sample's map standardised, and {@code score: linear}: on the raw map the least-squares loss
 * is unbounded, and in the issue 11 bench the discriminators' losses were 65–670 against a constant
 * guess's 0.5 — they did not learn; see {@link DiscriminatorSpec}) and the order within a step
 * (discriminators first).
 * The paper's cyclic learning for more than two networks is not implemented.
 *
 * @param peers the two networks (absent: two copies of {@code student.model})
 * @param tap the tap each discriminator judges, or {@code auto} (default)
 * @param weight λ (default 1)
 * @param temperature τ of the mutual KD (default 3)
 * @param kdWeight weight of the mutual KD term (default 1)
 * @param discriminator both discriminators' network and schedule
 * @param transfer the transfer layers' width where the taps differ (default: the smaller size)
 */
public record AfdScheme(List<ModelSpec> peers, String tap, Double weight, Double temperature, Double kdWeight,
        DiscriminatorSpec discriminator, Integer transfer) implements OnlineScheme {
    static final String AUTO = "auto";

    public AfdScheme {
        peers = OnlineScheme.checkPeers(peers);
        if (peers != null && peers.size() != 2) {
            throw new IllegalArgumentException("peers: afd trains two networks (got " + peers.size()
                    + "; the paper's cyclic learning for more is not implemented)");
        }
        tap = tap == null ? AUTO : tap;
        weight = Algorithms.weight(weight, 1, "weight");
        temperature = Algorithms.temperature(temperature, 3);
        kdWeight = Algorithms.weight(kdWeight, 1, "kdWeight");
        DiscriminatorSpec standardised = DiscriminatorSpec.defaults(DiscriminatorSpec.Score.LINEAR, true);
        discriminator = (discriminator == null ? standardised : discriminator).or(standardised);
        if (transfer != null && !(transfer >= 1 && transfer <= 65536)) {
            throw new IllegalArgumentException("transfer: must be in [1, 65536] (got " + transfer + ")");
        }
    }

    @Override
    public String name() {
        return "afd";
    }

    /** How the two networks of a phase learn. */
    enum Kind {
        /** AFD: mutual KD and the discriminators. */
        ADVERSARIAL(""),
        /** Mutual KD alone: AFD without discriminators. */
        MUTUAL("-mutual"),
        /** Each alone, cross-entropy only. */
        ALONE("-alone");

        final String suffix;

        Kind(String suffix) {
            this.suffix = suffix;
        }
    }

    /** The taps judged, one per network, and the transfer width (0: none, the taps are of one size). */
    record Taps(List<String> taps, long width, List<Long> sizes) {}

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        List<ModelSpec> models = peerModels(ctx.config().student().model());
        Taps taps = taps(ctx, models);
        train(ctx, models, taps, Kind.ADVERSARIAL);
        if (ctx.config().student().baseline()) {
            train(ctx, models, taps, Kind.MUTUAL);
            train(ctx, models, taps, Kind.ALONE);
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ObjectNode settings = out.putObject("settings");
        settings.put("tap1", taps.taps().get(0));
        settings.put("tap2", taps.taps().get(1));
        settings.put("transfer", taps.width());
        return out;
    }

    /** Resolves {@code tap} on fresh networks of both architectures and sizes the transfer layers. */
    Taps taps(RunContext ctx, List<ModelSpec> models) {
        List<String> names = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (Network net = ctx.create(models.get(i))) {
                TapShapes t = net.tapShapes(Peers.peer(i));
                String name = tap;
                if (AUTO.equals(tap)) {
                    List<String> maps = t.mapTaps();
                    name = maps.isEmpty() ? Outputs.EMBEDDING : maps.get(maps.size() - 1);
                }
                if (!t.shapes().containsKey(name)) {
                    throw new TapException("scheme afd: tap '" + name + "' is not a tap of " + Peers.peer(i) + " "
                            + net.spec().describe() + " (it has " + t.shapes().keySet() + ")");
                }
                names.add(name);
                sizes.add(t.size(name));
                shapes.add(t.shape(name));
            }
        }
        long width = shapes.get(0).equals(shapes.get(1)) && transfer == null ? 0
                : transfer != null ? transfer : Math.min(sizes.get(0), sizes.get(1));
        return new Taps(names, width, sizes);
    }

    /** Trains (or resumes, or skips when finished before) the two networks of one kind. */
    void train(RunContext ctx, List<ModelSpec> models, Taps taps, Kind kind) throws IOException {
        List<String> names = List.of(Peers.peer(0) + kind.suffix, Peers.peer(1) + kind.suffix);
        if (names.stream().allMatch(n -> ctx.done(n) != null)) {
            return;
        }
        String phaseName = name() + kind.suffix;
        TrainSpec spec = ctx.config().student().train();
        List<Network> nets = new ArrayList<>();
        List<Participant> participants = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Seeds.apply(Seeds.derive(ctx.seed(), Peers.peer(i))); // the same start in every kind
                nets.add(ctx.create(models.get(i)));
            }
            Seeds.apply(Seeds.derive(ctx.seed(), phaseName + " adversaries"));
            List<Adapters> transfers = new ArrayList<>();
            List<Adapters> discriminators = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                transfers.add(transfer(nets.get(i), kind == Kind.ADVERSARIAL ? taps : null, i));
            }
            long judged = taps.width() > 0 ? taps.width() : taps.sizes().get(0);
            for (int i = 0; i < 2 && kind == Kind.ADVERSARIAL; i++) {
                Adapters d = new Adapters(ctx.root());
                d.block("discriminator", discriminator.build(), DiscriminatorSpec.inputShape(judged));
                discriminators.add(d);
            }
            Phase phase = phase(ctx.seed(), ctx.train(), ctx.validation(), phaseName, names, nets, transfers,
                    discriminators, taps, kind, spec);
            participants.addAll(phase.participants());
            Map<String, TrainingProgress> end = ctx.run(phase, List.of());
            for (int i = 0; i < 2; i++) {
                nets.get(i).save(ctx.runDir().resolve(names.get(i) + ".model"), ctx.provenanceOf(names.get(i),
                        nets.get(i)));
                ctx.evaluated(names.get(i), "peer", kind == Kind.ALONE ? "none" : kind == Kind.MUTUAL ? "mutual-kd"
                        : name(), nets.get(i), false, end.get(names.get(i)), false);
            }
        } finally {
            participants.forEach(Participant::close);
            nets.forEach(Network::close);
        }
    }

    /**
     * Network k's adapters: its transfer layer (flatten, then a linear map to {@code taps.width()}
     * values) where the taps differ in size, else none ({@code taps} null: none either).
     */
    static Adapters transfer(Network net, Taps taps, int k) {
        Adapters t = new Adapters(net.manager());
        if (taps != null && taps.width() > 0) {
            t.block("transfer", new SequentialBlock().add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(taps.width()).build()), new Shape(2, taps.sizes().get(k)));
        }
        return t;
    }

    /** The phase of one kind: each network on its own feed (one batch order), D₁, D₂, then the networks. */
    Phase phase(long runSeed, Dataset train, Dataset validation, String phaseName, List<String> names,
            List<Network> nets, List<Adapters> transfers, List<Adapters> discriminators, Taps taps, Kind kind,
            TrainSpec spec) {
        long shuffle = Seeds.derive(runSeed, "peers-shuffle");
        long seed = Seeds.derive(runSeed, phaseName);
        List<Feed> feeds = new ArrayList<>();
        List<Participant> participants = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            feeds.add(Feed.shuffled(names.get(i), train, spec.batchSize(), shuffle, spec.augment(), seed,
                    " " + names.get(i), true));
            participants.add(Participant.learner(names.get(i), nets.get(i), transfers.get(i), spec));
        }
        List<Update> updates = new ArrayList<>();
        for (int i = 0; i < discriminators.size(); i++) {
            String d = "discriminator" + (i + 1);
            participants.add(Participant.adapters(d, discriminators.get(i), discriminator.train(spec)));
            int self = i;
            DiscriminatorSpec.Score score = discriminator.score();
            Objective judge = step -> {
                NDArray own = features(step, nets.get(self), names.get(self), taps, self).stopGradient();
                NDArray other = features(step, nets.get(1 - self), names.get(1 - self), taps, 1 - self).stopGradient();
                Adapters disc = step.adapters(d);
                return LossValue.of("gan", LeastSquaresGan.discriminator(score.apply(disc.forward("discriminator",
                        other)), score.apply(disc.forward("discriminator", own))));
            };
            for (int s = 0; s < discriminator.steps(); s++) {
                updates.add(new Update(d, names.get(i), null, judge, 1));
            }
        }
        for (int i = 0; i < 2; i++) {
            int self = i;
            String d = "discriminator" + (i + 1);
            double t = temperature;
            Objective learn = step -> {
                Outputs out = step.forward(names.get(self), true);
                Map<String, NDArray> terms = new LinkedHashMap<>();
                terms.put(CrossEntropy.TERM, CrossEntropy.of(out.logits(), step.batch().labels()));
                if (kind != Kind.ALONE) {
                    NDArray target = step.knowledge().outputs().logits().stopGradient();
                    terms.put("kd", Scalars.mul(KdLoss.klDivergence(target, out.logits(), t), kdWeight * t * t));
                }
                if (kind == Kind.ADVERSARIAL) {
                    NDArray fake = transferred(step, out.get(taps.taps().get(self)), names.get(self), taps);
                    terms.put("adversarial", Scalars.mul(LeastSquaresGan.fool(discriminator.score().apply(
                            step.adapters(d).forward("discriminator", fake))), weight));
                }
                return LossValue.sum(terms);
            };
            Map<String, org.distill4j.knowledge.KnowledgeSource> sources = kind == Kind.ALONE ? null
                    : Map.of(Knowledge.TEACHER, new PeerKnowledge(Map.of(names.get(1 - i), nets.get(1 - i)), true));
            updates.add(new Update(names.get(i), names.get(i), sources, learn, 1));
        }
        List<Update> all = List.copyOf(updates);
        StepPolicy policy = (step, epoch, batch) -> all;
        return new Phase(phaseName, participants, feeds, policy, spec.epochs(), validation);
    }

    /** Network k's judged features on the batch in training mode, its running statistics left alone. */
    private static NDArray features(org.distill4j.train.StepContext step, Network net, String name, Taps taps, int k) {
        NDArray f = net.forwardKeepingStatistics(step.batch().input()).get(taps.taps().get(k));
        return transferred(step, f, name, taps);
    }

    /** Features through the network's transfer layer where there is one. */
    private static NDArray transferred(org.distill4j.train.StepContext step, NDArray features, String name, Taps taps) {
        return taps.width() > 0 ? step.adapters(name).forward("transfer", features) : features.reshape(
                features.getShape().get(0), -1);
    }
}

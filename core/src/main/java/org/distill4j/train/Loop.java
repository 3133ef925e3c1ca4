package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Outputs;

/**
 * The one training loop: runs a {@link Phase} of any scheme, epoch by epoch and step by step,
 * from its start or from saved progress. Each step asks the phase's {@link StepPolicy} for its
 * updates and runs them in order. One update: seed the engine from the step's position (dropout
 * is then a pure function of run seed, phase and position, so a resumed run replays exactly),
 * load the feed's batch into its own {@link NDManager} scope, look up the knowledge (outside the
 * gradient recorder: the teachers build no graph), compute the objective, backpropagate (negated
 * for a maximising update), read loss, terms, gradient norm and correct predictions back in one
 * transfer, let the listeners veto the update (non-finite guard), clip, step the participant's
 * optimizer and close the scope, so memory stays flat.
 *
 * <p>Everything else — validation, checkpoints, progress, fault injection, a scheme's epoch-end
 * work — is a {@link LoopListener}.
 */
public final class Loop {
    /** Puts saved state (weights, adapters, optimizer state) into a phase's opened participants. */
    @FunctionalInterface
    public interface Restore {
        Restore NONE = phase -> {};

        void restore(Phase phase) throws IOException;
    }

    private final NDManager root;
    private final List<LoopListener> listeners;

    public Loop(NDManager root, List<LoopListener> listeners) {
        this.root = root;
        this.listeners = List.copyOf(listeners);
    }

    /** Runs {@code phase} from its start, with no saved state. */
    public Map<String, TrainingProgress> run(Phase phase) throws IOException {
        return run(phase, null, Restore.NONE);
    }

    /**
     * Runs {@code phase} from {@code start} (each trainable participant's saved progress; null:
     * from the beginning), after {@code restore} has put saved state into the opened participants.
     * Returns each trainable participant's final progress; the participants' optimizers are closed.
     */
    public Map<String, TrainingProgress> run(Phase phase, Map<String, TrainingProgress> start, Restore restore)
            throws IOException {
        LoopState state = new LoopState(phase, start);
        Map<String, Feed> feeds = phase.feedsByName();
        int perEpoch = state.stepsPerEpoch();
        boolean several = phase.participants().stream().filter(Participant::trainable).count() > 1;
        try {
            for (Participant p : phase.participants()) {
                p.open(root);
            }
            restore.restore(phase);
            for (LoopListener l : listeners) {
                l.onPhaseStart(state);
            }
            int startEpoch = state.epoch();
            int startBatch = state.batch();
            for (int epoch = startEpoch; epoch < phase.epochs(); epoch++) {
                phase.policy().startEpoch(epoch, phase.epochs());
                Map<String, int[][]> plans = new HashMap<>();
                for (Feed f : phase.feeds()) {
                    plans.put(f.name(), f.loader().plan(epoch));
                }
                for (int b = epoch == startEpoch ? startBatch : 0; b < perEpoch; b++) {
                    long step = (long) epoch * perEpoch + b;
                    List<Update> updates = phase.policy().step(step, epoch, b);
                    for (LoopListener l : listeners) {
                        l.beforeStep(state, step);
                    }
                    double lossSum = 0;
                    Map<String, Integer> uses = new HashMap<>();
                    for (Update u : updates) {
                        long t0 = System.nanoTime();
                        Participant p = phase.participant(u.participant());
                        Feed feed = feeds.get(u.feed());
                        if (feed == null) {
                            throw new IllegalArgumentException(phase.name() + ": no feed '" + u.feed() + "'");
                        }
                        long seed = feed.seeds().seed(epoch, b);
                        boolean first = uses.merge(feed.name(), 1, Integer::sum) == 1;
                        if (!first) {
                            seed = Seeds.derive(seed, p.name()); // a second update on the same batch
                        }
                        // once this batch is loaded, the next one is gathered while the update computes
                        int[] next = first && feed.prefetch() && b + 1 < perEpoch ? plans.get(feed.name())[b + 1] : null;
                        double lr = p.rate(epoch, b, perEpoch);
                        LoopState.UpdateResult r = update(state, u, p, feed, plans.get(feed.name())[b], next, epoch, b,
                                seed, lr, several);
                        state.add(p, r, lr, (System.nanoTime() - t0) / 1e9);
                        lossSum += r.loss();
                    }
                    state.position(epoch, b + 1);
                    for (LoopListener l : listeners) {
                        l.afterStep(state, step, lossSum / Math.max(1, updates.size()));
                    }
                }
                for (LoopListener l : listeners) {
                    l.onValidation(state, epoch);
                }
                List<EpochSummary> summaries = state.endEpoch(epoch);
                state.position(epoch + 1, 0);
                for (LoopListener l : listeners) {
                    l.onEpochEnd(state, epoch, summaries);
                }
                state.clearValidation();
            }
            for (LoopListener l : listeners) {
                l.onPhaseEnd(state);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            for (Participant p : phase.participants()) {
                p.finish();
            }
        }
        return state.progress();
    }

    private LoopState.UpdateResult update(LoopState state, Update u, Participant p, Feed feed, int[] positions,
            int[] next, int epoch, int b, long seed, double lr, boolean several) {
        Seeds.apply(seed);
        try (NDManager scope = root.newSubManager()) {
            Batch batch = feed.loader().load(scope, positions, feed.augment(), seed);
            if (next != null) {
                feed.loader().prefetch(next, feed.augment(), feed.seeds().seed(epoch, b + 1));
            }
            Knowledge knowledge = Knowledge.NONE;
            for (Map.Entry<String, KnowledgeSource> s : u.sources().entrySet()) {
                knowledge = knowledge.and(s.getValue().lookup(batch).named(s.getKey()));
            }
            Context ctx = new Context(state.phase(), p, batch, knowledge, epoch, b);
            Optimizer optimizer = p.optimizer();
            if (several) {
                optimizer.zeroGradients(); // another participant's update may have left gradients here
            }
            LossValue value;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                value = u.objective().compute(ctx);
                for (LoopListener l : listeners) {
                    value = l.onLoss(state, p, value);
                }
                collector.backward(u.sign() == 1 ? value.total() : value.total().neg());
            }
            // Everything the update reports, read back in ONE transfer: the loss, each term, the
            // squared gradient norm and the number of correct predictions (a JNI round trip apiece
            // otherwise; see bench/README.md, perf).
            NDList report = new NDList();
            report.add(value.total().reshape(1));
            value.terms().values().forEach(v -> report.add(v.reshape(1)));
            report.add(optimizer.gradientNormSquared(scope).reshape(1));
            boolean counts = ctx.ownLogits != null && batch.hasLabels();
            if (counts) {
                report.add(ctx.ownLogits.argMax(1).eq(batch.labels().toType(DataType.INT64, false)).sum()
                        .toType(DataType.FLOAT32, false).reshape(1));
            }
            float[] read = NDArrays.concat(report).toType(DataType.FLOAT32, false).toFloatArray();
            double total = read[0];
            Map<String, Double> terms = new LinkedHashMap<>();
            int t = 1;
            for (String name : value.terms().keySet()) {
                terms.put(name, (double) read[t++]);
            }
            double gradNorm = Math.sqrt(read[t++]);
            int correct = counts ? Math.round(read[t]) : 0;
            UpdateReport r = new UpdateReport(p, epoch, b, total, terms, gradNorm);
            boolean apply = true;
            for (LoopListener l : listeners) {
                apply &= l.onGradients(state, r);
            }
            if (!apply) {
                optimizer.zeroGradients();
                return new LoopState.UpdateResult(total, terms, 0, 0, true);
            }
            double clip = p.train().clipGradNorm();
            if (clip > 0 && gradNorm > clip) {
                optimizer.scaleGradients(clip / (gradNorm + 1e-6));
            }
            optimizer.step(lr);
            return new LoopState.UpdateResult(total, terms, correct, batch.size(), false);
        }
    }

    /** The step context of one update. */
    private static final class Context implements StepContext {
        final Phase phase;
        final Participant self;
        final Batch batch;
        final Knowledge knowledge;
        final int epoch;
        final int batchIndex;
        NDArray ownLogits;

        Context(Phase phase, Participant self, Batch batch, Knowledge knowledge, int epoch, int batchIndex) {
            this.phase = phase;
            this.self = self;
            this.batch = batch;
            this.knowledge = knowledge;
            this.epoch = epoch;
            this.batchIndex = batchIndex;
        }

        @Override
        public Batch batch() {
            return batch;
        }

        @Override
        public Knowledge knowledge() {
            return knowledge;
        }

        @Override
        public Outputs forward(String participant, boolean training) {
            return forward(participant, net -> net.forward(batch, training), training); // every named input: a text's mask
        }

        @Override
        public Outputs forward(String participant, NDArray input, boolean training) {
            return forward(participant, net -> net.forward(input, training), training);
        }

        private Outputs forward(String participant, java.util.function.Function<org.distill4j.model.Network, Outputs> pass,
                boolean training) {
            Participant p = phase.participant(participant);
            if (p.network() == null) {
                throw new IllegalArgumentException(participant + " has no network to run");
            }
            Outputs out = pass.apply(p.network());
            if (p == self && training && ownLogits == null) {
                ownLogits = out.logits();
            }
            return out;
        }

        @Override
        public Adapters adapters(String participant) {
            Adapters a = phase.participant(participant).adapters();
            if (a == null) {
                throw new IllegalArgumentException(participant + " has no adapters");
            }
            return a;
        }

        @Override
        public Participant self() {
            return self;
        }

        @Override
        public int epoch() {
            return epoch;
        }

        @Override
        public int batchIndex() {
            return batchIndex;
        }
    }
}

package org.distill4j.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.config.RunConfig;
import org.distill4j.data.Dataset;
import org.distill4j.loss.Adapters;
import org.distill4j.metric.Churn;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.scheme.CodistillationScheme;
import org.distill4j.scheme.DmlScheme;
import org.distill4j.scheme.Online;
import org.distill4j.scheme.OnlineScheme;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.NonFiniteLossException;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;

/**
 * A run of an online scheme ({@code dml}, {@code codistillation}): the peers learn together
 * (phase named after the scheme; results "peer1" … "peerK"), then, with
 * {@code student.baseline}, each peer alone from the same initial weights, on the same data in
 * the same order, with the same schedule (phase "&lt;scheme&gt;-alone"; results "peer1-alone" …).
 * Peer k's initial weights come from the seed derived for "peer&lt;k&gt;", so they differ between
 * peers even when the architectures are equal. The record's {@code schemeResults} holds the
 * churn between the peers and between the alone baselines ({@link Churn}, on the test set).
 *
 * <p>Checkpoints: the store's format holds one network and one optimizer, so peer1 goes there
 * and the other peers (weights and optimizer state) and codistillation's stale copies travel
 * as named byte arrays in the checkpoint's adapters block; the meta holds every peer's progress
 * under {@code peers}. A run resumes from the exact position of its last checkpoint (every
 * {@code checkpoint.everySteps} steps and every epoch end), also in the middle of a phase.
 */
final class OnlineRun {
    private final Phases phases;
    private final NDManager root;
    private final RunConfig config;
    private final OnlineScheme scheme;

    OnlineRun(Phases phases, NDManager root) {
        this.phases = phases;
        this.root = root;
        this.config = phases.config;
        this.scheme = (OnlineScheme) config.scheme();
    }

    JsonNode run() throws IOException {
        List<ModelSpec> models = scheme.peerModels(config.student().model());
        int k = models.size();
        TrainSpec spec = config.student().train();
        long seed = config.seed();
        List<Dataset> data = new ArrayList<>(Collections.nCopies(k, phases.train));
        List<Long> shuffles = new ArrayList<>();
        ObjectNode settings = CheckpointStore.JSON.createObjectNode();
        Online.Coupling coupling;
        if (scheme instanceof CodistillationScheme c) {
            if (c.shards() == CodistillationScheme.Shards.DISJOINT) {
                data = Online.shards(phases.train, k, Seeds.derive(seed, "shards"));
            }
            for (int i = 0; i < k; i++) {
                shuffles.add(Seeds.derive(seed, peer(i) + "-shuffle")); // each peer a worker of its own
            }
            int burnIn = c.burnIn(Online.stepsPerEpoch(data, spec.batchSize()));
            coupling = Online.Coupling.codistillation(c.weight(), c.refreshSteps(), burnIn);
            settings.put("refreshSteps", c.refreshSteps()).put("burnInSteps", burnIn).put("weight", c.weight())
                    .put("shards", c.shards().name().toLowerCase(java.util.Locale.ROOT));
        } else {
            DmlScheme d = (DmlScheme) scheme;
            shuffles.addAll(Collections.nCopies(k, Seeds.derive(seed, "peers-shuffle"))); // one batch order
            coupling = Online.Coupling.mutual(d.targets() == DmlScheme.Targets.TRAIN);
            settings.put("targets", d.targets().name().toLowerCase(java.util.Locale.ROOT));
        }
        settings.put("stepsPerEpoch", Online.stepsPerEpoch(data, spec.batchSize()));
        ArrayNode sizes = settings.putArray("trainSizes");
        data.forEach(d -> sizes.add(d.size()));

        List<String> names = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            names.add(peer(i));
        }
        Map<String, Predictions> together = phase(scheme.name(), names, models, data, shuffles, coupling,
                scheme.name());
        Map<String, Predictions> alone = null;
        if (config.student().baseline()) {
            alone = phase(scheme.name() + "-alone", names.stream().map(n -> n + "-alone").toList(), models, data,
                    shuffles, Online.Coupling.alone(), "none");
        }

        ObjectNode out = CheckpointStore.JSON.createObjectNode();
        out.put("scheme", scheme.name());
        out.set("settings", settings);
        ObjectNode churn = out.putObject("churn");
        churn.put("definition", "on the test set, for every pair of models: disagreement = fraction of samples "
                + "whose top-1 predictions differ; totalVariation = mean over samples of half the L1 distance "
                + "between the predicted distributions (T=1); means over pairs. 'peers': the peers trained "
                + "together (different initial weights); 'alone': the same peers trained alone from the same "
                + "initial weights, i.e. independent runs with different seeds");
        churn.set("peers", CheckpointStore.JSON.valueToTree(Churn.between(together)));
        if (alone != null) {
            churn.set("alone", CheckpointStore.JSON.valueToTree(Churn.between(alone)));
        }
        return out;
    }

    private static String peer(int i) {
        return "peer" + (i + 1);
    }

    /**
     * Trains (or resumes, or loads when finished before) the peers of one phase; returns their
     * test-set predictions by name.
     */
    private Map<String, Predictions> phase(String phase, List<String> names, List<ModelSpec> models,
            List<Dataset> data, List<Long> shuffles, Online.Coupling coupling, String method) throws IOException {
        List<Network> nets = new ArrayList<>();
        try {
            if (names.stream().allMatch(n -> phases.done(n) != null)) {
                for (int i = 0; i < names.size(); i++) {
                    nets.add(phases.loadFinished(names.get(i), models.get(i), root));
                }
            } else {
                train(phase, names, models, data, shuffles, coupling, method, nets);
            }
            Map<String, Predictions> predictions = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                predictions.put(names.get(i), Predictions.of(nets.get(i), phases.test, root));
            }
            return predictions;
        } finally {
            nets.forEach(Network::close);
        }
    }

    private void train(String phase, List<String> names, List<ModelSpec> models, List<Dataset> data,
            List<Long> shuffles, Online.Coupling coupling, String method, List<Network> nets) throws IOException {
        List<Online.Learner> learners = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            // peer k starts from the same weights together and alone
            Seeds.apply(Seeds.derive(config.seed(), peer(i)));
            Network net = Network.create(models.get(i), phases.train.sampleShape(), phases.train.numClasses(), root);
            nets.add(net);
            learners.add(new Online.Learner(names.get(i), net, data.get(i), shuffles.get(i)));
        }
        List<TrainingProgress> start = null;
        Online.Restore restore = Online.Restore.NONE;
        CheckpointStore.Loaded resume = phases.resume;
        if (resume != null && phase.equals(resume.meta().path("phase").asText())) {
            start = new ArrayList<>();
            for (JsonNode p : resume.meta().path("peers")) {
                start.add(CheckpointStore.JSON.treeToValue(p, TrainingProgress.class));
            }
            if (start.size() != names.size()) {
                throw new IOException(resume.file() + " holds " + start.size() + " peers, this run has "
                        + names.size() + ": resume with the original config");
            }
            restore = state -> {
                resume.restoreWeights(state.peers().get(0));
                resume.restoreOptimizer(state.optimizers().get(0));
                try (Carrier carrier = new Carrier(state)) {
                    resume.restoreAdapters(carrier.adapters);
                    carrier.unpack(state);
                }
            };
        }
        List<TrainingProgress> end;
        try {
            end = new Online(root, phases.listener).train(phase, learners, config.student().train(), coupling,
                    phases.validation, Seeds.derive(config.seed(), phase), start, restore, saver());
        } catch (NonFiniteLossException e) {
            throw e.withLastCheckpoint(phases.lastCheckpoint == null ? null : phases.lastCheckpoint.toString());
        }
        for (int i = 0; i < names.size(); i++) {
            nets.get(i).save(phases.runDir.resolve(names.get(i) + ".model"));
            phases.evaluated(names.get(i), "peer", method, nets.get(i), false, end.get(i), null, root);
        }
    }

    private Online.Saver saver() {
        return new Online.Saver() {
            @Override
            public int everySteps() {
                return config.checkpoint().everySteps();
            }

            @Override
            public void save(String phase, Online.State state, double validationAccuracy) throws IOException {
                ObjectNode meta = CheckpointStore.JSON.createObjectNode();
                meta.put("phase", phase);
                meta.put("validationAccuracy", validationAccuracy);
                meta.set("peers", CheckpointStore.JSON.valueToTree(state.progress()));
                meta.set("completed", CheckpointStore.JSON.valueToTree(phases.completed));
                try (Carrier carrier = new Carrier(state)) {
                    phases.lastCheckpoint = phases.store.save(meta, state.peers().get(0), carrier.adapters,
                            state.optimizers().get(0), phase, validationAccuracy);
                }
            }
        };
    }

    /**
     * The state a checkpoint's single network and optimizer cannot hold: peers 2…K (weights,
     * then optimizer state) and every stale copy (weights), each serialised into a named byte
     * array of the adapters block. Built from the current state: restoring into it needs the
     * same names and sizes, which the same architectures give.
     */
    private final class Carrier implements AutoCloseable {
        final Adapters adapters = new Adapters(root);
        final Map<String, NDArray> arrays = new LinkedHashMap<>();

        Carrier(Online.State state) throws IOException {
            for (int i = 1; i < state.peers().size(); i++) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                state.peers().get(i).writeWeights(out);
                state.optimizers().get(i).writeState(out);
                put(peer(i), bytes.toByteArray());
            }
            for (int i = 0; i < state.staleCopies().size(); i++) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                state.staleCopies().get(i).writeWeights(new DataOutputStream(bytes));
                put("stale-" + peer(i), bytes.toByteArray());
            }
        }

        private void put(String name, byte[] bytes) {
            try (NDArray a = root.create(bytes)) {
                arrays.put(name, adapters.state(name, a));
            }
        }

        /** Reads the (restored) arrays back into the peers, optimizers and stale copies. */
        void unpack(Online.State state) throws IOException {
            for (int i = 1; i < state.peers().size(); i++) {
                DataInputStream in = stream(peer(i));
                state.peers().get(i).readWeights(in);
                state.optimizers().get(i).readState(in);
            }
            for (int i = 0; i < state.staleCopies().size(); i++) {
                state.staleCopies().get(i).readWeights(stream("stale-" + peer(i)));
            }
        }

        private DataInputStream stream(String name) {
            return new DataInputStream(new ByteArrayInputStream(arrays.get(name).toByteArray()));
        }

        @Override
        public void close() {
            adapters.close();
        }
    }
}

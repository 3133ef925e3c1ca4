package org.distill4j.scheme;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.model.Network;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.Loop;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.NonFiniteGuard;
import org.distill4j.train.Participant;
import org.distill4j.train.Progress;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.distill4j.train.Validation;

/**
 * For tests: peers trained in lockstep through {@link Peers#phase} and the one {@link Loop}, with
 * the run's listeners, an observer of every step and a saver at every checkpoint position.
 */
final class OnlineTraining {
    /** Sees every step before the peers take it: the live peers and the stale copies. */
    interface Observer {
        void beforeStep(long step, List<Network> peers, List<Network> staleCopies);
    }

    /** Sees the peers and their progress at every epoch end. */
    interface Saver {
        void save(List<Network> peers, List<TrainingProgress> progress);
    }

    private final NDManager root;
    private final TrainListener listener;
    private Observer observer;

    OnlineTraining(NDManager root, TrainListener listener) {
        this.root = root;
        this.listener = listener;
    }

    OnlineTraining observe(Observer o) {
        this.observer = o;
        return this;
    }

    List<TrainingProgress> train(String phase, List<Peers.Learner> learners, TrainSpec spec, Peers.Coupling coupling,
            Dataset validation, long seed) throws IOException {
        return train(phase, learners, spec, coupling, validation, seed, null);
    }

    List<TrainingProgress> train(String phase, List<Peers.Learner> learners, TrainSpec spec, Peers.Coupling coupling,
            Dataset validation, long seed, Saver saver) throws IOException {
        List<Network> nets = learners.stream().map(Peers.Learner::net).toList();
        try (Peers.Lockstep lockstep = Peers.phase(phase, learners, spec, coupling, validation, seed, root)) {
            List<LoopListener> listeners = new ArrayList<>(List.of(new Validation(root), new NonFiniteGuard()));
            listeners.add(new LoopListener() {
                @Override
                public void beforeStep(LoopState state, long step) {
                    if (observer != null) {
                        observer.beforeStep(step, nets, lockstep.staleCopies());
                    }
                }

                @Override
                public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) {
                    if (saver != null) {
                        saver.save(nets, new ArrayList<>(state.progress().values()));
                    }
                }
            });
            listeners.add(new Progress(listener));
            Map<String, TrainingProgress> end = new Loop(root, listeners).run(lockstep.phase());
            List<TrainingProgress> out = new ArrayList<>();
            for (Participant p : lockstep.phase().participants()) {
                if (p.trainable()) {
                    out.add(end.get(p.name()));
                }
            }
            return out;
        }
    }

    static Map<String, Network> byName(List<Peers.Learner> learners) {
        Map<String, Network> out = new LinkedHashMap<>();
        learners.forEach(l -> out.put(l.name(), l.net()));
        return out;
    }
}

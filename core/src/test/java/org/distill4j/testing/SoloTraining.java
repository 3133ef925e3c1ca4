package org.distill4j.testing;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.model.Network;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.Feed;
import org.distill4j.train.Loop;
import org.distill4j.train.LoopListener;
import org.distill4j.train.LoopState;
import org.distill4j.train.NonFiniteGuard;
import org.distill4j.train.Optimizer;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.Progress;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.TrainingProgress;
import org.distill4j.train.Update;
import org.distill4j.train.Validation;

/**
 * For tests: one network trained alone with a loss, through the one {@link Loop}, exactly as
 * {@code RunContext} trains a one-network phase (same feed, seeds, listeners), with hooks for a
 * test to save and restore state mid-phase.
 */
public final class SoloTraining {
    /** Restores saved state into what the phase creates: the loss's adapters, then the optimizer. */
    public interface Restore {
        Restore NONE = new Restore() {
            @Override
            public void adapters(Adapters adapters) {}

            @Override
            public void optimizer(Optimizer optimizer) {}
        };

        void adapters(Adapters adapters) throws IOException;

        void optimizer(Optimizer optimizer) throws IOException;
    }

    /** Sees the phase's state at every checkpoint position (every N steps, every epoch end). */
    public interface Saver {
        Saver NONE = new Saver() {
            @Override
            public int everySteps() {
                return 0;
            }

            @Override
            public void save(String phase, Network student, Adapters adapters, Optimizer optimizer,
                    TrainingProgress progress, double validationAccuracy) {}
        };

        int everySteps();

        void save(String phase, Network student, Adapters adapters, Optimizer optimizer, TrainingProgress progress,
                double validationAccuracy) throws IOException;
    }

    private final NDManager root;
    private final TrainListener listener;

    public SoloTraining(NDManager root, TrainListener listener) {
        this.root = root;
        this.listener = listener;
    }

    public List<EpochSummary> train(String phase, Network student, TrainSpec spec, DistillationLoss loss,
            KnowledgeSource teacher, Dataset train, Dataset validation, long shuffleSeed) throws IOException {
        return train(phase, student, spec, loss, teacher, train, validation, shuffleSeed, TrainingProgress.start(),
                Restore.NONE, Saver.NONE).history();
    }

    public TrainingProgress train(String phase, Network student, TrainSpec spec, DistillationLoss loss,
            KnowledgeSource teacher, Dataset train, Dataset validation, long shuffleSeed, TrainingProgress start,
            Restore restore, Saver saver) throws IOException {
        if (loss.needsTeacher() && teacher == null) {
            throw new IllegalArgumentException(phase + ": this method needs a teacher");
        }
        Phase built = SoloPhase.of(phase, student, spec, loss, teacher, train, validation, shuffleSeed, null);
        Participant p = built.participants().get(0);
        Adapters adapters = p.adapters();
        try (p) {
            LoopListener saving = new LoopListener() {
                @Override
                public void afterStep(LoopState state, long step, double meanLoss) throws IOException {
                    if (saver.everySteps() > 0 && (step + 1) % saver.everySteps() == 0
                            && state.batch() < state.stepsPerEpoch()) {
                        saver.save(phase, student, adapters, p.optimizer(), state.progress().get(phase), Double.NaN);
                    }
                }

                @Override
                public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) throws IOException {
                    saver.save(phase, student, adapters, p.optimizer(), state.progress().get(phase),
                            state.validationAccuracy());
                }
            };
            List<LoopListener> listeners = new ArrayList<>(List.of(new Validation(root), new NonFiniteGuard(), saving,
                    new Progress(listener)));
            Map<String, TrainingProgress> end = new Loop(root, listeners).run(
                    built,
                    start.epoch() == 0 && start.batch() == 0 && start.history().isEmpty() ? null : Map.of(phase, start),
                    opened -> {
                        restore.adapters(adapters);
                        restore.optimizer(p.optimizer());
                    });
            return end.get(phase);
        }
    }
}

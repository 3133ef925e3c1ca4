package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.model.Network;

/**
 * The common phase: one network minimising one objective, taught by at most one knowledge source
 * — a teacher on labels, an offline student, a stage, a generation. Its participant (named after
 * the phase) holds the network and the objective's adapters, bound here (the engine is seeded by
 * the caller, so their initial weights are reproducible); its feed is the shuffled training set
 * with step seeds {@code derive(shuffleSeed, "step <epoch> <batch>")}.
 */
public final class SoloPhase {
    private SoloPhase() {}

    /** The phase; close its participant after it ran (that closes the adapters, not the network). */
    public static Phase of(String name, Network net, TrainSpec spec, DistillationLoss objective, KnowledgeSource source,
            Dataset train, Dataset validation, long shuffleSeed, Participant.Rates rates) {
        KnowledgeSource teacher = objective.needsTeacher() ? source : null;
        if (objective.needsTeacher() && teacher == null) {
            throw new IllegalArgumentException(name + ": this method needs a teacher");
        }
        Adapters adapters = new Adapters(net.manager());
        objective.bind(new Binding(net.tapShapes("student"), teacher == null ? null : teacher.tapShapes(), train.size(),
                train.idBound(), adapters));
        Participant p = Participant.learner(name, net, adapters, spec);
        Feed feed = Feed.shuffled(name, train, spec.batchSize(), shuffleSeed, spec.augment(), shuffleSeed, "", true);
        StepPolicy policy = StepPolicy.every(List.of(Update.minimise(name, name, objective, teacher)), objective);
        return new Phase(name, List.of(rates == null ? p : p.withRates(rates)), List.of(feed), policy, spec.epochs(),
                validation);
    }

    /**
     * Trains {@code net} from scratch without checkpoints (a bench, a probe): validation each epoch,
     * the non-finite guard, progress to {@code listener}. Returns its finished epochs.
     */
    public static List<EpochSummary> train(NDManager root, TrainListener listener, String name, Network net,
            TrainSpec spec, DistillationLoss objective, KnowledgeSource source, Dataset train, Dataset validation,
            long shuffleSeed) throws IOException {
        Phase phase = of(name, net, spec, objective, source, train, validation, shuffleSeed, null);
        try (Participant p = phase.participants().get(0)) {
            return new Loop(root, List.of(new Validation(root), new NonFiniteGuard(), new Progress(listener)))
                    .run(phase).get(name).history();
        }
    }
}

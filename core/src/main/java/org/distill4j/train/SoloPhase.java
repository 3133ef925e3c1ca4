package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Alternating;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.model.Network;
import org.distill4j.model.TapShapes;

/**
 * The common phase: one network minimising one objective, taught by named knowledge sources (at
 * most one, the teacher, for most; several for a multi-teacher student) — a teacher on labels, an
 * offline student, a stage, a generation. Its participant (named after
 * the phase) holds the network and the objective's adapters, bound here (the engine is seeded by
 * the caller, so their initial weights are reproducible); its feed is the shuffled training set
 * with step seeds {@code derive(shuffleSeed, "step <epoch> <batch>")}.
 */
public final class SoloPhase {
    private SoloPhase() {}

    /**
     * The phase; close its participants after it ran ({@link #close}: that closes the adapters, not the
     * network). An {@link Alternating} objective adds its partner, named {@code <name>.<partner>}, and
     * at each step either the partner or the network updates.
     */
    public static Phase of(String name, Network net, TrainSpec spec, DistillationLoss objective, KnowledgeSource source,
            Dataset train, Dataset validation, long shuffleSeed, Participant.Rates rates) {
        return of(name, net, spec, objective, source == null ? Map.of() : Map.of(Knowledge.TEACHER, source), train,
                validation, shuffleSeed, rates);
    }

    /** As above, taught by the named {@code sources} (keyed as the objective's knowledge will be). */
    public static Phase of(String name, Network net, TrainSpec spec, DistillationLoss objective,
            Map<String, KnowledgeSource> sources, Dataset train, Dataset validation, long shuffleSeed,
            Participant.Rates rates) {
        Map<String, KnowledgeSource> teachers = objective.needsTeacher() ? sources : Map.of();
        if (objective.needsTeacher() && teachers.isEmpty()) {
            throw new IllegalArgumentException(name + ": this method needs a teacher");
        }
        Adapters adapters = new Adapters(net.manager());
        Map<String, TapShapes> shapes = new LinkedHashMap<>();
        teachers.forEach((n, s) -> shapes.put(n, s.tapShapes()));
        objective.bind(Binding.of(net.tapShapes("student"), shapes, train.size(), train.idBound(), adapters));
        Participant p = Participant.learner(name, net, adapters, spec);
        Feed feed = Feed.shuffled(name, train, spec.batchSize(), shuffleSeed, spec.augment(), shuffleSeed, "", true);
        Update update = Update.minimise(name, name, objective, teachers);
        List<Participant> participants = new java.util.ArrayList<>(List.of(rates == null ? p : p.withRates(rates)));
        Alternating alternating = Alternating.of(objective);
        Update partnerUpdate = null;
        if (alternating != null) {
            String partner = name + "." + alternating.partner();
            Adapters own = new Adapters(net.manager());
            alternating.bindPartner(Binding.of(net.tapShapes("student"), shapes, train.size(), train.idBound(),
                    adapters), own);
            Participant q = Participant.adapters(partner, own, spec);
            participants.add(rates == null ? q : q.withRates(rates));
            // the student's outputs from evaluation mode: its batch statistics stay its own updates'
            partnerUpdate = new Update(partner, name, teachers, step -> alternating.partnerLoss(
                    step.forward(name, false), step.knowledge(), step.batch()), 1);
        }
        Update partnerStep = partnerUpdate;
        StepPolicy policy = alternating == null ? StepPolicy.every(List.of(update), objective) : new StepPolicy() {
            @Override
            public void startEpoch(int epoch, int epochs) {
                objective.startEpoch(epoch, epochs);
            }

            @Override
            public List<Update> step(long step, int epoch, int batch) {
                return List.of(alternating.partnerStep(step) ? partnerStep : update);
            }
        };
        return new Phase(name, participants, List.of(feed), policy, spec.epochs(), validation);
    }

    /** Closes every participant of a phase made here (their adapters; the networks stay with their owners). */
    public static void close(Phase phase) {
        phase.participants().forEach(Participant::close);
    }

    /**
     * Trains {@code net} from scratch without checkpoints (a bench, a probe): validation each epoch,
     * the non-finite guard, progress to {@code listener}. Returns its finished epochs.
     */
    public static List<EpochSummary> train(NDManager root, TrainListener listener, String name, Network net,
            TrainSpec spec, DistillationLoss objective, KnowledgeSource source, Dataset train, Dataset validation,
            long shuffleSeed) throws IOException {
        Phase phase = of(name, net, spec, objective, source, train, validation, shuffleSeed, null);
        try {
            return new Loop(root, List.of(new Validation(root), new NonFiniteGuard(), new Progress(listener)))
                    .run(phase).get(name).history();
        } finally {
            close(phase);
        }
    }
}

package org.distill4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;

/**
 * One update of a step: the {@code participant} whose parameters move, the {@code feed} whose
 * batch it reads, the knowledge sources it asks (keyed by name: several teachers can serve one
 * update) and the {@link Objective}. With {@code sign} 1 the participant descends on the
 * objective; with −1 it ascends (a discriminator or generator maximising what the student
 * minimises): the min–max updates of adversarial and data-free distillation.
 */
public record Update(String participant, String feed, Map<String, KnowledgeSource> sources, Objective objective,
        double sign) {
    public Update {
        if (sign != 1 && sign != -1) {
            throw new IllegalArgumentException("sign: 1 (minimise) or -1 (maximise), got " + sign);
        }
        sources = sources == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sources));
    }

    /**
     * The common update: {@code participant}'s network, in training mode, minimises {@code loss}
     * on its outputs, the knowledge of {@code source} (named "teacher"; null for none) and the batch.
     */
    public static Update minimise(String participant, String feed, DistillationLoss loss, KnowledgeSource source) {
        Map<String, KnowledgeSource> sources = new LinkedHashMap<>();
        if (source != null) {
            sources.put(org.distill4j.knowledge.Knowledge.TEACHER, source);
        }
        return minimise(participant, feed, loss, sources);
    }

    /** As {@link #minimise(String, String, DistillationLoss, KnowledgeSource)}, taught by several named sources. */
    public static Update minimise(String participant, String feed, DistillationLoss loss,
            Map<String, KnowledgeSource> sources) {
        return new Update(participant, feed, sources,
                step -> loss.compute(step.forward(participant, true), step.knowledge(), step.batch()), 1);
    }
}

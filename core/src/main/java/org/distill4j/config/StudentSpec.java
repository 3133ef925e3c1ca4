package org.distill4j.config;

import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * The student and how it learns from the teacher.
 *
 * @param model architecture (required, except by schemes with their own networks, e.g. {@code dml}'s peers)
 * @param train schedule (the same for the baseline, so the comparison is fair)
 * @param method distillation method by name, e.g. {@code {name: kd, temperature: 4, alpha: 0.9}}
 * @param baseline also train the same student from scratch (method none) from the same initial weights
 * @param knowledge where the teacher's outputs come from: {@code store} (default: computed once,
 *     stored as safetensors, read by sample id) or {@code live} (the teacher runs on every batch).
 *     With data augmentation the teacher always runs live.
 * @param fidelityEachEpoch also measure each distilled student's agreement and KL with the
 *     teacher on train and test at every epoch end, recorded per epoch and plotted in the report
 *     (default false: only at the end; left out of the JSON unless true)
 * @param knowledgeStore a knowledge store built beforehand for this run's teacher and training
 *     data (YAML key {@code knowledgeStore}): the directory {@code distill knowledge build} wrote
 *     (shards and their manifest) or one store file; read by sample id instead of building the
 *     run's own, and refused when its teacher, data or preprocessing digests differ (left out of
 *     the JSON when absent)
 */
public record StudentSpec(ModelSpec model, TrainSpec train, MethodSpec method, Boolean baseline,
        KnowledgeMode knowledge,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        Boolean fidelityEachEpoch,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String knowledgeStore) {
    /** Where a distilling student's teacher outputs come from. */
    public enum KnowledgeMode {
        @com.fasterxml.jackson.annotation.JsonProperty("store") STORE,
        @com.fasterxml.jackson.annotation.JsonProperty("live") LIVE
    }

    public StudentSpec(ModelSpec model, TrainSpec train, MethodSpec method, Boolean baseline) {
        this(model, train, method, baseline, null);
    }

    public StudentSpec(ModelSpec model, TrainSpec train, MethodSpec method, Boolean baseline,
            KnowledgeMode knowledge) {
        this(model, train, method, baseline, knowledge, null);
    }

    public StudentSpec(ModelSpec model, TrainSpec train, MethodSpec method, Boolean baseline,
            KnowledgeMode knowledge, Boolean fidelityEachEpoch) {
        this(model, train, method, baseline, knowledge, fidelityEachEpoch, null);
    }

    /** Whether fidelity is measured at every epoch end ({@code fidelityEachEpoch: true}). */
    public boolean fidelityEveryEpoch() {
        return Boolean.TRUE.equals(fidelityEachEpoch);
    }

    public StudentSpec {
        knowledge = knowledge == null ? KnowledgeMode.STORE : knowledge;
        if (knowledgeStore != null && knowledge == KnowledgeMode.LIVE) {
            throw new IllegalArgumentException("knowledgeStore: a run with knowledge: live reads no store (got "
                    + knowledgeStore + ")");
        }
        fidelityEachEpoch = Boolean.TRUE.equals(fidelityEachEpoch) ? Boolean.TRUE : null;
        // model may be absent only where the scheme brings its own networks: RunConfig asks the scheme
        train = train == null ? new TrainSpec(null, null, null, null) : train;
        method = method == null ? new HintonKd(null, null) : method;
        baseline = baseline == null ? Boolean.TRUE : baseline;
    }
}

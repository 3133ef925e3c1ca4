package org.distill4j.method;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.WeightedSum;

/**
 * A named distillation method chosen in YAML by {@code name} (e.g. {@code kd}); its record
 * holds the method's parameters and builds its losses. A method has no training loop: the
 * scheme runs it. Adding a method is a record implementing this, one line below and a test.
 * Unknown names fail listing the known ones (Jackson reports the registered ids). A user's own
 * method, defined outside distill4j, is added with {@link org.distill4j.config.Registry#method}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "name")
@JsonSubTypes({
    @JsonSubTypes.Type(value = NoDistillation.class, name = "none"),
    @JsonSubTypes.Type(value = HintonKd.class, name = "kd"),
    @JsonSubTypes.Type(value = Dkd.class, name = "dkd"),
    @JsonSubTypes.Type(value = FitNet.class, name = "fitnet"),
    @JsonSubTypes.Type(value = KdHint.class, name = "kd-hint"),
    @JsonSubTypes.Type(value = AttentionTransfer.class, name = "at"),
    @JsonSubTypes.Type(value = SimilarityPreserving.class, name = "sp"),
    @JsonSubTypes.Type(value = RelationalKd.class, name = "rkd"),
    @JsonSubTypes.Type(value = ProbabilisticTransfer.class, name = "pkt"),
    @JsonSubTypes.Type(value = Fsp.class, name = "fsp"),
    @JsonSubTypes.Type(value = ContrastiveRepresentation.class, name = "crd"),
    @JsonSubTypes.Type(value = Vid.class, name = "vid"),
    @JsonSubTypes.Type(value = InstanceRelationGraph.class, name = "irg"),
    @JsonSubTypes.Type(value = MultiTeacher.class, name = "multi-teacher"),
    // retrieval-augmented KD (issue 13 point 1)
    @JsonSubTypes.Type(value = ReAugKd.class, name = "reaugkd"),
    // issue 13: redundant information distillation
    @JsonSubTypes.Type(value = Rid.class, name = "rid"),
    // issue 13: scaffolding a student with a guide network
    @JsonSubTypes.Type(value = Disk.class, name = "disk"),
})
public interface MethodSpec {
    /**
     * The method's own loss: its distillation terms, each already weighted by the method's
     * coefficients, never the task's cross-entropy (the {@link #objective()} adds that). Null for
     * a method with no terms of its own ({@code none}).
     */
    DistillationLoss loss();

    /** Weight of the cross-entropy with labels in the objective (default 1). */
    default double crossEntropyWeight() {
        return 1;
    }

    /** What a student trained with this method minimises: {@code crossEntropyWeight·CE + Σ terms}. */
    default DistillationLoss objective() {
        return new WeightedSum(crossEntropyWeight(), loss());
    }

    /** Registry name as written in YAML. */
    String name();

    /**
     * Checks the method can learn from {@code count} teachers (the config's {@code teachers:}),
     * before anything trains; the message starts with the config key at fault. A method reads one
     * teacher unless it says otherwise ({@code multi-teacher}); one without a teacher ({@code none})
     * reads none and fits any count.
     */
    default void checkTeachers(int count) {
        if (count > 1 && objective().needsTeacher()) {
            throw new IllegalArgumentException("teachers: method '" + name() + "' learns from one teacher, the config "
                    + "gives " + count + "; use student.method {name: multi-teacher} to distil from several");
        }
    }
}

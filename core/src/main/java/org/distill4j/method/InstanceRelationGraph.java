package org.distill4j.method;

import java.util.List;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.relation.IrgLoss;
import org.distill4j.model.Outputs;

/**
 * {@code irg}: Liu et al. 2019 instance relationship graph distillation, see {@link IrgLoss} for the
 * formula and the choices behind the defaults. Its objective is
 * {@code ceWeight·CE + irg_vertex + irg_edge + irg_transform}.
 *
 * @param studentTaps student taps, one graph each, paired in order with {@code teacherTaps} (default [embedding])
 * @param teacherTaps teacher taps, same length (default [embedding])
 * @param vertexTap tap of both networks whose values the vertex term matches (default logits)
 * @param vertexWeight weight of the vertex term (default 0.1; 0 turns it off)
 * @param edgeWeight weight of the edge term, the mean over taps (default 5)
 * @param transformWeight weight of the transformation term between consecutive taps (default 5; it
 *     needs two taps or more)
 * @param squared squared Euclidean distances (default true)
 * @param ceWeight weight of the cross-entropy with labels in the objective (default 1)
 */
public record InstanceRelationGraph(List<String> studentTaps, List<String> teacherTaps, String vertexTap,
        Double vertexWeight, Double edgeWeight, Double transformWeight, Boolean squared, Double ceWeight)
        implements MethodSpec {
    public InstanceRelationGraph {
        studentTaps = MethodChecks.taps(studentTaps, Outputs.EMBEDDING, "studentTaps");
        teacherTaps = MethodChecks.taps(teacherTaps, Outputs.EMBEDDING, "teacherTaps");
        vertexTap = MethodChecks.tap(vertexTap, Outputs.LOGITS, "vertexTap");
        vertexWeight = MethodChecks.weight(vertexWeight, 0.1, "vertexWeight");
        edgeWeight = MethodChecks.weight(edgeWeight, 5, "edgeWeight");
        transformWeight = MethodChecks.weight(transformWeight, 5, "transformWeight");
        squared = squared == null ? Boolean.TRUE : squared;
        ceWeight = MethodChecks.weight(ceWeight, 1, "ceWeight");
    }

    @Override
    public DistillationLoss loss() {
        return new IrgLoss(studentTaps, teacherTaps, vertexTap, vertexWeight, edgeWeight, transformWeight, squared);
    }

    /** {@code ceWeight}: the objective is {@code ceWeight·CE} plus the loss's terms. */
    @Override
    public double crossEntropyWeight() {
        return ceWeight;
    }

    @Override
    public String name() {
        return "irg";
    }
}

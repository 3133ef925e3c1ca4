package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.model.Outputs;

/**
 * Several methods' losses at once: their terms side by side (term names must differ), the total
 * their sum in the order given. Each part binds its own adapters.
 */
public final class SumLoss implements DistillationLoss {
    private final List<DistillationLoss> parts;

    public SumLoss(List<DistillationLoss> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a sum of losses needs at least one");
        }
        this.parts = List.copyOf(parts);
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        Map<String, NDArray> terms = new LinkedHashMap<>();
        for (DistillationLoss p : parts) {
            for (Map.Entry<String, NDArray> t : p.compute(student, teacher, batch).terms().entrySet()) {
                if (terms.putIfAbsent(t.getKey(), t.getValue()) != null) {
                    throw new IllegalStateException("two parts of a sum of losses name a term '" + t.getKey() + "'");
                }
            }
        }
        return LossValue.sum(terms);
    }

    @Override
    public Set<String> studentTaps() {
        Set<String> s = new HashSet<>();
        parts.forEach(p -> s.addAll(p.studentTaps()));
        return s;
    }

    @Override
    public Set<String> teacherTaps() {
        Set<String> s = new HashSet<>();
        parts.forEach(p -> s.addAll(p.teacherTaps()));
        return s;
    }

    @Override
    public boolean needsTeacher() {
        return parts.stream().anyMatch(DistillationLoss::needsTeacher);
    }

    @Override
    public void bind(Binding binding) {
        parts.forEach(p -> p.bind(binding));
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        parts.forEach(p -> p.startEpoch(epoch, epochs));
    }
}

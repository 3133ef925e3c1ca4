package org.distill4j.scheme;

import java.util.List;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * {@code takd}: teacher-assistant knowledge distillation (Mirzadeh et al. 2020, "Improved
 * Knowledge Distillation via Teacher Assistant"). When the capacity gap between teacher and
 * student is large, distil through a chain of intermediate networks: teacher → assistant1 → …
 * → assistantN → student, each link trained with {@code method} from the frozen network before
 * it. With no assistants it is plain offline KD.
 *
 * <p>Models reported: {@code teacher}, {@code assistant1} … {@code assistantN}, {@code student};
 * with {@code baseline} also {@code student-direct} (the same student, same initial weights and
 * batch order, distilled directly from the teacher with the same method; left out when there
 * are no assistants, where it would be {@code student} again) and {@code student-alone} (labels
 * only). Every model's fidelity is measured against the original teacher; each link's agreement
 * with the network that taught it is in the record's scheme results. Assistants share one
 * initialisation seed (role {@code assistant}) and students another (role {@code student}), so
 * a chain can be cut at any assistant and continued with that assistant as a loaded teacher.
 * {@code student.method} and {@code student.baseline} are not used.
 *
 * @param assistants the assistants' architectures, from the teacher's side to the student's
 *     (default none; any number)
 * @param method the method of every link and of {@code student-direct} (default {@code kd}
 *     with its defaults); it must use a teacher
 * @param assistantTrain the assistants' schedule (default: {@code student.train})
 * @param baseline also train {@code student-direct} and {@code student-alone} (default true)
 */
public record TakdScheme(List<ModelSpec> assistants, MethodSpec method, TrainSpec assistantTrain, Boolean baseline)
        implements SchemeSpec {
    public TakdScheme {
        assistants = assistants == null ? List.of() : assistants;
        if (assistants.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("assistants: an entry is empty; each is a model, e.g. {type: cnn, channels: [16, 32]}");
        }
        assistants = List.copyOf(assistants);
        method = method == null ? new HintonKd(null, null) : method;
        baseline = baseline == null ? Boolean.TRUE : baseline;
        if (!method.objective().needsTeacher()) {
            throw new IllegalArgumentException("method: takd passes knowledge along the chain, but '" + method.name()
                    + "' uses no teacher; use kd or another distillation method");
        }
    }

    @Override
    public String name() {
        return "takd";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }
}

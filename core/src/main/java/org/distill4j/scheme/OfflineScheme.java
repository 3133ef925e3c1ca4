package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.model.Network;
import org.distill4j.train.RunContext;

/**
 * {@code offline}: the teacher is trained first (or loaded) and frozen; the student learns from
 * it with the configured method, each student a phase of its own through the one {@link
 * org.distill4j.train.Loop}. The default scheme.
 */
public record OfflineScheme() implements SchemeSpec {
    @Override
    public String name() {
        return "offline";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    /**
     * Trains (or loads) the teacher, freezes it, then trains the student with the method — and,
     * when a baseline is asked for, the same student from the same initial weights without
     * distillation. Every method's taps are checked before the teacher trains.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ts = ctx.config().teacher();
        var ss = ctx.config().student();
        List<MethodSpec> methods = new ArrayList<>();
        if (ss.baseline() && !(ss.method() instanceof NoDistillation)) {
            methods.add(new NoDistillation());
        }
        methods.add(ss.method());
        // Before the teacher trains: a wrong tap fails now, and the bound probes say which teacher
        // taps to store (a method may pick its taps from the shapes).
        List<DistillationLoss> bound = new ArrayList<>();
        for (MethodSpec method : methods) {
            bound.add(ctx.checkTaps("student-" + method.name(), method, ss.model(), ts.model()));
        }
        try (Network teacher = ctx.teacher()) {
            students(ctx, teacher, methods, bound);
        }
        return null;
    }

    /**
     * Trains (or resumes, or loads) one student per method on the run's training data, each
     * {@code student-<method>}, from the same initial weights and batch order, taught by
     * {@code teacher} with the bound loss ({@link RunContext#checkTaps}) at the same place.
     */
    static void students(RunContext ctx, Network teacher, List<MethodSpec> methods, List<DistillationLoss> bound)
            throws IOException {
        var ss = ctx.config().student();
        for (int i = 0; i < methods.size(); i++) {
            MethodSpec method = methods.get(i);
            DistillationLoss loss = bound.get(i);
            KnowledgeSource source = loss.needsTeacher()
                    ? ctx.knowledge(teacher, "teacher", ss.train(), loss.teacherTaps()) : null;
            ctx.train(RunContext.Solo.of("student-" + method.name(), "student", method.name(), loss, ss.model(),
                    ss.train()).taughtBy(source).withFidelity(true)).close();
        }
    }
}

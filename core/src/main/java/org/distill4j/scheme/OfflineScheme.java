package org.distill4j.scheme;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.HintonKd;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.MultiTeacher;
import org.distill4j.method.NoDistillation;
import org.distill4j.config.TeacherSpec;
import org.distill4j.model.InferenceModel;
import org.distill4j.train.RunContext;

/**
 * {@code offline}: the teacher is trained first (or loaded) and frozen; the student learns from
 * it with the configured method, each student a phase of its own through the one {@link
 * org.distill4j.train.Loop}. The default scheme.
 *
 * <p>With several teachers ({@code teachers:}) each is trained or loaded in turn
 * ({@code teacher1 … teacherK}, then their ensemble {@code teachers-ensemble} is evaluated), each
 * has a knowledge store of its own ({@code knowledge/teacher<k>.safetensors}, keyed by that
 * teacher's weights digest), and the student learns from all of them at once (one update, the
 * teachers' knowledge keyed by name). The fair baselines, with {@code student.baseline}: the same
 * student from the same initial weights on labels ({@code student-none}) and with plain KD from
 * each teacher alone ({@code student-kd-teacher<k>}, Hinton KD at the method's temperature and
 * α); fidelity is measured against the teachers' ensemble.
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

    @Override
    public boolean takesSeveralTeachers() {
        return true;
    }

    /** One student of the run: its result name, its method and the teachers it learns from. */
    private record Student(String name, MethodSpec method, List<String> teachers) {}

    /**
     * Trains (or loads) the teacher(s), freezes them, then trains the student with the method — and,
     * when a baseline is asked for, the same student from the same initial weights without
     * distillation (and, with several teachers, with plain KD from each). Every method's taps are
     * checked before any teacher trains.
     */
    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        Map<String, TeacherSpec> specs = new LinkedHashMap<>(ctx.config().teacherSpecs());
        List<String> all = List.copyOf(specs.keySet());
        List<Student> students = new ArrayList<>();
        if (ss.baseline() && !(ss.method() instanceof NoDistillation)) {
            students.add(new Student("student-none", new NoDistillation(), List.of()));
            if (all.size() > 1) {
                HintonKd kd = ss.method() instanceof MultiTeacher mt ? new HintonKd(mt.temperature(), mt.alpha())
                        : new HintonKd(null, null);
                all.forEach(t -> students.add(new Student("student-kd-" + t, kd, List.of(t))));
            }
        }
        students.add(new Student("student-" + ss.method().name(), ss.method(), all));
        // Before any teacher trains: a wrong tap fails now, and the bound probes say which teacher
        // taps to store (a method may pick its taps from the shapes); each store holds them all.
        List<DistillationLoss> bound = new ArrayList<>();
        Map<String, Set<String>> taps = new LinkedHashMap<>();
        for (Student s : students) {
            Map<String, TeacherSpec> mine = new LinkedHashMap<>();
            s.teachers().forEach(t -> mine.put(t, specs.get(t)));
            DistillationLoss loss = mine.isEmpty() ? s.method().objective()
                    : ctx.checkTaps(s.name(), s.method(), ss.model(), mine);
            bound.add(loss);
            s.teachers().forEach(t -> taps.computeIfAbsent(t, k -> new LinkedHashSet<>()).addAll(loss.teacherTaps()));
        }
        Map<String, InferenceModel> teachers = ctx.teachers();
        try {
            Map<String, KnowledgeSource> opened = new LinkedHashMap<>();
            for (int i = 0; i < students.size(); i++) {
                Student s = students.get(i);
                DistillationLoss loss = bound.get(i);
                Map<String, KnowledgeSource> sources = new LinkedHashMap<>();
                if (loss.needsTeacher()) {
                    for (String t : s.teachers()) {
                        KnowledgeSource k = opened.get(t);
                        if (k == null) {
                            k = ctx.knowledge(teachers.get(t), t, ss.train(), taps.get(t));
                            opened.put(t, k);
                        }
                        // a one-teacher method reads its teacher under the usual name
                        sources.put(s.teachers().size() == 1 && !(s.method() instanceof MultiTeacher)
                                ? Knowledge.TEACHER : t, k);
                    }
                }
                ctx.train(RunContext.Solo.of(s.name(), "student", s.method().name(), loss, ss.model(), ss.train())
                        .taughtBy(sources).withFidelity(true)).close();
            }
        } finally {
            teachers.values().forEach(InferenceModel::close);
        }
        return null;
    }
}

package org.distill4j.scheme;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.config.StudentSpec;
import org.distill4j.data.Dataset;
import org.distill4j.data.NoiseSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.method.MethodSpec;
import org.distill4j.method.NoDistillation;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.train.Feed;
import org.distill4j.train.LoopListener;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.TrainingProgress;

/**
 * What the algorithm schemes ({@code adversarial}, {@code zskt}, {@code afd}, {@code dafl},
 * {@code deep-inversion}) share: their fair baselines on real data, the phase of a student that
 * learns beside other participants (a discriminator, a generator, optimised inputs), the data
 * guard of a data-free phase, and the feed of latent codes.
 */
final class Algorithms {
    private Algorithms() {}

    /**
     * The real-data students beside an algorithm's, with {@code student.baseline} (default true):
     * the same student from scratch ({@code student-none}) and with {@code student.method} on the
     * real training data ({@code student-<method>}, unless the method is {@code none}); none
     * without. Each method's loss is bound against both architectures when this is made, so a
     * wrong tap fails before the teacher trains.
     */
    record Baselines(List<MethodSpec> methods, List<DistillationLoss> bound) {
        /**
         * Trains (or resumes, or loads) one student per method on the run's training data, each
         * {@code student-<method>}, from the same initial weights and batch order, taught by
         * {@code teacher} with the bound loss.
         */
        void train(RunContext ctx, InferenceModel teacher) throws IOException {
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

    /**
     * The run's teacher as the zoo network it is in a scheme that refuses imported teachers
     * ({@link SchemeSpec#zooTeacherReason}: RunConfig has refused {@code teacher.import} before).
     */
    static Network zoo(InferenceModel teacher) {
        if (teacher instanceof Network n) {
            return n;
        }
        teacher.close();
        throw new IllegalStateException("teacher.import: this scheme needs a zoo teacher, not " + teacher.describe());
    }

    static Baselines baselines(RunContext ctx) {
        StudentSpec student = ctx.config().student();
        List<MethodSpec> methods = new ArrayList<>();
        if (student.baseline()) {
            methods.add(new NoDistillation());
            if (!(student.method() instanceof NoDistillation)) {
                methods.add(student.method());
            }
        }
        List<DistillationLoss> bound = new ArrayList<>();
        for (MethodSpec m : methods) {
            bound.add(ctx.checkTaps("student-" + m.name(), m, student.model(), ctx.config().teacher()));
        }
        return new Baselines(methods, bound);
    }

    /** A phase built around a freshly initialised student, its hooks and what to close after it. */
    record Built(Phase phase, List<LoopListener> hooks, List<AutoCloseable> resources) {}

    /** Builds the phase of a student (initialised by the caller, from the role "student"). */
    @FunctionalInterface
    interface Builder {
        Built build(Network student) throws IOException;
    }

    /**
     * Trains (or resumes, or loads when finished before) the student {@code name} in the phase
     * {@code builder} makes around it: the student starts from the weights every student of the
     * run starts from (role "student"), the phase runs through the one loop with the run's
     * listeners, sealed ({@link #seal}) when {@code dataFree}; the student is saved and evaluated
     * (fidelity to the teacher included). The caller closes the returned network.
     */
    static Network student(RunContext ctx, String name, String method, ModelSpec model, boolean dataFree,
            Builder builder) throws IOException {
        if (ctx.done(name) != null) {
            return ctx.loadFinished(name, model);
        }
        Seeds.apply(Seeds.derive(ctx.seed(), "student"));
        Network net = ctx.create(model);
        Map<String, TrainingProgress> end;
        try {
            Built built = builder.build(net);
            try (AutoCloseable seal = dataFree ? seal(ctx, name) : null) {
                end = ctx.run(built.phase(), built.hooks());
            } finally {
                for (Participant p : built.phase().participants()) {
                    p.close();
                }
                for (AutoCloseable r : built.resources()) {
                    r.close();
                }
            }
        } catch (RuntimeException | IOException e) {
            net.close();
            throw e;
        } catch (Exception e) {
            net.close();
            throw new IllegalStateException(e);
        }
        net.save(ctx.runDir().resolve(name + ".model"), ctx.provenanceOf(name, net));
        ctx.evaluated(name, "student", method, net, false, end.get(name), true);
        return net;
    }

    /**
     * The data guard of a data-free phase: seals the run's real training data ({@link Dataset#seal}:
     * with the validation split and the loaded source they were cut from) until closed, so any
     * read of a real image or label while {@code phase} runs throws, naming the phase.
     */
    static AutoCloseable seal(RunContext ctx, String phase) {
        return ctx.train().seal("phase " + phase + " is data-free: no real training image may reach its student");
    }

    /** Steps per epoch of a data-free phase: as configured, else as many as the real training set has batches. */
    static int stepsPerEpoch(RunContext ctx, Integer configured, int batchSize) {
        return configured != null ? configured : Math.max(1, ctx.train().size() / batchSize);
    }

    /** A feed of {@code batchSize} latent codes of length {@code z} per step, seeded from the phase's name. */
    static Feed noise(RunContext ctx, String phase, int z, int batchSize, int stepsPerEpoch) {
        NoiseSource codes = new NoiseSource(new long[] {z}, batchSize, stepsPerEpoch,
                Seeds.derive(ctx.seed(), phase + " codes"));
        return Feed.generated("codes", codes, Seeds.derive(ctx.seed(), phase));
    }

    /** A generator for this run's images ({@code batch} codes at a time), its initial weights seeded from the phase's name. */
    static org.distill4j.loss.Adapters generator(RunContext ctx, String phase, GeneratorSpec spec, int batch) {
        Seeds.apply(Seeds.derive(ctx.seed(), phase + " generator"));
        org.distill4j.loss.Adapters g = new org.distill4j.loss.Adapters(ctx.root());
        g.block("generator", spec.build(ctx.train().sampleShape()), spec.inputShape(batch));
        return g;
    }

    /** Checks a steps-per-epoch setting (null: the default). */
    static Integer checkSteps(Integer steps) {
        if (steps != null && !(steps >= 1 && steps <= 1_000_000)) {
            throw new IllegalArgumentException("stepsPerEpoch: must be in [1, 1000000] (got " + steps + ")");
        }
        return steps;
    }

    /** Checks a weight: finite and ≥ 0. */
    static double weight(Double value, double fallback, String key) {
        double v = value == null ? fallback : value;
        if (!(v >= 0 && Double.isFinite(v))) {
            throw new IllegalArgumentException(key + ": must be a finite number ≥ 0 (got " + v + ")");
        }
        return v;
    }

    /** Checks a temperature: in (0, 1000]. */
    static double temperature(Double value, double fallback) {
        double v = value == null ? fallback : value;
        if (!(v > 0 && v <= 1000)) {
            throw new IllegalArgumentException("temperature: must be in (0, 1000] (got " + v + ")");
        }
        return v;
    }
}

package org.distill4j.scheme;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.adversarial.GanLoss;
import org.distill4j.model.InferenceModel;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapException;
import org.distill4j.report.RunRecord;
import org.distill4j.train.Feed;
import org.distill4j.train.Objective;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.RunContext;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.Update;
import org.distill4j.model.Scalars;

/**
 * {@code adversarial}: knowledge distillation with a discriminator (Xu, Hsu &amp; Huang 2017,
 * "Training Shallow and Thin Networks for Acceleration via Knowledge Distillation with
 * Conditional Adversarial Networks"; on features as in Belagiannis et al. 2018, "Adversarial
 * Network Compression"). The teacher is trained (or loaded) first; then the student learns
 * with {@code student.method} (KD by default) while a discriminator D — an MLP on the flattened
 * tap {@code on} (the logits by default, or any tap both networks have at one size) — learns to
 * tell the teacher's outputs from the student's, and the student learns to fool it. Each step:
 *
 * <ol>
 *   <li>{@code discriminator.steps} (default 1) updates of D <em>ascending</em> on
 *       {@code V = mean log σ(D(t)) + mean log(1 − σ(D(s)))} (sign −1; t the teacher's tap, s
 *       the student's in training mode, both detached; the student's batch-norm running statistics
 *       are left as they were: only its own update moves them);
 *   <li>one update of the student descending on its method's objective plus
 *       {@code λ·(−mean log σ(D(s)))} (non-saturating, default) or {@code λ·mean log(1 − σ(D(s)))}
 *       ({@code form: minimax}, V's own fake term: the zero-sum game).
 * </ol>
 *
 * With {@code student.baseline} the same student also learns from scratch and with
 * {@code student.method} alone (no discriminator), from the same initial weights and batch
 * order: the table's fair comparison. <em>Choices the papers leave open (options):</em> the
 * tap, the form, λ ({@code weight}, default 1), the discriminator's size and optimizer (default
 * one hidden layer of 64, Adam 2e-4/β₁ 0.5, inputs not normalised; {@code score} only
 * {@code linear}: the loss takes {@code log σ} of the raw score itself). Not implemented: Xu et al.'s class prediction by the
 * discriminator, and KDGAN's three-player game (Wang et al. 2018), where the teacher learns too.
 *
 * @param on the tap D judges (default {@code logits})
 * @param weight λ (default 1)
 * @param form {@code non-saturating} (default) or {@code minimax}
 * @param discriminator D and its schedule
 */
public record AdversarialScheme(String on, Double weight, GanLoss.Form form, DiscriminatorSpec discriminator)
        implements SchemeSpec {
    static final String STUDENT = "student-adversarial";

    public AdversarialScheme {
        on = on == null ? Outputs.LOGITS : on;
        weight = Algorithms.weight(weight, 1, "weight");
        form = form == null ? GanLoss.Form.NON_SATURATING : form;
        DiscriminatorSpec linear = DiscriminatorSpec.defaults(DiscriminatorSpec.Score.LINEAR, false);
        discriminator = (discriminator == null ? linear : discriminator).or(linear);
        if (discriminator.score() != DiscriminatorSpec.Score.LINEAR) {
            throw new IllegalArgumentException("discriminator.score: adversarial takes only linear (its loss reads "
                    + "the raw score through log σ already; got " + discriminator.score().name().toLowerCase(
                    java.util.Locale.ROOT) + ")");
        }
    }

    @Override
    public String name() {
        return "adversarial";
    }

    @Override
    public boolean needsTeacher() {
        return true;
    }

    @Override
    public JsonNode run(RunContext ctx) throws IOException {
        var ss = ctx.config().student();
        Algorithms.Baselines baselines = Algorithms.baselines(ctx);
        DistillationLoss probe = ctx.checkTaps(STUDENT, ss.method(), ss.model(), ctx.config().teacher());
        long features = features(ctx);
        Set<String> taps = new LinkedHashSet<>(probe.teacherTaps());
        if (!on.equals(Outputs.LOGITS)) {
            taps.add(on);
        }
        try (InferenceModel teacher = ctx.teacher()) {
            baselines.train(ctx, teacher);
            KnowledgeSource source = ctx.knowledge(teacher, "teacher", ss.train(), taps);
            Algorithms.student(ctx, STUDENT, name() + "+" + ss.method().name(), ss.model(), false,
                    student -> built(ctx, student, source, features)).close();
        }
        ObjectNode out = RunRecord.JSON.createObjectNode();
        out.put("scheme", name());
        ObjectNode settings = out.putObject("settings");
        settings.put("on", on);
        settings.put("features", features);
        settings.put("method", ss.method().name());
        return out;
    }

    /** The values per sample of tap {@code on}, equal on both networks (checked on fresh networks). */
    long features(RunContext ctx) {
        var c = ctx.config();
        try (Network s = ctx.create(c.student().model())) {
            var ts = ctx.teacherShapes("teacher", c.teacher());
            var sts = s.tapShapes("student");
            for (var shapes : List.of(sts, ts)) {
                if (!shapes.shapes().containsKey(on)) {
                    throw new TapException("scheme adversarial: on '" + on + "' is not a tap of the " + shapes.network()
                            + " (it has " + shapes.shapes().keySet() + ")");
                }
            }
            if (sts.size(on) != ts.size(on)) {
                throw new TapException("scheme adversarial: on '" + on + "' has " + sts.size(on) + " values per sample "
                        + "on the student " + sts.shape(on) + " and " + ts.size(on) + " on the teacher " + ts.shape(on)
                        + "; the discriminator judges both: choose a tap of one size (e.g. logits)");
            }
            return ts.size(on);
        }
    }

    private Algorithms.Built built(RunContext ctx, Network student, KnowledgeSource source, long features) {
        var ss = ctx.config().student();
        DistillationLoss objective = ss.method().objective();
        Adapters extras = new Adapters(student.manager());
        objective.bind(new Binding(student.tapShapes("student"), source.tapShapes(), ctx.train().size(),
                ctx.train().idBound(), extras));
        Seeds.apply(Seeds.derive(ctx.seed(), STUDENT + " discriminator"));
        Adapters d = new Adapters(ctx.root());
        d.block("discriminator", discriminator.build(), DiscriminatorSpec.inputShape(features));
        long shuffle = Seeds.derive(ctx.seed(), "student-shuffle");
        Feed feed = Feed.shuffled(STUDENT, ctx.train(), ss.train().batchSize(), shuffle, ss.train().augment(), shuffle,
                "", true);
        return new Algorithms.Built(phase(student, extras, d, objective, source, feed, ss.train(), ctx.validation()),
                List.of(), List.of());
    }

    /** The phase: the student (and its method's extras) and D; D's updates, then the student's. */
    Phase phase(Network student, Adapters extras, Adapters d, DistillationLoss objective, KnowledgeSource source,
            Feed feed, org.distill4j.train.TrainSpec train, org.distill4j.data.Dataset validation) {
        Map<String, KnowledgeSource> sources = Map.of(Knowledge.TEACHER, source);
        Objective discriminate = step -> {
            NDArray real = step.knowledge().outputs().get(on).stopGradient();
            NDArray fake = student.forwardKeepingStatistics(step.batch().input()).get(on).stopGradient();
            Adapters disc = step.adapters("discriminator");
            return LossValue.of("gan", GanLoss.value(disc.forward("discriminator", real),
                    disc.forward("discriminator", fake)));
        };
        Objective learn = step -> {
            Outputs out = step.forward(STUDENT, true);
            LossValue base = objective.compute(out, step.knowledge(), step.batch());
            NDArray fake = step.adapters("discriminator").forward("discriminator", out.get(on));
            Map<String, NDArray> terms = new LinkedHashMap<>(base.terms());
            NDArray adversarial = Scalars.mul(GanLoss.fool(fake, form), weight);
            terms.put("adversarial", adversarial);
            return new LossValue(base.total().add(adversarial), terms);
        };
        List<Update> updates = new ArrayList<>();
        for (int i = 0; i < discriminator.steps(); i++) {
            updates.add(new Update("discriminator", feed.name(), sources, discriminate, -1));
        }
        updates.add(new Update(STUDENT, feed.name(), sources, learn, 1));
        return new Phase(STUDENT, List.of(Participant.learner(STUDENT, student, extras, train),
                Participant.adapters("discriminator", d, discriminator.train(train))), List.of(feed),
                StepPolicy.every(updates, objective), train.epochs(), validation);
    }
}

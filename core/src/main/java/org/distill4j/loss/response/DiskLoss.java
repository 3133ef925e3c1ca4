package org.distill4j.loss.response;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.Set;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Alternating;
import org.distill4j.loss.Binding;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.Scalars;
import org.distill4j.model.TapException;

/**
 * DiSK, distilling scaffolded knowledge (Kag, Acar, Gangrade &amp; Saligrama, ICLR 2023,
 * "Scaffolding a Student to Instill Knowledge"): a <i>guide</i> network {@code g(x) ∈ [0, 1]} on the
 * teacher's tap (flattened; linear, ReLU, linear, sigmoid) lifts the student's probabilities on the
 * teacher's top-k classes plus the true label, the set {@code M(x)}:
 * <pre>  q = (softmax(z_s/T_s) + g·1_M) / (1 + g·|M|)</pre>
 * and the student matches the teacher's distribution restricted to M,
 * {@code r = softmax_M(z_t/T)}, through the lifted prediction:
 * <pre>  disk = weight · T_s·T · mean_batch( −Σ_c r_c·log q_c )</pre>
 * Where g is large the lifted prediction is already close to r whatever the student says: the
 * example is <i>censored</i>, the student spends no capacity on it. The guide (an
 * {@link Alternating} partner with an optimizer of its own) minimises the same term with the
 * student detached plus a Lagrangian over its mass on the student's errors:
 * <pre>  c = Σ_i g_i·e_i / max(1, Σ_i e_i),  e_i = [argmax z_s,i ≠ y_i]
 *   guide = disk(g) + λ·(c − ε)</pre>
 * and after each guide step the multiplier takes a dual ascent step {@code λ ← max(0, λ + ρ·(c − ε))}.
 * λ is state of the guide's adapters: checkpointed with it, so a resumed run continues the ascent.
 * Student and guide alternate by epochs ({@code studentEpochs}, then {@code guideEpochs}, the
 * student first). At test time the guide is dropped: it is no part of the exported student.
 *
 * <p>Choices the paper or its code leave open, taken here: the lifted prediction is renormalised
 * (the reference code adds {@code log(1 + K·g)} to the guide's loss to the same effect, and the
 * student's gradient is the same either way, its probabilities summing to 1); the teacher's target
 * is renormalised over M (the reference multiplies a full-softmax by the mask); the error indicator
 * is the student's hard error (the reference weighs errors by a clipped cross-entropy); λ ascends
 * after every guide step on that batch's constraint (the reference ascends once an epoch); the
 * guide's output starts near 0 ({@link #GUIDE_OFFSET} added before the sigmoid), so the first
 * student epochs are plain masked KD instead of being lifted by an untrained guide.
 */
public final class DiskLoss implements DistillationLoss, Alternating {
    /** The student's term. */
    public static final String TERM = "disk";
    /** The guide's terms: the lifted loss with the student detached, and λ·(c − ε). */
    public static final String GUIDE = "disk.guide";
    public static final String BUDGET = "disk.budget";
    /** The guide's adapter and its multiplier's state. */
    public static final String GUIDE_NET = "disk.guide";
    public static final String LAMBDA = "disk.lambda";
    /** Added to the guide's last layer before the sigmoid: g starts at about sigmoid(−4) = 0.018. */
    public static final float GUIDE_OFFSET = -4f;

    private final String teacherTap;
    private final int topK;
    private final double budget;
    private final double temperature;
    private final double studentTemperature;
    private final double weight;
    private final double dualStep;
    private final double initialLambda;
    private final int studentEpochs;
    private final int guideEpochs;
    private final int guideHidden;
    private Adapters guide;
    private NDArray lambda;
    private int epoch;

    public DiskLoss(String teacherTap, int topK, double budget, double temperature, double studentTemperature,
            double weight, double dualStep, double initialLambda, int studentEpochs, int guideEpochs,
            int guideHidden) {
        if (topK < 1 || !(budget > 0 && budget < 1) || !(temperature > 0) || !(studentTemperature > 0)
                || !(weight >= 0) || !(dualStep > 0) || !(initialLambda >= 0) || studentEpochs < 1
                || guideEpochs < 1 || guideHidden < 1) {
            throw new IllegalArgumentException("disk: need topK ≥ 1, budget in (0, 1), temperatures > 0, weight ≥ 0, "
                    + "dualStep > 0, initialLambda ≥ 0, epochs and guideHidden ≥ 1");
        }
        this.teacherTap = teacherTap;
        this.topK = topK;
        this.budget = budget;
        this.temperature = temperature;
        this.studentTemperature = studentTemperature;
        this.weight = weight;
        this.dualStep = dualStep;
        this.initialLambda = initialLambda;
        this.studentEpochs = studentEpochs;
        this.guideEpochs = guideEpochs;
        this.guideHidden = guideHidden;
    }

    /** The set M as a 0/1 float mask (B, C): the teacher's {@code k} largest logits (ties included) and the label. */
    public static NDArray mask(NDArray teacherLogits, NDArray labels, int k) {
        long classes = teacherLogits.getShape().get(1);
        NDArray kth = teacherLogits.sort(1).get(":, " + (classes - k)).reshape(-1, 1);
        DataType type = teacherLogits.getDataType();
        NDArray top = teacherLogits.gte(kth).toType(type, false);
        return top.maximum(labels.toType(DataType.INT64, false).oneHot((int) classes).toType(type, false));
    }

    /**
     * {@code −mean_batch Σ_c r_c·log q_c} with {@code q = (softmax(z_s/T_s) + g·m)/(1 + g·|m|)} and
     * {@code r = softmax(z_t/T)} renormalised over the mask {@code m} (B, C); {@code g} is (B, 1).
     */
    public static NDArray lifted(NDArray studentLogits, NDArray teacherLogits, NDArray m, NDArray g,
            double studentTemperature, double temperature) {
        NDArray p = Scalars.div(studentLogits, studentTemperature).softmax(1);
        NDArray q = p.add(g.mul(m)).div(g.mul(m.sum(new int[] {1}, true)).add(Scalars.of(g, 1)));
        NDArray zt = Scalars.div(teacherLogits, temperature);
        NDArray e = zt.sub(zt.max(new int[] {1}, true)).exp().mul(m);
        NDArray r = e.div(e.sum(new int[] {1}, true));
        // outside M r is 0 and q may underflow to 0 (0·log 0 = NaN): read log 1 there instead
        NDArray inside = q.mul(m).add(Scalars.of(m, 1).sub(m));
        return r.mul(inside.log()).sum(new int[] {1}).mean().neg();
    }

    /** {@code Σ_i g_i·e_i / max(1, Σ_i e_i)}: the guide's mean mass over the student's errors ({@code errors} 0/1, (B)). */
    public static NDArray errorMass(NDArray g, NDArray errors) {
        double count = Math.max(1, value(errors.sum()));
        return Scalars.div(g.reshape(-1).mul(errors).sum(), count);
    }

    /** The dual ascent step: {@code max(0, λ + ρ·(c − ε))}. */
    public static double ascend(double lambda, double dualStep, double constraint, double budget) {
        return Math.max(0, lambda + dualStep * (constraint - budget));
    }

    @Override
    public void bind(Binding binding) {
        if (binding.teacher() == null) {
            throw new IllegalArgumentException("disk needs a teacher");
        }
        binding.teacher().shape(teacherTap); // names the teacher's taps when it has no such tap
        long classes = binding.student().shape(Outputs.LOGITS).get(0);
        if (topK > classes) {
            throw new TapException("disk: topK " + topK + " exceeds the " + classes + " classes");
        }
    }

    @Override
    public void bindPartner(Binding binding, Adapters partner) {
        Shape tap = binding.teacher().shape(teacherTap);
        SequentialBlock net = new SequentialBlock().add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(guideHidden).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(1).build());
        partner.block(GUIDE_NET, net, new Shape(2).addAll(tap));
        try (NDManager scratch = NDManager.newBaseManager()) {
            lambda = partner.state(LAMBDA, scratch.create(new float[] {(float) initialLambda}));
        }
        this.guide = partner;
    }

    /** g(x) in [0, 1], (B, 1), from the teacher's tap (detached). */
    public NDArray guide(Knowledge teacher) {
        bound();
        NDArray out = guide.forward(GUIDE_NET, teacher.outputs().get(teacherTap).stopGradient());
        return Activation.sigmoid(Scalars.of(out, GUIDE_OFFSET).add(out));
    }

    /** The current multiplier λ. */
    public double lambda() {
        bound();
        return lambda.getFloat();
    }

    private static double value(NDArray scalar) {
        return scalar.toType(DataType.FLOAT64, false).getDouble();
    }

    private void bound() {
        if (guide == null) {
            throw new IllegalStateException("disk: bindPartner() must run before compute(): the guide is made there");
        }
    }

    private double scale() {
        return weight * studentTemperature * temperature;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge teacher, Batch batch) {
        NDArray zt = teacher.outputs().logits().stopGradient();
        NDArray g = guide(teacher).stopGradient();
        NDArray term = lifted(student.logits(), zt, mask(zt, batch.labels(), topK), g, studentTemperature, temperature);
        return LossValue.of(TERM, Scalars.mul(term, scale()));
    }

    @Override
    public String partner() {
        return "guide";
    }

    @Override
    public void startEpoch(int epoch, int epochs) {
        this.epoch = epoch;
    }

    /** Epochs alternate: {@code studentEpochs} of the student, then {@code guideEpochs} of the guide. */
    @Override
    public boolean partnerStep(long step) {
        return guideEpoch(epoch);
    }

    /** Whether epoch {@code epoch} (0-based) trains the guide. */
    public boolean guideEpoch(int epoch) {
        return epoch % (studentEpochs + guideEpochs) >= studentEpochs;
    }

    @Override
    public LossValue partnerLoss(Outputs student, Knowledge teacher, Batch batch) {
        NDArray zs = student.logits().stopGradient();
        NDArray zt = teacher.outputs().logits().stopGradient();
        NDArray g = guide(teacher);
        NDArray term = Scalars.mul(lifted(zs, zt, mask(zt, batch.labels(), topK), g, studentTemperature, temperature),
                scale());
        NDArray errors = zs.argMax(1).toType(DataType.INT64, false)
                .neq(batch.labels().toType(DataType.INT64, false)).toType(g.getDataType(), false);
        NDArray mass = errorMass(g, errors);
        double l = lambda();
        NDArray lagrangian = Scalars.mul(Scalars.of(mass, budget).neg().add(mass), l);
        double next = ascend(l, dualStep, value(mass), budget);
        Network.assign(lambda, zs.getManager().create(new float[] {(float) next}));
        return LossValue.of(GUIDE, term, BUDGET, lagrangian);
    }

    @Override
    public Set<String> teacherTaps() {
        return Set.of(teacherTap);
    }
}

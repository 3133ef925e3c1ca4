package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.model.Network;
import org.distill4j.model.Quantization;
import org.distill4j.model.Quantizer;

/**
 * Quantisation-aware training with full-precision shadow weights and the straight-through
 * estimator (Polino, Pascanu &amp; Alistarh 2018, "Model compression via distillation and
 * quantization", Algorithm 1), as a {@link LoopListener} on the one loop: the participant's
 * parameter arrays hold the full-precision weights {@code w} between steps (what checkpoints
 * save), and each step
 * <ol>
 *   <li>before the step: keeps {@code w} and writes {@code Q(w)} into the arrays — bucketed
 *       min–max quantisation ({@link Quantizer}), stochastic or nearest rounding as configured,
 *       the draws seeded from the run seed and the step's position (a resumed run draws alike);
 *   <li>the update's forward and backward passes then run on {@code Q(w)}: the gradient is
 *       {@code ∂L/∂Q(w)};
 *   <li>after the backward pass, before the optimizer step: writes {@code w} back, so the
 *       optimizer applies {@code ∂L/∂Q(w)} to the shadow weights — the straight-through
 *       estimator, {@code ∂Q/∂w} taken as the identity.
 * </ol>
 * What is measured and shipped is the quantised network: at an epoch's last step the arrays get
 * the deployed quantisation ({@code nearest} rounding of {@code w}) for validation and get
 * {@code w} back at the epoch end before the checkpoint; at the phase's end they keep the
 * deployed quantisation, which {@link #shipped()} returns as codes for the shipped file.
 *
 * <p>This relies on the listener order {@link RunContext#run} sets (validation first, then the
 * guard, then this, then checkpoints) and on checkpoints never being written at an epoch's last
 * step before validation (the epoch end writes them): every checkpoint holds {@code w}. One
 * update per step may move the quantised participant.
 */
public final class QuantizedTraining implements LoopListener {
    private final String participant;
    private final Map<String, Parameter> parameters;
    private final Quantization quantization;
    private final long seed;
    private float[][] shadow;
    private Map<String, Quantizer.Quantized> shipped;

    /**
     * @param participant whose updates run on the quantised weights
     * @param parameters the parameters quantised (by name, in order; see {@link Quantization#select})
     * @param seed the seed the stochastic rounding of each step derives from
     */
    public QuantizedTraining(String participant, Map<String, Parameter> parameters, Quantization quantization,
            long seed) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException(participant + ": nothing to quantise (scope "
                    + quantization.scope().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        this.participant = participant;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.quantization = quantization;
        this.seed = seed;
    }

    /** The parameters of {@code net} that {@code q} quantises, by name in network order. */
    public static Map<String, Parameter> of(Network net, Quantization q) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : net.namedParameters()) {
            if (q.quantizes(e.getValue())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    @Override
    public void beforeStep(LoopState state, long step) {
        boolean stochastic = quantization.rounding() == Quantization.Rounding.STOCHASTIC;
        quantize(stochastic ? new SplittableRandom(Seeds.derive(seed, "quantize step " + step)) : null);
    }

    @Override
    public boolean onGradients(LoopState state, UpdateReport report) {
        if (report.participant().name().equals(participant)) {
            if (shadow == null) {
                throw new IllegalStateException(participant + ": a quantised participant is updated once per step");
            }
            restore();
        }
        return true;
    }

    @Override
    public void afterStep(LoopState state, long step, double meanLoss) {
        if (state.batch() >= state.stepsPerEpoch()) {
            quantize(null); // validation measures the network as it would ship
        }
    }

    @Override
    public void onEpochEnd(LoopState state, int epoch, List<EpochSummary> summaries) {
        if (shadow != null) {
            restore(); // the checkpoint holds the full-precision weights
        }
    }

    @Override
    public void onPhaseEnd(LoopState state) {
        shipped = quantize(null);
        shadow = null; // the arrays keep the shipped quantisation
    }

    /** The deployed quantisation of each parameter at the phase's end (null before it). */
    public Map<String, Quantizer.Quantized> shipped() {
        return shipped;
    }

    /** Keeps the arrays' values as the shadow weights and writes their quantisation in. */
    private Map<String, Quantizer.Quantized> quantize(SplittableRandom random) {
        if (shadow != null) {
            throw new IllegalStateException(participant + ": quantised twice without restoring the shadow weights");
        }
        float[][] kept = new float[parameters.size()][];
        Map<String, Quantizer.Quantized> out = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray a = e.getValue().getArray();
            kept[i] = a.toFloatArray();
            Quantizer.Quantized q = Quantizer.quantize(kept[i], quantization.bits(), quantization.bucket(), random);
            write(a, q.values());
            out.put(e.getKey(), q);
            i++;
        }
        shadow = kept;
        return out;
    }

    private void restore() {
        int i = 0;
        for (Parameter p : parameters.values()) {
            write(p.getArray(), shadow[i++]);
        }
        shadow = null;
    }

    private static void write(NDArray target, float[] values) {
        try (NDManager scope = target.getManager().newSubManager()) {
            Network.assign(target, scope.create(values, target.getShape()));
        }
    }
}

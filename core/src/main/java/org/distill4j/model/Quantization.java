package org.distill4j.model;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * How a network is quantised (Polino et al. 2018): {@code bits} per value, min–max scaling per
 * bucket of {@code bucket} values (see {@link Quantizer}), which rounding training uses, and which
 * parameters are quantised at all.
 *
 * <p>Scope (<i>choice</i>; the paper quantises the layers' weights): {@code weights} quantises the
 * weight tensors of convolutions and linear layers and keeps biases and batch norm's γ and β in
 * float32 (a few hundred values, which a deployment folds into the layer before anyway);
 * {@code all} quantises every trained parameter. Batch norm's running mean and variance are never
 * quantised (they are statistics, not trained) and ship in float32 either way.
 *
 * @param bits bits per quantised value, in [1, 8]
 * @param bucket values per bucket, each with its own minimum and step (the paper's 256)
 * @param rounding training's rounding: {@code stochastic} (unbiased, the paper's) or {@code nearest};
 *     the shipped weights are always rounded to the nearest level (deterministic, least error)
 * @param scope which parameters are quantised: {@code weights} or {@code all}
 */
public record Quantization(int bits, int bucket, Rounding rounding, Scope scope) {
    /** How a value between two levels is rounded during training. */
    public enum Rounding {
        @JsonProperty("stochastic") STOCHASTIC,
        @JsonProperty("nearest") NEAREST
    }

    /** Which of a network's parameters are quantised. */
    public enum Scope {
        @JsonProperty("weights") WEIGHTS,
        @JsonProperty("all") ALL
    }

    /** The largest bucket accepted (values per bucket). */
    public static final int MAX_BUCKET = 1 << 20;

    public Quantization {
        Quantizer.checkBits(bits);
        if (bucket < 1 || bucket > MAX_BUCKET) {
            throw new IllegalArgumentException("bucket: must be in [1, " + MAX_BUCKET + "] (got " + bucket + ")");
        }
        rounding = rounding == null ? Rounding.STOCHASTIC : rounding;
        scope = scope == null ? Scope.WEIGHTS : scope;
    }

    /** Whether {@code p} is quantised under this scope (running statistics never are). */
    public boolean quantizes(Parameter p) {
        Parameter.Type t = p.getType();
        if (t == Parameter.Type.RUNNING_MEAN || t == Parameter.Type.RUNNING_VAR || !p.requiresGradient()) {
            return false;
        }
        return scope == Scope.ALL || t == Parameter.Type.WEIGHT;
    }

    /** The parameters of {@code net} this quantises, in network order. */
    public List<Parameter> select(Network net) {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : net.trainableParameters()) {
            if (quantizes(p)) {
                out.add(p);
            }
        }
        return out;
    }
}

package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/** Which optimizer trains a network, chosen in YAML by {@code type}: {@code sgd} or {@code adam}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = OptimizerSpec.Sgd.class, name = "sgd"),
    @JsonSubTypes.Type(value = OptimizerSpec.Adam.class, name = "adam"),
})
public sealed interface OptimizerSpec {
    /** Base learning rate, before the schedule. */
    Double lr();

    Optimizer create(List<Parameter> parameters, NDManager manager);

    /**
     * SGD with heavy-ball momentum and L2 weight decay (PyTorch semantics).
     *
     * @param lr base learning rate, in (0, 10]
     * @param momentum in [0, 1)
     * @param weightDecay L2 coefficient, in [0, 1)
     */
    record Sgd(Double lr, Double momentum, Double weightDecay) implements OptimizerSpec {
        public Sgd {
            lr = lr == null ? 0.05 : lr;
            momentum = momentum == null ? 0.9 : momentum;
            weightDecay = weightDecay == null ? 5e-4 : weightDecay;
            check(lr > 0 && lr <= 10, "lr", "must be in (0, 10]", lr);
            check(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1)", momentum);
            check(weightDecay >= 0 && weightDecay < 1, "weightDecay", "must be in [0, 1)", weightDecay);
        }

        @Override
        public Optimizer create(List<Parameter> parameters, NDManager manager) {
            return new Optimizer.SgdMomentum(parameters, manager, momentum.floatValue(), weightDecay.floatValue());
        }
    }

    /**
     * Adam (Kingma &amp; Ba 2015) with L2 weight decay.
     *
     * @param lr base learning rate, in (0, 10]
     * @param beta1 in [0, 1)
     * @param beta2 in [0, 1)
     * @param epsilon in (0, 1)
     * @param weightDecay in [0, 1)
     */
    record Adam(Double lr, Double beta1, Double beta2, Double epsilon, Double weightDecay)
            implements OptimizerSpec {
        public Adam {
            lr = lr == null ? 1e-3 : lr;
            beta1 = beta1 == null ? 0.9 : beta1;
            beta2 = beta2 == null ? 0.999 : beta2;
            epsilon = epsilon == null ? 1e-8 : epsilon;
            weightDecay = weightDecay == null ? 0.0 : weightDecay;
            check(lr > 0 && lr <= 10, "lr", "must be in (0, 10]", lr);
            check(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1)", beta1);
            check(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1)", beta2);
            check(epsilon > 0 && epsilon < 1, "epsilon", "must be in (0, 1)", epsilon);
            check(weightDecay >= 0 && weightDecay < 1, "weightDecay", "must be in [0, 1)", weightDecay);
        }

        @Override
        public Optimizer create(List<Parameter> parameters, NDManager manager) {
            return new Optimizer.AdamOptimizer(parameters, manager, beta1.floatValue(), beta2.floatValue(),
                    epsilon.floatValue(), weightDecay.floatValue());
        }
    }

    private static void check(boolean ok, String field, String rule, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(field + ": " + rule + " (got " + got + ")");
        }
    }
}

package org.distill4j.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.Random;
import org.distill4j.model.Network;

/** Test weights: every parameter of a network set to seeded random values. */
public final class Weights {
    private Weights() {
    }

    /** Random values in every parameter, running variances positive, so batch norm is not the identity. */
    public static void randomise(Network net, long seed) {
        Random r = new Random(seed);
        for (Parameter p : net.parameters()) {
            NDArray a = p.getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.getType() == Parameter.Type.RUNNING_VAR ? 0.5f + r.nextFloat() : (float) (0.3 * r.nextGaussian());
            }
            try (NDManager scope = net.manager().newSubManager()) {
                Network.assign(a, scope.create(v, a.getShape()));
            }
        }
    }
}

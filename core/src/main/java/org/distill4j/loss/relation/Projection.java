package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A linear layer {@code x·Wᵀ + b} from {@code in} to {@code out} features (CRD's projection heads).
 * Unlike DJL's {@code Linear} it computes in its input's precision: float32 in training, float64 in
 * the finite-difference tests, which differentiate with respect to the input (the float32 weights are
 * widened exactly; DJL's cast does not record a gradient, so the weights learn only in float32).
 */
final class Projection extends AbstractBlock {
    final Parameter weight;
    final Parameter bias;
    private final long out;

    Projection(long in, long out) {
        super((byte) 1);
        this.out = out;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(out, in)).build());
        this.bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS)
                .optShape(new Shape(out)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray w = ps.getValue(weight, x.getDevice(), training).toType(x.getDataType(), false);
        NDArray b = ps.getValue(bias, x.getDevice(), training).toType(x.getDataType(), false);
        return Linear.linear(x, w, b);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), out)};
    }
}

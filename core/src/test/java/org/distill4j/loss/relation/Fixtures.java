package org.distill4j.loss.relation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.loss.Adapters;
import org.distill4j.loss.Binding;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;

/** Outputs, knowledge and bindings from a few named arrays, for relation-loss tests. */
final class Fixtures {
    private Fixtures() {}

    /** Outputs holding {@code logits} and the given taps, given as name, array, name, array … */
    static Outputs outputs(NDArray logits, Object... taps) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < taps.length; i += 2) {
            m.put((String) taps[i], (NDArray) taps[i + 1]);
        }
        m.put(Outputs.LOGITS, logits);
        return new Outputs(m);
    }

    static Knowledge knowledge(NDArray logits, Object... taps) {
        return new Knowledge(outputs(logits, taps));
    }

    /** Per-sample shapes of one network: name, shape, name, shape … (logits of 3 classes added). */
    static TapShapes shapes(String network, Object... taps) {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (int i = 0; i < taps.length; i += 2) {
            m.put((String) taps[i], (Shape) taps[i + 1]);
        }
        m.putIfAbsent(Outputs.LOGITS, new Shape(3));
        return new TapShapes(network, m);
    }

    /** Σ|∂loss/∂x| after a backward pass (DJL reports float32 zeros for an array no gradient reached). */
    static double gradientMass(NDArray x) {
        return x.getGradient().abs().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }

    static Binding binding(TapShapes student, TapShapes teacher, Adapters adapters) {
        return new Binding(student, teacher, 100, 100, adapters);
    }
}

package org.distill4j.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Multi-layer perceptron with any hidden widths; taps {@code fc1 … fcN}, {@code embedding},
 * {@code logits}.
 *
 * @param hidden widths of the hidden layers, e.g. [1200, 1200]
 * @param dropout dropout rate after each hidden layer, in [0, 1)
 */
public record MlpSpec(List<Integer> hidden, Double dropout) implements ModelSpec {
    public MlpSpec {
        hidden = hidden == null ? List.of(256) : List.copyOf(hidden);
        dropout = dropout == null ? 0.0 : dropout;
        ModelSpec.require(!hidden.isEmpty(), "hidden", "needs at least one width", hidden);
        for (int w : hidden) {
            ModelSpec.require(w >= 1 && w <= 65536, "hidden", "widths must be in [1, 65536]", hidden);
        }
        ModelSpec.require(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1)", dropout);
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        LinkedHashMap<String, Block> stages = new LinkedHashMap<>();
        for (int i = 0; i < hidden.size(); i++) {
            SequentialBlock fc = new SequentialBlock();
            if (i == 0) {
                fc.add(Blocks.batchFlattenBlock());
            }
            fc.add(Linear.builder().setUnits(hidden.get(i)).build()).add(Activation.reluBlock());
            if (dropout > 0) {
                fc.add(Dropout.builder().optRate(dropout.floatValue()).build());
            }
            stages.put("fc" + (i + 1), fc);
        }
        stages.put(Outputs.LOGITS, Linear.builder().setUnits(numClasses).build());
        return new TappedNet(stages);
    }

    @Override
    public Architecture.Plan layers() {
        Architecture.Plan plan = new Architecture.Plan();
        for (int i = 0; i < hidden.size(); i++) {
            List<Architecture.Layer> fc = new java.util.ArrayList<>();
            if (i == 0) {
                fc.add(Architecture.Plan.flatten());
            }
            fc.add(Architecture.Plan.linear());
            fc.add(Architecture.Plan.relu());
            if (dropout > 0) {
                fc.add(Architecture.Plan.dropout(dropout));
            }
            plan.stage("fc" + (i + 1), fc);
        }
        return plan.stage(Outputs.LOGITS, Architecture.Plan.linear());
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        long in = 1;
        for (long d : sampleShape) {
            in *= d;
        }
        long flops = 0;
        for (int w : hidden) {
            flops += 2 * in * w;
            in = w;
        }
        return flops + 2 * in * numClasses;
    }

    @Override
    public String describe() {
        return "mlp" + hidden;
    }
}

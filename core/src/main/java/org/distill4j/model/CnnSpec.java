package org.distill4j.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * LeNet-style CNN: per stage a 3×3 convolution (+ batch norm) + ReLU + 2×2 max-pool, then a
 * fully connected hidden layer. Taps {@code conv1 … convN}, {@code fc}, {@code embedding}
 * (= fc), {@code logits}.
 *
 * @param channels output channels of each conv stage, e.g. [32, 64, 128]
 * @param hidden width of the fully connected layer
 * @param batchNorm whether each conv is followed by batch norm
 * @param dropout dropout before the classifier, in [0, 1)
 */
public record CnnSpec(List<Integer> channels, Integer hidden, Boolean batchNorm, Double dropout)
        implements ModelSpec {
    public CnnSpec {
        channels = channels == null ? List.of(32, 64) : List.copyOf(channels);
        hidden = hidden == null ? 128 : hidden;
        batchNorm = batchNorm == null ? Boolean.TRUE : batchNorm;
        dropout = dropout == null ? 0.0 : dropout;
        ModelSpec.require(!channels.isEmpty() && channels.size() <= 4, "channels",
                "needs 1 to 4 stages (each halves 28×28)", channels);
        for (int c : channels) {
            ModelSpec.require(c >= 1 && c <= 4096, "channels", "each must be in [1, 4096]", channels);
        }
        ModelSpec.require(hidden >= 1 && hidden <= 65536, "hidden", "must be in [1, 65536]", hidden);
        ModelSpec.require(dropout >= 0 && dropout < 1, "dropout", "must be in [0, 1)", dropout);
    }

    /** Images {@code [C, H, W]} with each side at least 2^stages, so every pooling keeps a pixel. */
    @Override
    public void checkInput(long[] sampleShape) {
        ModelSpec.requireHalvings(this, sampleShape, channels.size());
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        LinkedHashMap<String, Block> stages = new LinkedHashMap<>();
        for (int i = 0; i < channels.size(); i++) {
            SequentialBlock conv = new SequentialBlock();
            conv.add(Conv2d.builder().setFilters(channels.get(i)).setKernelShape(new Shape(3, 3))
                    .optPadding(new Shape(1, 1)).optBias(!batchNorm).build());
            if (batchNorm) {
                conv.add(BatchNorm.builder().build());
            }
            conv.add(Activation.reluBlock()).add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
            stages.put("conv" + (i + 1), conv);
        }
        SequentialBlock fc = new SequentialBlock().add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(hidden).build()).add(Activation.reluBlock());
        if (dropout > 0) {
            fc.add(Dropout.builder().optRate(dropout.floatValue()).build());
        }
        stages.put("fc", fc);
        stages.put(Outputs.LOGITS, Linear.builder().setUnits(numClasses).build());
        return new TappedNet(stages);
    }

    @Override
    public Architecture.Plan layers() {
        Architecture.Plan plan = new Architecture.Plan();
        for (int i = 0; i < channels.size(); i++) {
            List<Architecture.Layer> conv = new java.util.ArrayList<>();
            conv.add(Architecture.Plan.conv(3, 1, 1));
            if (batchNorm) {
                conv.add(Architecture.Plan.batchNorm());
            }
            conv.add(Architecture.Plan.relu());
            conv.add(Architecture.Plan.maxPool(2, 2));
            plan.stage("conv" + (i + 1), conv);
        }
        List<Architecture.Layer> fc = new java.util.ArrayList<>(List.of(Architecture.Plan.flatten(),
                Architecture.Plan.linear(), Architecture.Plan.relu()));
        if (dropout > 0) {
            fc.add(Architecture.Plan.dropout(dropout));
        }
        return plan.stage("fc", fc).stage(Outputs.LOGITS, Architecture.Plan.linear());
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        long c = sampleShape[0];
        long h = sampleShape[1];
        long w = sampleShape[2];
        long flops = 0;
        for (int out : channels) {
            flops += 2 * c * out * 9 * h * w; // 3×3, same padding, then 2×2 pooling
            c = out;
            h /= 2;
            w /= 2;
        }
        return flops + 2 * c * h * w * hidden + 2L * hidden * numClasses;
    }

    @Override
    public String describe() {
        return "cnn" + channels + "/" + hidden;
    }
}

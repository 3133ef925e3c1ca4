package org.distill4j.model;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * CIFAR-style ResNet (He et al. 2016, §4.2) adapted to 28×28×1: a 3×3 stem, three stages of
 * {@code (depth−2)/6} basic blocks with 16·w, 32·w, 64·w channels (strides 1, 2, 2: maps of
 * 28, 14, 7), global average pooling, linear classifier. Taps {@code stem}, {@code stage1},
 * {@code stage2}, {@code stage3}, {@code pool} (= {@code embedding}), {@code logits}.
 *
 * @param depth 6n+2, e.g. 8, 14, 20, 32, 56
 * @param width channel multiplier w (ResNet-20 has w=1)
 */
public record ResNetSpec(Integer depth, Integer width) implements ModelSpec {
    public ResNetSpec {
        depth = depth == null ? 20 : depth;
        width = width == null ? 1 : width;
        ModelSpec.require(depth >= 8 && (depth - 2) % 6 == 0 && depth <= 1202, "depth",
                "must be 6n+2 with n ≥ 1 (8, 14, 20, 32, 44, 56, …)", depth);
        ModelSpec.require(width >= 1 && width <= 64, "width", "must be in [1, 64]", width);
    }

    @Override
    public void checkInput(long[] sampleShape) {
        ModelSpec.requireImages(this, sampleShape);
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        int blocksPerStage = (depth - 2) / 6;
        LinkedHashMap<String, Block> stages = new LinkedHashMap<>();
        stages.put("stem", new SequentialBlock().add(conv3x3(16 * width, 1))
                .add(BatchNorm.builder().build()).add(Activation.reluBlock()));
        int[] channels = {16 * width, 32 * width, 64 * width};
        for (int s = 0; s < 3; s++) {
            SequentialBlock stage = new SequentialBlock();
            for (int b = 0; b < blocksPerStage; b++) {
                boolean downsample = b == 0 && s > 0;
                stage.add(basicBlock(channels[s], downsample ? 2 : 1, downsample));
            }
            stages.put("stage" + (s + 1), stage);
        }
        stages.put("pool", new SequentialBlock().add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock()));
        stages.put(Outputs.LOGITS, Linear.builder().setUnits(numClasses).build());
        return new TappedNet(stages);
    }

    private static Block conv3x3(int filters, int stride) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(3, 3))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(1, 1)).optBias(false).build();
    }

    private static Block basicBlock(int filters, int stride, boolean projectShortcut) {
        SequentialBlock main = new SequentialBlock().add(conv3x3(filters, stride))
                .add(BatchNorm.builder().build()).add(Activation.reluBlock())
                .add(conv3x3(filters, 1)).add(BatchNorm.builder().build());
        // Option B shortcut (1×1 conv + BN) where the shape changes, identity elsewhere.
        Block shortcut = projectShortcut
                ? new SequentialBlock().add(Conv2d.builder().setFilters(filters)
                        .setKernelShape(new Shape(1, 1)).optStride(new Shape(stride, stride))
                        .optBias(false).build()).add(BatchNorm.builder().build())
                : Blocks.identityBlock();
        return new SequentialBlock()
                .add(new ParallelBlock(
                        list -> new NDList(NDArrays.add(list.get(0).singletonOrThrow(),
                                list.get(1).singletonOrThrow())),
                        List.of(main, shortcut)))
                .add(Activation.reluBlock());
    }

    @Override
    public Architecture.Plan layers() {
        int blocksPerStage = (depth - 2) / 6;
        Architecture.Plan plan = new Architecture.Plan().stage("stem", Architecture.Plan.conv(3, 1, 1),
                Architecture.Plan.batchNorm(), Architecture.Plan.relu());
        for (int s = 0; s < 3; s++) {
            List<Architecture.Layer> stage = new java.util.ArrayList<>();
            for (int b = 0; b < blocksPerStage; b++) {
                boolean downsample = b == 0 && s > 0;
                int stride = downsample ? 2 : 1;
                stage.add(Architecture.Plan.residual(
                        List.of(Architecture.Plan.conv(3, stride, 1), Architecture.Plan.batchNorm(),
                                Architecture.Plan.relu(), Architecture.Plan.conv(3, 1, 1), Architecture.Plan.batchNorm()),
                        downsample ? List.of(Architecture.Plan.conv(1, stride, 0), Architecture.Plan.batchNorm())
                                : List.of()));
                stage.add(Architecture.Plan.relu());
            }
            plan.stage("stage" + (s + 1), stage);
        }
        return plan.stage("pool", Architecture.Plan.globalAvgPool(), Architecture.Plan.flatten())
                .stage(Outputs.LOGITS, Architecture.Plan.linear());
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        int n = (depth - 2) / 6;
        long h = sampleShape[1];
        long w = sampleShape[2];
        long c = 16L * width;
        long flops = 2 * sampleShape[0] * c * 9 * h * w; // stem
        long in = c;
        for (int s = 0; s < 3; s++) {
            long out = (16L << s) * width;
            if (s > 0) {
                h = (h + 1) / 2;
                w = (w + 1) / 2;
                flops += 2 * in * out * h * w; // 1×1 projection shortcut
            }
            for (int b = 0; b < n; b++) {
                flops += 2 * (b == 0 ? in : out) * out * 9 * h * w + 2 * out * out * 9 * h * w;
            }
            in = out;
        }
        return flops + 2 * in * numClasses;
    }

    @Override
    public String describe() {
        return "resnet" + depth + (width > 1 ? "x" + width : "");
    }
}

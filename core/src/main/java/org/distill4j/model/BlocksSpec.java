package org.distill4j.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A CNN assembled from searched blocks, one per stage — the student the {@code nas} scheme
 * (DNA, Li et al. 2020) builds from the blocks it chose. Stage {@code i} is {@code depth} times
 * [k×k convolution to {@code width} channels, batch norm, ReLU], a 2×2 max-pool, then a 1×1
 * convolution to {@code out} channels with batch norm and ReLU; {@code out} is the teacher's
 * stage width, so every stage's output lives in the teacher's feature space (what lets DNA
 * train each block alone on the teacher's previous stage). Then a fully connected hidden layer
 * and the classifier. Taps {@code conv1 … convN} (as {@link CnnSpec}'s), {@code fc},
 * {@code embedding} (= fc), {@code logits}.
 *
 * @param stages the blocks, in order (1 to 4; each halves the image)
 * @param hidden width of the fully connected layer (default 64)
 */
public record BlocksSpec(List<Stage> stages, Integer hidden) implements ModelSpec {
    /**
     * One stage's block.
     *
     * @param width channels of its k×k convolutions
     * @param kernel their (odd) kernel size
     * @param depth how many of them
     * @param out channels of its output (the 1×1 projection)
     */
    public record Stage(Integer width, Integer kernel, Integer depth, Integer out) {
        public Stage {
            ModelSpec.require(width != null && width >= 1 && width <= 4096, "width", "must be in [1, 4096]", width);
            ModelSpec.require(kernel != null && kernel >= 1 && kernel <= 9 && kernel % 2 == 1, "kernel",
                    "must be odd, in [1, 9]", kernel);
            ModelSpec.require(depth != null && depth >= 1 && depth <= 4, "depth", "must be in [1, 4]", depth);
            ModelSpec.require(out != null && out >= 1 && out <= 4096, "out", "must be in [1, 4096]", out);
        }

        /** The block: input {@code [N, in, H, W]}, output {@code [N, out, H/2, W/2]}. */
        public Block block() {
            SequentialBlock b = new SequentialBlock();
            for (int d = 0; d < depth; d++) {
                b.add(Conv2d.builder().setFilters(width).setKernelShape(new Shape(kernel, kernel))
                        .optPadding(new Shape(kernel / 2, kernel / 2)).optBias(false).build())
                        .add(BatchNorm.builder().build()).add(Activation.reluBlock());
            }
            b.add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
            b.add(Conv2d.builder().setFilters(out).setKernelShape(new Shape(1, 1)).optBias(false).build())
                    .add(BatchNorm.builder().build()).add(Activation.reluBlock());
            return b;
        }

        /** Trainable values of the block on {@code in} input channels (batch norm's γ and β included). */
        public long parameters(long in) {
            long n = 0;
            long c = in;
            for (int d = 0; d < depth; d++) {
                n += c * width * kernel * kernel + 2L * width;
                c = width;
            }
            return n + c * out + 2L * out;
        }

        /** Forward multiply-adds ×2 per sample on an {@code in × h × w} input. */
        long flops(long in, long h, long w) {
            long f = 0;
            long c = in;
            for (int d = 0; d < depth; d++) {
                f += 2 * c * width * kernel * kernel * h * w;
                c = width;
            }
            return f + 2 * c * out * (h / 2) * (w / 2);
        }

        /** e.g. {@code w16k5d2→32}. */
        public String describe() {
            return "w" + width + "k" + kernel + "d" + depth + "→" + out;
        }
    }

    public BlocksSpec {
        ModelSpec.require(stages != null && !stages.isEmpty() && stages.size() <= 4, "stages",
                "needs 1 to 4 blocks (each halves 28×28)", stages);
        ModelSpec.require(stages.stream().allMatch(java.util.Objects::nonNull), "stages", "an entry is empty", stages);
        stages = List.copyOf(stages);
        hidden = hidden == null ? 64 : hidden;
        ModelSpec.require(hidden >= 1 && hidden <= 65536, "hidden", "must be in [1, 65536]", hidden);
    }

    @Override
    public void checkInput(long[] sampleShape) {
        ModelSpec.requireHalvings(this, sampleShape, stages.size());
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        LinkedHashMap<String, Block> named = new LinkedHashMap<>();
        for (int i = 0; i < stages.size(); i++) {
            named.put("conv" + (i + 1), stages.get(i).block());
        }
        named.put("fc", new SequentialBlock().add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(hidden).build()).add(Activation.reluBlock()));
        named.put(Outputs.LOGITS, Linear.builder().setUnits(numClasses).build());
        return new TappedNet(named);
    }

    /** Trainable values of the network on samples of {@code sampleShape}, counted without building it. */
    public long parameters(long[] sampleShape, int numClasses) {
        long n = 0;
        long c = sampleShape[0];
        long h = sampleShape[1];
        long w = sampleShape[2];
        for (Stage s : stages) {
            n += s.parameters(c);
            c = s.out();
            h /= 2;
            w /= 2;
        }
        return n + (c * h * w + 1) * hidden + (hidden + 1L) * numClasses;
    }

    @Override
    public Architecture.Plan layers() {
        Architecture.Plan plan = new Architecture.Plan();
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            List<Architecture.Layer> layers = new ArrayList<>();
            for (int d = 0; d < s.depth(); d++) {
                layers.add(Architecture.Plan.conv(s.kernel(), 1, s.kernel() / 2));
                layers.add(Architecture.Plan.batchNorm());
                layers.add(Architecture.Plan.relu());
            }
            layers.add(Architecture.Plan.maxPool(2, 2));
            layers.add(Architecture.Plan.conv(1, 1, 0));
            layers.add(Architecture.Plan.batchNorm());
            layers.add(Architecture.Plan.relu());
            plan.stage("conv" + (i + 1), layers);
        }
        return plan.stage("fc", Architecture.Plan.flatten(), Architecture.Plan.linear(), Architecture.Plan.relu())
                .stage(Outputs.LOGITS, Architecture.Plan.linear());
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        long c = sampleShape[0];
        long h = sampleShape[1];
        long w = sampleShape[2];
        long flops = 0;
        for (Stage s : stages) {
            flops += s.flops(c, h, w);
            c = s.out();
            h /= 2;
            w /= 2;
        }
        return flops + 2 * c * h * w * hidden + 2L * hidden * numClasses;
    }

    @Override
    public String describe() {
        return "blocks" + stages.stream().map(Stage::describe).toList() + "/" + hidden;
    }
}

package org.distill4j.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-exit network for self-distillation (Zhang et al. 2019, "Be Your Own Teacher: Improve
 * the Performance of Convolutional Neural Networks via Self Distillation", ICCV): a ResNet
 * backbone with an early exit after each stage but the last. Exit {@code k} branches off
 * {@code stage<k>}: a <i>bottleneck</i> (one 3×3 stride-2 convolution + batch norm + ReLU per
 * deeper stage, with that stage's channel count, so it ends at the shape of the deepest stage's
 * map; then global average pooling) gives the features tap {@code exit<k>.features}, exactly the
 * size of the backbone's own {@code pool} features, and a linear classifier gives the logits tap
 * {@code exit<k>}. The deepest exit is the backbone's own {@code logits}. The exits are part of
 * the deployed network (they enable early-exit inference), so they are saved and loaded with it.
 *
 * <p>With a 3-stage ResNet: exits {@code exit1} (after stage1), {@code exit2} (after stage2) and
 * the network's {@code logits} (the third exit); features {@code exit1.features},
 * {@code exit2.features} and {@code pool}.
 *
 * @param backbone the network the exits are added to; a {@code resnet}
 */
public record MultiExitSpec(ModelSpec backbone) implements ModelSpec {
    /** Stages of the ResNet backbone, in order; exits follow all but the last. */
    private static final int STAGES = 3;

    public MultiExitSpec {
        ModelSpec.require(backbone instanceof ResNetSpec, "backbone",
                "must be a resnet: exits go after its stages stage1, stage2 (the deepest exit is its logits)",
                backbone == null ? null : backbone.describe());
    }

    /** The logits taps of the exits, shallowest first; the last is the network's own logits. */
    public List<String> exitTaps() {
        List<String> out = new ArrayList<>();
        for (int k = 1; k < STAGES; k++) {
            out.add("exit" + k);
        }
        out.add(Outputs.LOGITS);
        return out;
    }

    /** The features tap of each exit (same order as {@link #exitTaps}); all of one size. */
    public List<String> featureTaps() {
        List<String> out = new ArrayList<>();
        for (int k = 1; k < STAGES; k++) {
            out.add("exit" + k + ".features");
        }
        out.add("pool");
        return out;
    }

    /** The stage tap each exit reads (the last exit reads the last stage through the backbone's head). */
    public List<String> stageTaps() {
        List<String> out = new ArrayList<>();
        for (int k = 1; k <= STAGES; k++) {
            out.add("stage" + k);
        }
        return out;
    }

    private int[] channels() {
        int w = ((ResNetSpec) backbone).width();
        return new int[] {16 * w, 32 * w, 64 * w};
    }

    @Override
    public void checkInput(long[] sampleShape) {
        backbone.checkInput(sampleShape);
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        int[] channels = channels();
        List<TappedNet.SideHead> heads = new ArrayList<>();
        for (int k = 1; k < STAGES; k++) {
            SequentialBlock bottleneck = new SequentialBlock();
            for (int j = k; j < STAGES; j++) {
                bottleneck.add(Conv2d.builder().setFilters(channels[j]).setKernelShape(new Shape(3, 3))
                        .optStride(new Shape(2, 2)).optPadding(new Shape(1, 1)).optBias(false).build())
                        .add(BatchNorm.builder().build()).add(Activation.reluBlock());
            }
            bottleneck.add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock());
            heads.add(new TappedNet.SideHead("exit" + k + ".features", "stage" + k, bottleneck));
            heads.add(new TappedNet.SideHead("exit" + k, "exit" + k + ".features",
                    Linear.builder().setUnits(numClasses).build()));
        }
        return backbone.build(sampleShape, numClasses).withSideHeads(heads);
    }

    /** The backbone's layers, then each exit's bottleneck and classifier as heads (as {@link #build} adds them). */
    @Override
    public Architecture.Plan layers() {
        Architecture.Plan plan = backbone.layers();
        for (int k = 1; k < STAGES; k++) {
            List<Architecture.Layer> bottleneck = new ArrayList<>();
            for (int j = k; j < STAGES; j++) {
                bottleneck.add(Architecture.Plan.conv(3, 2, 1));
                bottleneck.add(Architecture.Plan.batchNorm());
                bottleneck.add(Architecture.Plan.relu());
            }
            bottleneck.add(Architecture.Plan.globalAvgPool());
            bottleneck.add(Architecture.Plan.flatten());
            plan.head("exit" + k + ".features", "stage" + k, bottleneck);
            plan.head("exit" + k, "exit" + k + ".features", List.of(Architecture.Plan.linear()));
        }
        return plan;
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        int[] channels = channels();
        long flops = backbone.forwardFlops(sampleShape, numClasses);
        for (int k = 1; k < STAGES; k++) {
            long h = sampleShape[1];
            long w = sampleShape[2];
            for (int s = 1; s < k; s++) { // the map size after stage k
                h = (h + 1) / 2;
                w = (w + 1) / 2;
            }
            long in = channels[k - 1];
            for (int j = k; j < STAGES; j++) {
                h = (h + 1) / 2;
                w = (w + 1) / 2;
                flops += 2 * in * channels[j] * 9 * h * w;
                in = channels[j];
            }
            flops += 2 * in * numClasses;
        }
        return flops;
    }

    @Override
    public String describe() {
        return backbone.describe() + "+exits";
    }
}

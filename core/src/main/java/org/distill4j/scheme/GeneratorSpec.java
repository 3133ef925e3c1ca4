package org.distill4j.scheme;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import java.util.List;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.TrainSpec;

/**
 * The generator of a data-free scheme ({@code zskt}, {@code dafl}) and how it trains: the DCGAN-
 * style network of both papers' code, from a latent code {@code z} (standard normal, {@code z}
 * values) to an image of the data's shape {@code [C, H, W]}:
 *
 * <pre>
 *   Linear(z → c₁·h·w), h = ⌈H/4⌉, w = ⌈W/4⌉ → BN → ×2 nearest upsampling → Conv3×3(c₁) → BN → LeakyReLU(0.2)
 *   → ×2 upsampling → Conv3×3(c₂) → BN → LeakyReLU(0.2) → Conv3×3(C) → [tanh] → BN without scale and shift
 * </pre>
 *
 * cropped to H×W where 4·⌈H/4⌉ exceeds it. The last batch norm (no affine part) puts every
 * image at zero mean and unit variance per channel, like normalised data. It always runs in
 * training mode (batch statistics), as in both papers' code. Every key may be left out; the
 * scheme supplies its paper's values ({@link #or}).
 *
 * @param z the latent code's length, in [1, 4096]
 * @param channels c₁ and c₂, each in [1, 1024] (both papers: [128, 64])
 * @param tanh a tanh before the last batch norm (DAFL's code has one, ZSKT's has none)
 * @param optimizer its optimizer (Adam in both papers)
 * @param schedule its learning-rate schedule (absent: the student's)
 * @param clipGradNorm rescale its gradient above this global norm (0: off; ZSKT clips at 5)
 */
public record GeneratorSpec(Integer z, List<Integer> channels, Boolean tanh, OptimizerSpec optimizer,
        ScheduleSpec schedule, Double clipGradNorm) {
    public GeneratorSpec {
        if (z != null && !(z >= 1 && z <= 4096)) {
            throw new IllegalArgumentException("z: must be in [1, 4096] (got " + z + ")");
        }
        if (channels != null) {
            if (channels.size() != 2 || channels.stream().anyMatch(c -> c == null || c < 1 || c > 1024)) {
                throw new IllegalArgumentException("channels: two widths, each in [1, 1024], e.g. [128, 64] (got "
                        + channels + ")");
            }
            channels = List.copyOf(channels);
        }
        if (clipGradNorm != null && !(clipGradNorm >= 0 && Double.isFinite(clipGradNorm))) {
            throw new IllegalArgumentException("clipGradNorm: must be a finite number ≥ 0, 0 meaning off (got "
                    + clipGradNorm + ")");
        }
    }

    /** This spec with each absent key taken from {@code defaults}. */
    GeneratorSpec or(GeneratorSpec defaults) {
        return new GeneratorSpec(z != null ? z : defaults.z, channels != null ? channels : defaults.channels,
                tanh != null ? tanh : defaults.tanh, optimizer != null ? optimizer : defaults.optimizer,
                schedule != null ? schedule : defaults.schedule,
                clipGradNorm != null ? clipGradNorm : defaults.clipGradNorm);
    }

    /** Its schedule: the student's epochs and batch size, its own optimizer, clipping and schedule (or the student's). */
    TrainSpec train(TrainSpec student) {
        return new TrainSpec(student.epochs(), student.batchSize(), optimizer,
                schedule != null ? schedule : student.schedule(), clipGradNorm, student.onNonFinite(), null);
    }

    /** The input shape of its block: a batch of codes. */
    Shape inputShape(int batch) {
        return new Shape(batch, z);
    }

    /** The network for images of {@code sampleShape} {@code [C, H, W]}. */
    Block build(long[] sampleShape) {
        if (sampleShape.length != 3) {
            throw new IllegalArgumentException("generator: makes images [C, H, W], but the data's samples have shape "
                    + java.util.Arrays.toString(sampleShape) + "; data-free schemes need image data");
        }
        long c = sampleShape[0];
        long height = sampleShape[1];
        long width = sampleShape[2];
        long h = (height + 3) / 4;
        long w = (width + 3) / 4;
        int c1 = channels.get(0);
        int c2 = channels.get(1);
        SequentialBlock g = new SequentialBlock()
                .add(Linear.builder().setUnits(c1 * h * w).build())
                .add(LambdaBlock.singleton(x -> x.reshape(-1, c1, h, w)))
                .add(BatchNorm.builder().build())
                .add(LambdaBlock.singleton(GeneratorSpec::upsample))
                .add(conv(c1)).add(BatchNorm.builder().build()).add(Activation.leakyReluBlock(0.2f))
                .add(LambdaBlock.singleton(GeneratorSpec::upsample))
                .add(conv(c2)).add(BatchNorm.builder().build()).add(Activation.leakyReluBlock(0.2f))
                .add(conv((int) c));
        if (tanh) {
            g.add(Activation.tanhBlock());
        }
        g.add(BatchNorm.builder().optCenter(false).optScale(false).build());
        if (4 * h != height || 4 * w != width) {
            g.add(LambdaBlock.singleton(x -> x.get(new ai.djl.ndarray.index.NDIndex(":, :, :" + height + ", :" + width))));
        }
        return g;
    }

    private static Block conv(int filters) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).build();
    }

    /** Nearest-neighbour ×2 upsampling of (B, C, H, W): every pixel repeated along both axes. */
    static ai.djl.ndarray.NDArray upsample(ai.djl.ndarray.NDArray x) {
        return x.repeat(2, 2).repeat(3, 2);
    }
}

import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.pytorch.engine.*;
import ai.djl.pytorch.jni.*;
import ai.djl.nn.convolutional.*;
import ai.djl.nn.pooling.*;
import ai.djl.nn.*;
import ai.djl.training.GradientCollector;
import java.nio.file.*;

/**
 * Same-process A/B of the convolution path's memory format: the bench/vs-pytorch CNN's two
 * conv-ReLU-maxpool blocks (1→32→64 channels, 3x3, batch 128 of 28x28), forward and backward, on an
 * NCHW input against a channels-last one (converted by a TorchScript call: DJL cannot set a memory
 * format), 10 steps each, alternating, 5 rounds, timed as the calling thread's CPU time (one
 * intra-op thread: the work runs on it). bench/results/perf-fixes.md, "Counting native calls".
 * From the repository's root, after ./distill has built:
 *
 *   /usr/bin/python3 bench/ab/make_channels_last.py /tmp/channels-last.pt
 *   CP="cli/target/distill4j-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*"
 *   OPT_OUT_TRACKING=true OMP_NUM_THREADS=1 java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
 *     -Dai.djl.pytorch.num_interop_threads=1 -cp "$CP" bench/ab/ConvLayoutAB.java /tmp/channels-last.pt
 */
public class ConvLayoutAB {
    public static void main(String[] a) throws Exception {
        try (NDManager nm = NDManager.newBaseManager()) {
            PtSymbolBlock block = JniUtils.loadModule((PtNDManager) nm, Files.newInputStream(Paths.get(a[0])), false, false);
            NDArray x0 = nm.randomNormal(new Shape(128, 1, 28, 28));
            NDArray w1 = nm.randomNormal(new Shape(32, 1, 3, 3)).mul(0.3f); w1.setRequiresGradient(true);
            NDArray w2 = nm.randomNormal(new Shape(64, 32, 3, 3)).mul(0.05f); w2.setRequiresGradient(true);
            for (int round = 0; round < 5; round++) {
                for (boolean cl : new boolean[] {false, true}) {
                    long t = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                    int n = 10;
                    for (int i = 0; i < n; i++) {
                        try (NDManager s = nm.newSubManager()) {
                            NDArray x = x0;
                            if (cl) {
                                IValue in = IValue.from((PtNDArray) x);
                                IValue out = IValueUtils.runMethod(block, "forward", in);
                                x = out.toTensor((PtNDManager) s);
                                in.close(); out.close();
                            }
                            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                                NDArray h = Conv2d.conv2d(x, w1, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
                                h = Pool.maxPool2d(Activation.relu(h), new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
                                h = Conv2d.conv2d(h, w2, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
                                h = Pool.maxPool2d(Activation.relu(h), new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
                                gc.backward(h.reshape(128, -1).sum());
                            }
                        }
                        JniUtils.zeroGrad((PtNDArray) w1); JniUtils.zeroGrad((PtNDArray) w2);
                    }
                    System.out.println((cl ? "channels-last " : "nchw          ") + (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t) / 1e6 / n + " cpu ms/step");
                }
            }
        }
    }
}

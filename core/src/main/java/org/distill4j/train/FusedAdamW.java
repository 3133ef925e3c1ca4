package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PyTorch's fused CPU Adam(W) kernel ({@code aten::_fused_adamw_}, one vectorised pass over each
 * parameter that reads the weight, gradient and both moments and writes the three back), reached
 * through a one-method TorchScript module: DJL's JNI exposes no fused or multi-tensor optimizer
 * kernel, but it runs a TorchScript module's methods, and libtorch compiles a TorchScript archive's
 * code when it loads it. The archive ({@code fused-adamw.pt}, 1.3 KB) is written by
 * {@code core/tools/make_fused_adamw.py}, which says how.
 *
 * <p>On the 1200×1200 weight of bench/vs-pytorch's MLP one update took 0.58 ms against 3.2 ms for
 * the ten in-place operations of {@link Optimizer.AdamOptimizer}'s fallback (one thread, same
 * process; bench/results/perf-fixes.md). The kernel computes torch.optim.AdamW's formula, the same
 * as the fallback up to rounding: {@code m ← m + (1−β₁)(g − m)}, {@code v ← β₂v + (1−β₂)g²},
 * {@code w ← w(1 − lr·λ) − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)}.
 *
 * <p>If the module cannot be loaded (another PyTorch native library without the kernel) the
 * optimizer falls back to the in-place operations and says so once in the log; {@code
 * -Ddistill4j.fusedAdam=false} forces the fallback (for measuring one against the other). A run
 * resumed with the other path continues exactly in its state but not bit for bit.
 */
final class FusedAdamW {
    private static final Logger LOG = LoggerFactory.getLogger(FusedAdamW.class);
    private static final String RESOURCE = "fused-adamw.pt";

    private final PtSymbolBlock module;

    private FusedAdamW(PtSymbolBlock module) {
        this.module = module;
    }

    /** The kernel, or null when it is switched off or cannot be loaded (then the reason is logged once). */
    static FusedAdamW get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final FusedAdamW INSTANCE = load();
    }

    private static FusedAdamW load() {
        if (!Boolean.parseBoolean(System.getProperty("distill4j.fusedAdam", "true"))) {
            LOG.info("Adam: the in-place update (-Ddistill4j.fusedAdam=false)");
            return null;
        }
        try (InputStream in = FusedAdamW.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException(RESOURCE + " is missing from the classpath");
            }
            // a manager of the engine's own, never closed: the module lives as long as the JVM
            NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
            PtSymbolBlock block = JniUtils.loadModule((PtNDManager) manager, in, false, false);
            return new FusedAdamW(block);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Adam: PyTorch's fused kernel could not be loaded ({}); using the in-place update",
                    e.getMessage());
            return null;
        }
    }

    /**
     * One AdamW update of every parameter in place, gradients read only. {@code step} is the
     * update's number, counted from 1.
     */
    void update(List<NDArray> weights, List<NDArray> grads, List<NDArray> means, List<NDArray> variances,
            NDArray step, double lr, double beta1, double beta2, double weightDecay, double epsilon) {
        PtNDArray[] steps = new PtNDArray[weights.size()];
        java.util.Arrays.fill(steps, (PtNDArray) step);
        IValue[] args = {
            IValue.listFrom(pt(weights)), IValue.listFrom(pt(grads)), IValue.listFrom(pt(means)),
            IValue.listFrom(pt(variances)), IValue.listFrom(steps), IValue.from(lr), IValue.from(beta1),
            IValue.from(beta2), IValue.from(weightDecay), IValue.from(epsilon)
        };
        try {
            IValueUtils.runMethod(module, "adamw", args).close();
        } finally {
            for (IValue a : args) {
                a.close();
            }
        }
    }

    private static PtNDArray[] pt(List<NDArray> arrays) {
        PtNDArray[] out = new PtNDArray[arrays.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (PtNDArray) arrays.get(i);
        }
        return out;
    }
}

package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.model.Scalars;

/**
 * Updates a network's parameters from their gradients and clears the gradients. Written here
 * rather than using DJL's optimizers because those keep their state (momentum, Adam moments,
 * step counts) in private maps, and checkpoints must save and restore it exactly. SGD's update
 * is DJL's native kernel; Adam's is PyTorch's fused kernel ({@link FusedAdamW}), or the in-place
 * operations of {@link AdamOptimizer#update} where that cannot be loaded.
 */
public abstract sealed class Optimizer implements AutoCloseable {
    protected final List<Parameter> parameters;
    protected final NDManager stateManager;
    protected long steps;

    Optimizer(List<Parameter> parameters, NDManager parent) {
        this.parameters = List.copyOf(parameters);
        this.stateManager = parent.newSubManager();
    }

    /** Applies one update with this learning rate to every parameter, then zeroes its gradient. */
    public final void step(double lr) {
        steps++;
        List<NDArray> weights = new ArrayList<>(parameters.size());
        List<NDArray> grads = new ArrayList<>(parameters.size());
        try {
            for (Parameter p : parameters) {
                NDArray w = p.getArray();
                weights.add(w);
                // getGradient() makes a new handle attached to the weight's manager: close it, or
                // every step leaks one handle per parameter.
                grads.add(w.getGradient());
            }
            updateAll(weights, grads, lr);
        } finally {
            grads.forEach(NDArray::close);
        }
        for (NDArray w : weights) {
            JniUtils.zeroGrad((PtNDArray) w);
        }
    }

    /** Updates every parameter; by default one {@link #update} each. */
    protected void updateAll(List<NDArray> weights, List<NDArray> grads, double lr) {
        for (int i = 0; i < weights.size(); i++) {
            update(i, weights.get(i), grads.get(i), (float) lr);
        }
    }

    protected abstract void update(int index, NDArray weight, NDArray grad, float lr);

    /** Clears every gradient without updating (a skipped batch). */
    public final void zeroGradients() {
        for (Parameter p : parameters) {
            JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
    }

    /**
     * The squared global L2 norm of all gradients as a scalar array in {@code scope}, without
     * copying anything to the JVM: the step reads it together with the loss in one transfer.
     */
    public final NDArray gradientNormSquared(NDManager scope) {
        NDList norms = new NDList(parameters.size());
        for (Parameter p : parameters) {
            try (NDArray g = p.getArray().getGradient()) {
                NDArray n = g.norm();
                n.attach(scope); // it was created in the weights' manager
                norms.add(n);
            }
        }
        return ai.djl.ndarray.NDArrays.stack(norms).square().sum();
    }

    /** Global L2 norm of all gradients; NaN or infinite if any gradient is. */
    public final double gradientNorm() {
        double sumSquares = 0;
        for (Parameter p : parameters) {
            // every intermediate is closed here: they belong to the weights' manager, not a step scope
            try (NDArray g = p.getArray().getGradient(); NDArray n = g.norm()) {
                double v = n.getFloat();
                sumSquares += v * v;
            }
        }
        return Math.sqrt(sumSquares);
    }

    /** Multiplies every gradient by {@code factor} in place (gradient clipping). */
    public final void scaleGradients(double factor) {
        for (Parameter p : parameters) {
            try (NDArray g = p.getArray().getGradient()) {
                Scalars.scaleInPlace(g, (float) factor);
            }
        }
    }

    /**
     * Forgets everything learnt so far: the step count back to 0 and every state array (momentum,
     * Adam moments) zeroed in place, as a fresh optimizer would start — for a participant whose
     * parameters are re-initialised within a phase (DeepInversion starts each batch of inputs anew).
     */
    public void reset() {
        steps = 0;
        for (NDArray a : state()) {
            Scalars.scaleInPlace(a, 0);
        }
    }

    /** Number of updates applied so far. */
    public long steps() {
        return steps;
    }

    /** The optimizer's state arrays in a fixed order (for checkpoints). */
    public abstract List<NDArray> state();

    /** Writes the step count and every state array (for checkpoints). */
    public void writeState(java.io.DataOutputStream out) throws java.io.IOException {
        out.writeLong(steps);
        List<NDArray> state = state();
        out.writeInt(state.size());
        for (NDArray a : state) {
            byte[] bytes = a.encode();
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    /** Restores what {@link #writeState} wrote, in place; the arrays must match in number and shape. */
    public void readState(java.io.DataInputStream in) throws java.io.IOException {
        steps = in.readLong();
        List<NDArray> state = state();
        int n = in.readInt();
        if (n != state.size()) {
            throw new java.io.IOException("optimizer state has " + n + " arrays, this optimizer " + state.size());
        }
        for (NDArray target : state) {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            try (NDArray saved = NDArray.decode(stateManager, bytes)) {
                if (!saved.getShape().equals(target.getShape())) {
                    throw new java.io.IOException("optimizer state shape " + saved.getShape() + " does not match "
                            + target.getShape());
                }
                org.distill4j.model.Network.assign(target, saved); // native in place, see Network.assign
            }
        }
    }

    @Override
    public void close() {
        stateManager.close();
    }

    protected List<NDArray> zerosLikeParameters() {
        List<NDArray> out = new ArrayList<>();
        for (Parameter p : parameters) {
            out.add(stateManager.zeros(p.getArray().getShape()));
        }
        return out;
    }

    /**
     * SGD with momentum, DJL's kernel: {@code v ← μv + lr·(g + λw); w ← w − v}. That is PyTorch's
     * SGD ({@code v ← μv + g + λw; w ← w − lr·v}) while the rate is constant; under a schedule each
     * step's rate enters the buffer at that step instead of scaling the whole buffer.
     */
    static final class SgdMomentum extends Optimizer {
        private final float momentum;
        private final float weightDecay;
        private final List<NDArray> velocity;

        SgdMomentum(List<Parameter> parameters, NDManager parent, float momentum, float weightDecay) {
            super(parameters, parent);
            this.momentum = momentum;
            this.weightDecay = weightDecay;
            this.velocity = momentum == 0 ? List.of() : zerosLikeParameters();
        }

        @Override
        protected void update(int i, NDArray w, NDArray g, float lr) {
            NDList inputs = momentum == 0 ? new NDList(w, g) : new NDList(w, g, velocity.get(i));
            w.getNDArrayInternal().sgdUpdate(inputs, new NDList(w), lr, weightDecay, 1f, -1f, momentum, true);
        }

        @Override
        public List<NDArray> state() {
            return velocity;
        }
    }

    /** Adam with bias correction folded into the step size, as DJL's Adam does. */
    static final class AdamOptimizer extends Optimizer {
        private final float beta1;
        private final float beta2;
        private final float epsilon;
        private final float weightDecay;
        private final List<NDArray> means;
        private final List<NDArray> variances;
        private boolean inPlace;

        AdamOptimizer(List<Parameter> parameters, NDManager parent, float beta1, float beta2, float epsilon,
                float weightDecay) {
            super(parameters, parent);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
            this.weightDecay = weightDecay;
            this.means = zerosLikeParameters();
            this.variances = zerosLikeParameters();
        }

        /**
         * PyTorch's fused AdamW kernel over all parameters in one call ({@link FusedAdamW}); the
         * in-place operations of {@link #update} when it is not available.
         */
        @Override
        protected void updateAll(List<NDArray> weights, List<NDArray> grads, double lr) {
            FusedAdamW fused = inPlace ? null : FusedAdamW.get();
            if (fused == null) {
                super.updateAll(weights, grads, lr);
                return;
            }
            try (NDArray step = stateManager.create((float) steps)) {
                fused.update(weights, grads, means, variances, step, lr, beta1, beta2, weightDecay, epsilon);
            }
        }

        /**
         * PyTorch's Adam (and AdamW's decoupled decay when {@code weightDecay > 0}) in place:
         * {@code m ← β₁m + (1−β₁)g}, {@code v ← β₂v + (1−β₂)g²},
         * {@code w ← w − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)}, written as {@code √(1−β₂ᵗ)·lr/(1−β₁ᵗ) · m /
         * (√v + ε√(1−β₂ᵗ))}. Two temporaries per parameter (g² and the step) and ten passes over it;
         * DJL's {@code adamUpdate} kernel, used before, cloned the gradient, scaled the weights by
         * the (zero) decay and made five temporaries — on the MLP of bench/vs-pytorch it took more time
         * than the backward pass (bench/results/perf-fixes.md).
         */
        @Override
        protected void update(int i, NDArray w, NDArray g, float lr) {
            double c1 = 1 - Math.pow(beta1, steps);
            double c2 = Math.sqrt(1 - Math.pow(beta2, steps));
            NDArray m = means.get(i);
            NDArray v = variances.get(i);
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false); // in-place updates of leaves that require gradients
            try (NDArray b1 = Scalars.of(w, beta1); NDArray b2 = Scalars.of(w, beta2);
                    NDArray eps = Scalars.of(w, epsilon * c2); NDArray size = Scalars.of(w, lr * c2 / c1)) {
                if (weightDecay > 0) {
                    Scalars.scaleInPlace(w, 1 - (double) lr * weightDecay); // decoupled, as AdamW
                }
                m.subi(g).muli(b1).addi(g); // β₁(m − g) + g
                try (NDArray g2 = g.square()) {
                    v.subi(g2).muli(b2).addi(g2);
                }
                try (NDArray d = v.sqrt(); NDArray u = m.div(d.addi(eps))) {
                    w.subi(u.muli(size));
                }
            } finally {
                JniUtils.setGradMode(grad);
            }
        }

        /** Always the in-place operations, never the fused kernel (tests compare the two). */
        AdamOptimizer inPlace() {
            inPlace = true;
            return this;
        }

        @Override
        public List<NDArray> state() {
            List<NDArray> all = new ArrayList<>(means);
            all.addAll(variances);
            return all;
        }
    }
}

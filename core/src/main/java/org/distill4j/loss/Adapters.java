package org.distill4j.loss;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainable extras a loss owns (FitNets regressors, CRD projections, VID variances …) and
 * its non-trainable state (CRD's memory bank). They are created by the loss in
 * {@link DistillationLoss#bind}, trained by the same optimizer as the student, written into and
 * restored from checkpoints with it, and never part of the exported student: only the
 * {@code Network} is saved as the model.
 */
public final class Adapters implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, Block> blocks = new LinkedHashMap<>();
    private final Map<String, NDArray> states = new LinkedHashMap<>();
    private ParameterStore parameterStore;

    public Adapters(NDManager parent) {
        this.manager = parent.newSubManager();
        this.parameterStore = new ParameterStore(manager, false);
    }

    /**
     * Registers and initialises a trainable block (He-normal weights) for inputs of
     * {@code inputShape} (batch dimension included); names must be unique.
     */
    public Block block(String name, Block block, Shape inputShape) {
        if (blocks.containsKey(name) || states.containsKey(name)) {
            throw new IllegalArgumentException("adapter '" + name + "' is registered twice");
        }
        block.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                XavierInitializer.FactorType.IN, 2), Parameter.Type.WEIGHT);
        block.initialize(manager, DataType.FLOAT32, inputShape);
        blocks.put(name, block);
        return block;
    }

    /** Registers a free trainable tensor of {@code shape}, every value starting at {@code initial}. */
    public void tensor(String name, Shape shape, float initial) {
        block(name, new LearnedTensor(shape, initial), new Shape(1));
    }

    /** Runs the block {@code name} in training mode (batch norm in adapters uses batch statistics). */
    public NDArray forward(String name, NDArray input) {
        Block b = blocks.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "'; there are " + blocks.keySet());
        }
        return b.forward(parameterStore, new NDList(input), true).singletonOrThrow();
    }

    /**
     * The current value of the free tensor {@code name}, on the graph (gradients reach it), as a
     * differentiable copy owned by {@code scope}: arrays computed from it then die with the step
     * instead of accumulating in the adapters' long-lived manager.
     */
    public NDArray tensor(String name, NDManager scope) {
        NDArray value = forward(name, scope.zeros(new Shape(1)));
        // Not duplicate(): PyTorch's clone through DJL drops the graph. An addition to a zero array
        // of the scope keeps the graph and puts the result (and all derived arrays) in the scope.
        return scope.zeros(value.getShape(), value.getDataType()).add(value);
    }

    /**
     * Registers non-trainable state saved in checkpoints (e.g. a memory bank); the loss updates
     * it in place. Returns the array it should keep.
     */
    public NDArray state(String name, NDArray initial) {
        if (blocks.containsKey(name) || states.containsKey(name)) {
            throw new IllegalArgumentException("adapter '" + name + "' is registered twice");
        }
        NDArray a = initial.duplicate();
        a.attach(manager);
        states.put(name, a);
        return a;
    }

    /** Parameters the optimizer updates, in registration order. */
    public List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Block b : blocks.values()) {
            for (Parameter p : b.getParameters().values()) {
                if (p.requiresGradient()) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** Number of trainable values (not part of the exported student). */
    public long parameterCount() {
        return trainableParameters().stream().mapToLong(p -> p.getArray().size()).sum();
    }

    public boolean isEmpty() {
        return blocks.isEmpty() && states.isEmpty();
    }

    /** Writes every block's parameters and every state array, in registration order. */
    public void write(DataOutputStream out) throws IOException {
        out.writeInt(blocks.size());
        for (var e : blocks.entrySet()) {
            out.writeUTF(e.getKey());
            e.getValue().saveParameters(out);
        }
        out.writeInt(states.size());
        for (var e : states.entrySet()) {
            out.writeUTF(e.getKey());
            byte[] bytes = e.getValue().encode();
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    /** Restores what {@link #write} wrote into these (identically registered) adapters. */
    public void read(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n != blocks.size()) {
            throw new IOException("saved adapters hold " + n + " blocks, this loss has " + blocks.size() + " "
                    + blocks.keySet());
        }
        for (var e : blocks.entrySet()) {
            String name = in.readUTF();
            if (!name.equals(e.getKey())) {
                throw new IOException("saved adapter '" + name + "' where this loss has '" + e.getKey() + "'");
            }
            try {
                org.distill4j.model.Network.loadInPlace(e.getValue(), manager, in);
            } catch (MalformedModelException ex) {
                throw new IOException("adapter '" + name + "' does not fit: " + ex.getMessage(), ex);
            }
            for (Parameter p : e.getValue().getParameters().values()) {
                if (p.requiresGradient()) {
                    p.getArray().setRequiresGradient(true);
                }
            }
        }
        int s = in.readInt();
        if (s != states.size()) {
            throw new IOException("saved adapters hold " + s + " state arrays, this loss has " + states.size());
        }
        for (var e : states.entrySet()) {
            String name = in.readUTF();
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            try (NDArray saved = NDArray.decode(manager, bytes)) {
                if (!name.equals(e.getKey()) || !saved.getShape().equals(e.getValue().getShape())) {
                    throw new IOException("saved state '" + name + "' " + saved.getShape() + " does not fit '"
                            + e.getKey() + "' " + e.getValue().getShape());
                }
                org.distill4j.model.Network.assign(e.getValue(), saved); // native in place, see Network.assign
            }
        }
        parameterStore = new ParameterStore(manager, false);
    }

    @Override
    public void close() {
        manager.close();
    }

    /** A block whose output is its one parameter: a free learned tensor (e.g. VID's α). */
    static final class LearnedTensor extends AbstractBlock {
        private final Parameter value;
        private final Shape shape;

        LearnedTensor(Shape shape, float initial) {
            super((byte) 1);
            this.shape = shape;
            this.value = addParameter(Parameter.builder().setName("value").setType(Parameter.Type.OTHER)
                    .optShape(shape).optInitializer((m, s, t) -> m.full(s, initial, t)).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return new NDList(ps.getValue(value, inputs.head().getDevice(), training));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {shape};
        }
    }
}

package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs a block as its own forward pass does, but child by child through sequential and parallel
 * blocks, handing the input of every batch-norm layer to an observer on the way: what
 * DeepInversion's feature-statistics term needs (DJL has no forward hooks). Wrapping the layers
 * instead would rename every parameter (DJL names them by block class and place) and so change
 * every saved network and weights digest. The same operations run in the same order as in
 * {@link Block#forward}, so the outputs are the same.
 */
final class BatchNormProbe {
    /** Sees each batch-norm layer's input during a probed forward pass. */
    @FunctionalInterface
    interface Observer {
        void input(BatchNorm layer, NDArray input);
    }

    private static final java.lang.reflect.Field JOIN;

    static {
        try {
            // ParallelBlock keeps its join function private and offers no getter: read it (the
            // classpath, not a module, so this is allowed) rather than rebuild the zoo's blocks
            JOIN = ParallelBlock.class.getDeclaredField("function");
            JOIN.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private BatchNormProbe() {}

    @SuppressWarnings("unchecked")
    static NDList forward(Block block, ParameterStore ps, NDList x, boolean training, Observer observer) {
        if (block instanceof BatchNorm bn) {
            observer.input(bn, x.singletonOrThrow());
            return block.forward(ps, x, training);
        }
        if (block instanceof SequentialBlock) {
            NDList current = x;
            for (Block child : block.getChildren().values()) {
                current = forward(child, ps, current, training, observer);
            }
            return current;
        }
        if (block instanceof ParallelBlock) {
            List<NDList> branches = new ArrayList<>();
            for (Block child : block.getChildren().values()) {
                branches.add(forward(child, ps, x, training, observer));
            }
            try {
                return ((Function<List<NDList>, NDList>) JOIN.get(block)).apply(branches);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        if (count(block) > 0) {
            throw new IllegalStateException("cannot observe the batch-norm layers inside a "
                    + block.getClass().getSimpleName() + ": only sequential and parallel blocks are opened");
        }
        return block.forward(ps, x, training);
    }

    /** Batch-norm layers in {@code block}, itself included. */
    static int count(Block block) {
        if (block instanceof BatchNorm) {
            return 1;
        }
        int n = 0;
        for (Block child : block.getChildren().values()) {
            n += count(child);
        }
        return n;
    }
}

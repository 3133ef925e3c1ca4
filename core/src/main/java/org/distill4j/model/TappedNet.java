package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network made of named stages run in order; the output of every stage is a tap that
 * distillation losses can read (the equivalent of PyTorch forward hooks, without hooks).
 * The last stage is always {@code "logits"}; {@code "embedding"} names the stage before it.
 * Model authors only name their stages.
 */
public final class TappedNet extends AbstractBlock {
    private static final byte VERSION = 1;

    private final List<String> stageNames = new ArrayList<>();
    private final List<Block> stages = new ArrayList<>();

    /** Builds a network from stages in order; the last one must be named "logits". */
    public TappedNet(LinkedHashMap<String, Block> namedStages) {
        super(VERSION);
        if (namedStages.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one stage");
        }
        for (Map.Entry<String, Block> e : namedStages.entrySet()) {
            if (e.getKey().equals(Outputs.EMBEDDING)) {
                throw new IllegalArgumentException("'embedding' is reserved: it names the stage before the logits");
            }
            stageNames.add(e.getKey());
            stages.add(addChildBlock(e.getKey(), e.getValue()));
        }
        if (!stageNames.get(stageNames.size() - 1).equals(Outputs.LOGITS)) {
            throw new IllegalArgumentException("the last stage must be named 'logits', got " + stageNames);
        }
    }

    /** Tap names this network offers, in order (the stage names, plus "embedding"). */
    public List<String> tapNames() {
        List<String> names = new ArrayList<>(stageNames);
        if (stageNames.size() > 1) {
            names.add(names.size() - 1, Outputs.EMBEDDING);
        }
        return Collections.unmodifiableList(names);
    }

    /** One forward pass returning every tap together with the logits. */
    public Outputs forwardTaps(ParameterStore ps, NDArray input, boolean training) {
        Map<String, NDArray> taps = new LinkedHashMap<>();
        NDList x = new NDList(input);
        for (int i = 0; i < stages.size(); i++) {
            if (i == stages.size() - 1 && i > 0) {
                taps.put(Outputs.EMBEDDING, x.singletonOrThrow());
            }
            x = stages.get(i).forward(ps, x, training);
            taps.put(stageNames.get(i), x.singletonOrThrow());
        }
        return new Outputs(taps);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = inputs;
        for (Block stage : stages) {
            x = stage.forward(ps, x, training, params);
        }
        return x;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] shapes = inputShapes;
        for (Block stage : stages) {
            shapes = stage.getOutputShapes(shapes);
        }
        return shapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] shapes = inputShapes;
        for (Block stage : stages) {
            stage.initialize(manager, dataType, shapes);
            shapes = stage.getOutputShapes(shapes);
        }
    }

    /** Number of trainable values (batch-norm running statistics excluded). */
    public long parameterCount() {
        long n = 0;
        for (var p : getParameters().values()) {
            if (p.requiresGradient() && p.isInitialized()) {
                n += p.getArray().size();
            }
        }
        return n;
    }
}

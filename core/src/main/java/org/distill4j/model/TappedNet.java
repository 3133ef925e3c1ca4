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
import java.util.function.BiPredicate;

/**
 * A network made of named stages run in order; the output of every stage is a tap that
 * distillation losses can read (the equivalent of PyTorch forward hooks, without hooks).
 * The last stage is always {@code "logits"}; {@code "embedding"} names the stage before it.
 * Model authors only name their stages.
 *
 * <p>A network may also carry <i>side heads</i>: blocks that branch off a tap (a stage or another
 * side head) without feeding the main chain, e.g. the early exits of a multi-exit network
 * (Zhang et al. 2019). Their outputs are taps too, produced right after their source; they are
 * part of the network (saved, loaded and trained with it). A network without side heads is
 * built, saved and digested exactly as before they existed.
 */
public final class TappedNet extends AbstractBlock {
    private static final byte VERSION = 1;

    private final List<String> stageNames = new ArrayList<>();
    private final List<Block> stages = new ArrayList<>();
    private final List<SideHead> sideHeads = new ArrayList<>();

    /**
     * A block that reads the tap {@code source} and whose output is the tap {@code name}.
     * Heads run in list order right after their source is produced, so a head may read an
     * earlier head's output.
     */
    public record SideHead(String name, String source, Block block) {}

    /** Builds a network from stages in order; the last one must be named "logits". */
    public TappedNet(LinkedHashMap<String, Block> namedStages) {
        this(namedStages, List.of());
    }

    /** Builds a network from stages in order plus side heads branching off its taps. */
    public TappedNet(LinkedHashMap<String, Block> namedStages, List<SideHead> heads) {
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
        List<String> known = new ArrayList<>(stageNames);
        for (SideHead h : heads) {
            if (known.contains(h.name()) || h.name().equals(Outputs.EMBEDDING)) {
                throw new IllegalArgumentException("side head '" + h.name() + "' repeats a tap name of " + known);
            }
            if (!known.contains(h.source())) {
                throw new IllegalArgumentException("side head '" + h.name() + "' reads '" + h.source()
                        + "', which is not a stage or an earlier head: " + known);
            }
            known.add(h.name());
            sideHeads.add(new SideHead(h.name(), h.source(), addChildBlock(h.name(), h.block())));
        }
    }

    /**
     * This network's (uninitialised) stages with side heads added: how a zoo entry extends
     * another one's network, e.g. with early exits.
     */
    public TappedNet withSideHeads(List<SideHead> heads) {
        if (!sideHeads.isEmpty()) {
            throw new IllegalStateException("this network already has side heads");
        }
        LinkedHashMap<String, Block> named = new LinkedHashMap<>();
        for (int i = 0; i < stages.size(); i++) {
            named.put(stageNames.get(i), stages.get(i));
        }
        return new TappedNet(named, heads);
    }

    /** The side heads, in order (empty for a plain network). */
    public List<SideHead> sideHeads() {
        return Collections.unmodifiableList(sideHeads);
    }

    /** Tap names this network offers, in order (the stage names, plus "embedding"). */
    public List<String> tapNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < stageNames.size(); i++) {
            if (i == stageNames.size() - 1 && i > 0) {
                names.add(Outputs.EMBEDDING);
            }
            names.add(stageNames.get(i));
            names.addAll(headsAfter(stageNames.get(i)).stream().map(SideHead::name).toList());
        }
        return Collections.unmodifiableList(names);
    }

    /** One forward pass returning every tap together with the logits. */
    public Outputs forwardTaps(ParameterStore ps, NDArray input, boolean training) {
        return new Outputs(forwardUntil(ps, new NDList(input), training, (tap, value) -> false, null));
    }

    /**
     * The same pass over token ids and their attention mask: the first stage receives both (a
     * text student's token block reads the mask, see {@code TokenBlocks}), the later ones its output.
     */
    public Outputs forwardTaps(ParameterStore ps, NDArray ids, NDArray mask, boolean training) {
        return new Outputs(forwardUntil(ps, new NDList(ids, mask), training, (tap, value) -> false, null));
    }

    /**
     * A forward pass that stops as soon as {@code stop} accepts a tap just produced (its name and
     * value), returning the taps computed so far, in order: what early-exit inference and the
     * latency of one exit need. Never stopping gives every tap.
     */
    public Map<String, NDArray> forwardUntil(ParameterStore ps, NDArray input, boolean training,
            BiPredicate<String, NDArray> stop) {
        return forwardUntil(ps, new NDList(input), training, stop, null);
    }

    /**
     * One forward pass returning every tap, with every batch-norm layer's input handed to
     * {@code observer} on the way (see {@link BatchNormProbe}); the outputs are those of
     * {@link #forwardTaps}.
     */
    Outputs forwardObserving(ParameterStore ps, NDArray input, boolean training, BatchNormProbe.Observer observer) {
        return new Outputs(forwardUntil(ps, new NDList(input), training, (tap, value) -> false, observer));
    }

    /** Batch-norm layers in the network. */
    int batchNormLayers() {
        return BatchNormProbe.count(this);
    }

    private NDList run(Block block, ParameterStore ps, NDList x, boolean training, BatchNormProbe.Observer observer) {
        return observer == null ? block.forward(ps, x, training) : BatchNormProbe.forward(block, ps, x, training,
                observer);
    }

    private Map<String, NDArray> forwardUntil(ParameterStore ps, NDList input, boolean training,
            BiPredicate<String, NDArray> stop, BatchNormProbe.Observer observer) {
        Map<String, NDArray> taps = new LinkedHashMap<>();
        NDList x = input;
        for (int i = 0; i < stages.size(); i++) {
            if (i == stages.size() - 1 && i > 0) {
                taps.put(Outputs.EMBEDDING, x.singletonOrThrow());
            }
            x = run(stages.get(i), ps, x, training, observer);
            taps.put(stageNames.get(i), x.singletonOrThrow());
            if (stop.test(stageNames.get(i), x.singletonOrThrow())) {
                return taps;
            }
            for (SideHead h : headsAfter(stageNames.get(i))) {
                NDArray out = run(h.block(), ps, new NDList(taps.get(h.source())), training, observer)
                        .singletonOrThrow();
                taps.put(h.name(), out);
                if (stop.test(h.name(), out)) {
                    return taps;
                }
            }
        }
        return taps;
    }

    /** Side heads that run right after {@code stage}: those reading it, and heads reading those. */
    private List<SideHead> headsAfter(String stage) {
        List<SideHead> out = new ArrayList<>();
        List<String> sources = new ArrayList<>(List.of(stage));
        for (SideHead h : sideHeads) {
            if (sources.contains(h.source())) {
                out.add(h);
                sources.add(h.name());
            }
        }
        return out;
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
        Map<String, Shape[]> tapShapes = new LinkedHashMap<>();
        for (int i = 0; i < stages.size(); i++) {
            stages.get(i).initialize(manager, dataType, shapes);
            shapes = stages.get(i).getOutputShapes(shapes);
            tapShapes.put(stageNames.get(i), shapes);
            for (SideHead h : headsAfter(stageNames.get(i))) {
                Shape[] in = tapShapes.get(h.source());
                h.block().initialize(manager, dataType, in);
                tapShapes.put(h.name(), h.block().getOutputShapes(in));
            }
        }
    }

    /** Number of trainable values (batch-norm running statistics excluded). */
    public long parameterCount() {
        return count(this);
    }

    /**
     * Trainable values a forward pass up to {@code tap} uses: the stages up to it and, for a
     * side head, the heads it reads through. The size of the network an early exit needs.
     */
    public long parameterCountUpTo(String tap) {
        long n = 0;
        String stage = tap;
        for (int h = sideHeads.size() - 1; h >= 0; h--) {
            if (sideHeads.get(h).name().equals(stage)) {
                n += count(sideHeads.get(h).block());
                stage = sideHeads.get(h).source();
            }
        }
        if (stage.equals(Outputs.EMBEDDING)) {
            stage = stageNames.get(stageNames.size() - 2);
        }
        int last = stageNames.indexOf(stage);
        if (last < 0) {
            throw new IllegalArgumentException("no tap named '" + tap + "'; this network has " + tapNames());
        }
        for (int i = 0; i <= last; i++) {
            n += count(stages.get(i));
        }
        return n;
    }

    private static long count(Block block) {
        long n = 0;
        for (var p : block.getParameters().values()) {
            if (p.requiresGradient() && p.isInitialized()) {
                n += p.getArray().size();
            }
        }
        return n;
    }
}

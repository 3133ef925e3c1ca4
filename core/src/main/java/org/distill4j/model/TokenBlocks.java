package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * The first stages of the text students: blocks that read token ids ({@code [N, L]} floats from a
 * text source) and give one vector per text. Ids are folded into the table ({@code id mod rows}),
 * so any tokenizer's ids are accepted.
 *
 * <p>What counts as padding is the attention mask: the blocks take {@code (ids, mask)} — the
 * batch's {@link org.distill4j.data.Batch#ATTENTION_MASK}, the tokenizer's own, which
 * {@link Network#forward(org.distill4j.data.Batch, boolean)} and the exported student pass — or
 * the ids alone, and then (a bare array: a probe, a generated batch, a path that has no mask)
 * read {@code id != 0} as the mask ({@link #mask}).
 */
final class TokenBlocks {
    private TokenBlocks() {}

    /** Embedding rows are drawn from N(0, 0.1²). */
    private static final float EMBEDDING_STD = 0.1f;

    static Parameter table(String name, long rows, long dim) {
        return Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(new Shape(rows, dim))
                .optInitializer(new NormalInitializer(EMBEDDING_STD)).build();
    }

    /** Int64 ids of {@code [N, L]} float ids, folded into {@code rows} (not folded: {@code rows <= 0}). */
    static NDArray folded(NDArray ids, long rows) {
        NDArray idx = ids.toType(DataType.INT64, false);
        return rows > 0 ? idx.mod(Scalars.of(idx, rows)) : idx;
    }

    /**
     * The float attention mask of a block's inputs: the second input when there is one (the
     * batch's {@code attention_mask}), else the fallback {@code id != 0} of the ids (the first).
     */
    static NDArray mask(NDList inputs) {
        NDArray ids = inputs.get(0);
        if (inputs.size() > 1) {
            return inputs.get(1).toType(DataType.FLOAT32, false);
        }
        return ids.neq(Scalars.of(ids, 0)).toType(DataType.FLOAT32, false);
    }

    static NDArray lookup(NDArray idx, NDArray table) {
        return idx.getNDArrayInternal().embedding(idx, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** The bag of {@link NgramBag}: {@code [N, L]} float ids under {@code mask} → the mean of their n-grams' rows of {@code table}, {@code [N, D]}. */
    static NDArray bag(NDArray ids, NDArray mask, NDArray table, long buckets, long multiplier) {
        NDArray idx = folded(ids, 0);
        long len = ids.getShape().get(1);
        NDArray uni = idx.mod(Scalars.of(idx, buckets));
        NDArray grams = uni;
        NDArray gramMask = mask;
        if (len > 1) {
            NDArray a = idx.get(new NDIndex(":, :-1"));
            NDArray b = idx.get(new NDIndex(":, 1:"));
            NDArray bi = a.mul(Scalars.of(a, multiplier)).add(b).add(Scalars.of(b, 1)).mod(Scalars.of(a, buckets));
            NDArray biMask = mask.get(new NDIndex(":, :-1")).mul(mask.get(new NDIndex(":, 1:")));
            grams = uni.concat(bi, 1);
            gramMask = mask.concat(biMask, 1);
        }
        NDArray rows = lookup(grams, table); // [N, G, D]
        NDArray sum = rows.mul(gramMask.expandDims(2)).sum(new int[] {1});
        NDArray count = Scalars.maximum(gramMask.sum(new int[] {1}, true), 1);
        return sum.div(count);
    }

    /** Token embeddings of {@code [N, L]} float ids, folded into the {@code [rows, D]} table, channels first: {@code [N, D, L]}. */
    static NDArray embed(NDArray ids, NDArray table) {
        return lookup(folded(ids, table.getShape().get(0)), table).transpose(0, 2, 1);
    }

    /** The max over the positions of {@code y} {@code [N, C, L]} that {@code mask} {@code [N, L]} attends. */
    static NDArray maskedMax(NDArray y, NDArray mask) {
        // masked positions get -1e4 and never win the max (every text has [CLS] and [SEP] in its mask)
        NDArray penalty = Scalars.mul(mask.sub(Scalars.of(mask, 1)), 1e4).expandDims(1);
        return y.add(penalty).max(new int[] {2});
    }

    /**
     * A hashed bag of n-grams: every token (unigram) and every pair of neighbouring tokens (bigram)
     * is hashed into one of {@code buckets} rows, {@code (id mod B)} and {@code (31337·a + b + 1) mod B};
     * the text's vector is the mean of the rows of its unpadded n-grams (fastText's input layer,
     * Joulin et al. 2017).
     */
    static final class NgramBag extends AbstractBlock {
        /** The multiplier of the first token of a bigram in its hash. */
        static final long BIGRAM_MULTIPLIER = 31337;
        private final long buckets;
        private final long dim;
        private final Parameter table;

        NgramBag(long buckets, long dim) {
            super((byte) 1);
            this.buckets = buckets;
            this.dim = dim;
            this.table = addParameter(table("buckets", buckets, dim));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray ids = inputs.get(0);
            return new NDList(bag(ids, mask(inputs), ps.getValue(table, ids.getDevice(), training), buckets,
                    BIGRAM_MULTIPLIER));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), dim)};
        }
    }

    /**
     * Token embeddings, one 1-D convolution over the positions ({@code filters} of width
     * {@code kernel}, same padding, ReLU) and a max over the unpadded positions (Kim 2014).
     */
    static final class ConvPool extends AbstractBlock {
        private final long dim;
        private final long filters;
        private final Parameter table;
        private final Conv1d conv;

        ConvPool(long vocab, long dim, long filters, int kernel) {
            super((byte) 1);
            this.dim = dim;
            this.filters = filters;
            this.table = addParameter(table("embedding", vocab, dim));
            this.conv = addChildBlock("conv", Conv1d.builder().setKernelShape(new Shape(kernel)).setFilters(Math.toIntExact(filters))
                    .optPadding(new Shape(kernel / 2)).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray ids = inputs.get(0);
            NDArray w = ps.getValue(table, ids.getDevice(), training);
            NDArray x = embed(ids, w); // [N, D, L]
            NDArray y = conv.forward(ps, new NDList(x), training, params).singletonOrThrow();
            long len = ids.getShape().get(1);
            return new NDList(maskedMax(ai.djl.nn.Activation.relu(y.get(new NDIndex(":, :, :" + len))), mask(inputs)));
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            conv.initialize(manager, dataType, new Shape(inputShapes[0].get(0), dim, inputShapes[0].get(1)));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), filters)};
        }
    }
}

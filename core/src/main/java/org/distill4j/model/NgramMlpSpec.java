package org.distill4j.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;

/**
 * A hashed n-gram bag with an MLP for samples of token ids (a {@code text} source): stage
 * {@code bag} is the mean of {@code dim}-wide rows of a table of {@code buckets}, one row per
 * hashed unigram and bigram of the text (fastText's input layer); {@code fc1} a hidden layer of
 * {@code hidden} units (ReLU); then {@code logits}. Taps: {@code bag}, {@code fc1}
 * ({@code embedding}), {@code logits}.
 *
 * @param buckets hash buckets (table rows); default 65536
 * @param dim row width; default 64
 * @param hidden hidden units; default 64
 */
public record NgramMlpSpec(Integer buckets, Integer dim, Integer hidden) implements ModelSpec {
    public NgramMlpSpec {
        buckets = buckets == null ? 65536 : buckets;
        dim = dim == null ? 64 : dim;
        hidden = hidden == null ? 64 : hidden;
        ModelSpec.require(buckets >= 2 && buckets <= 1 << 24, "buckets", "must be in [2, 16777216]", buckets);
        ModelSpec.require(dim >= 1 && dim <= 4096, "dim", "must be in [1, 4096]", dim);
        ModelSpec.require(hidden >= 1 && hidden <= 65536, "hidden", "must be in [1, 65536]", hidden);
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        checkInput(sampleShape);
        LinkedHashMap<String, Block> stages = new LinkedHashMap<>();
        stages.put("bag", new TokenBlocks.NgramBag(buckets, dim));
        stages.put("fc1", new SequentialBlock().add(Linear.builder().setUnits(hidden).build())
                .add(Activation.reluBlock()));
        stages.put(Outputs.LOGITS, Linear.builder().setUnits(numClasses).build());
        return new TappedNet(stages);
    }

    @Override
    public Architecture.Plan layers() {
        return new Architecture.Plan()
                .stage("bag", Architecture.Plan.ngramBag(TokenBlocks.NgramBag.BIGRAM_MULTIPLIER))
                .stage("fc1", Architecture.Plan.linear(), Architecture.Plan.relu())
                .stage(Outputs.LOGITS, Architecture.Plan.linear());
    }

    @Override
    public void checkInput(long[] sampleShape) {
        TextCnnSpec.requireTokens(this, sampleShape);
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        long grams = 2 * sampleShape[0] - 1;
        return grams * dim + 2L * dim * hidden + 2L * hidden * numClasses;
    }

    @Override
    public String describe() {
        return "ngram-mlp[" + buckets + "x" + dim + "]/" + hidden;
    }
}

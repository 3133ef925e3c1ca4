package org.distill4j.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;

/**
 * A small 1-D CNN over learned token embeddings (Kim 2014) for samples of token ids (a
 * {@code text} source): stage {@code features} embeds the ids ({@code vocab × dim}, ids folded
 * {@code mod vocab}), convolves {@code filters} filters of width {@code kernel} over the positions
 * (ReLU) and takes the max over the unpadded positions; {@code fc1} is a hidden layer of
 * {@code hidden} units (ReLU), then {@code logits}. Taps: {@code features}, {@code fc1}
 * ({@code embedding}), {@code logits}.
 *
 * @param vocab embedding rows; default 30522 (BERT's uncased WordPiece, MiniLM's tokenizer)
 * @param dim embedding width; default 64
 * @param filters convolution filters; default 128
 * @param kernel filter width in tokens, odd; default 5
 * @param hidden hidden units; default 64
 */
public record TextCnnSpec(Integer vocab, Integer dim, Integer filters, Integer kernel, Integer hidden)
        implements ModelSpec {
    public TextCnnSpec {
        vocab = vocab == null ? 30522 : vocab;
        dim = dim == null ? 64 : dim;
        filters = filters == null ? 128 : filters;
        kernel = kernel == null ? 5 : kernel;
        hidden = hidden == null ? 64 : hidden;
        ModelSpec.require(vocab >= 2 && vocab <= 1 << 22, "vocab", "must be in [2, 4194304]", vocab);
        ModelSpec.require(dim >= 1 && dim <= 4096, "dim", "must be in [1, 4096]", dim);
        ModelSpec.require(filters >= 1 && filters <= 4096, "filters", "must be in [1, 4096]", filters);
        ModelSpec.require(kernel >= 1 && kernel <= 63 && kernel % 2 == 1, "kernel", "must be odd, in [1, 63]", kernel);
        ModelSpec.require(hidden >= 1 && hidden <= 65536, "hidden", "must be in [1, 65536]", hidden);
    }

    @Override
    public TappedNet build(long[] sampleShape, int numClasses) {
        checkInput(sampleShape);
        LinkedHashMap<String, Block> stages = new LinkedHashMap<>();
        stages.put("features", new TokenBlocks.ConvPool(vocab, dim, filters, kernel));
        stages.put("fc1", new SequentialBlock().add(Linear.builder().setUnits(hidden).build())
                .add(Activation.reluBlock()));
        stages.put(Outputs.LOGITS, Linear.builder().setUnits(numClasses).build());
        return new TappedNet(stages);
    }

    @Override
    public Architecture.Plan layers() {
        return new Architecture.Plan()
                .stage("features", Architecture.Plan.tokenEmbedding(), Architecture.Plan.conv1d(kernel, kernel / 2),
                        Architecture.Plan.relu(), Architecture.Plan.maskedMaxPool1d())
                .stage("fc1", Architecture.Plan.linear(), Architecture.Plan.relu())
                .stage(Outputs.LOGITS, Architecture.Plan.linear());
    }

    @Override
    public void checkInput(long[] sampleShape) {
        TextCnnSpec.requireTokens(this, sampleShape);
    }

    /** Throws the {@link InputShapeException} of a network that needs token ids {@code [L]}. */
    static void requireTokens(ModelSpec spec, long[] sampleShape) {
        if (sampleShape.length != 1) {
            throw new InputShapeException(spec.describe() + " reads token ids (samples of shape [L], a text source)"
                    + " but the data's samples have shape " + java.util.Arrays.toString(sampleShape));
        }
    }

    @Override
    public long forwardFlops(long[] sampleShape, int numClasses) {
        long len = sampleShape[0];
        return 2 * len * kernel * dim * filters + 2L * filters * hidden + 2L * hidden * numClasses;
    }

    @Override
    public String describe() {
        return "text-cnn[" + vocab + "x" + dim + ",k" + kernel + "x" + filters + "]/" + hidden;
    }
}

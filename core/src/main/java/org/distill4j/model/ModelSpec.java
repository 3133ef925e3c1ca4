package org.distill4j.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What network to build, chosen by {@code type} from the zoo. Configs name a zoo entry, never
 * a Java class. Adding an architecture is a record implementing this plus one line below.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = MlpSpec.class, name = "mlp"),
    @JsonSubTypes.Type(value = CnnSpec.class, name = "cnn"),
    @JsonSubTypes.Type(value = ResNetSpec.class, name = "resnet"),
    @JsonSubTypes.Type(value = MultiExitSpec.class, name = "multi-exit"),
    @JsonSubTypes.Type(value = BlocksSpec.class, name = "blocks"),
    @JsonSubTypes.Type(value = TextCnnSpec.class, name = "text-cnn"),
    @JsonSubTypes.Type(value = NgramMlpSpec.class, name = "ngram-mlp"),
})
public sealed interface ModelSpec permits MlpSpec, CnnSpec, ResNetSpec, MultiExitSpec, BlocksSpec, TextCnnSpec,
        NgramMlpSpec {
    /** Builds an uninitialised network for inputs of shape (C, H, W) and that many classes. */
    TappedNet build(long[] sampleShape, int numClasses);

    /** Short human-readable description, e.g. "cnn[32,64,128]/256". */
    String describe();

    /**
     * The layers {@link #build} builds, stage by stage, for export ({@link Architecture#of}): a plan
     * whose sizes and tensor names are filled in from the built network's parameters. By default an
     * architecture cannot be exported.
     *
     * @throws UnsupportedOperationException naming the architecture, if it cannot be exported
     */
    default Architecture.Plan layers() {
        throw new UnsupportedOperationException(describe() + " cannot be exported: its layers have no description"
                + " (exportable: mlp, cnn, resnet, multi-exit, text-cnn, ngram-mlp)");
    }

    /**
     * Checks that this architecture can take samples of {@code sampleShape} (the data's), before
     * anything is built or trained. By default every shape is accepted.
     *
     * @throws InputShapeException naming the model and the shape, if it cannot
     */
    default void checkInput(long[] sampleShape) {
    }

    /** Throws the {@link InputShapeException} of a network that needs images {@code [C, H, W]}. */
    static void requireImages(ModelSpec spec, long[] sampleShape) {
        if (sampleShape.length != 3) {
            throw new InputShapeException(spec.describe() + " needs images of shape [C, H, W] but the data's samples"
                    + " have shape " + java.util.Arrays.toString(sampleShape)
                    + (sampleShape.length == 1 ? " (feature vectors, e.g. CSV columns: use type: mlp)" : ""));
        }
    }

    /** Images {@code [C, H, W]} with each side at least 2^stages, so that every halving stage keeps a pixel. */
    static void requireHalvings(ModelSpec spec, long[] sampleShape, int stages) {
        requireImages(spec, sampleShape);
        long side = 1L << stages;
        if (sampleShape[1] < side || sampleShape[2] < side) {
            throw new InputShapeException(spec.describe() + " halves the image in each of its " + stages
                    + " stages and needs images of at least " + side + "×" + side + " but the data's samples have shape "
                    + java.util.Arrays.toString(sampleShape) + "; use fewer stages or a larger image size");
        }
    }

    /**
     * Forward-pass floating-point operations per sample, counted analytically: 2 per
     * multiply-add of convolutions and linear layers (batch norm, activations and pooling, a
     * few percent at most, are left out). A training step costs about 3× this (the backward
     * pass computes gradients for inputs and weights).
     */
    long forwardFlops(long[] sampleShape, int numClasses);

    static void require(boolean ok, String field, String rule, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(field + ": " + rule + " (got " + got + ")");
        }
    }
}

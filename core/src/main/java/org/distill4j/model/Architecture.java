package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network described layer by layer, generically enough for another framework to rebuild it:
 * the {@code architecture.json} of an exported student (see {@code docs/export.md}). A network
 * is a chain of named <i>stages</i> run in order (the last one is {@code logits}), plus optional
 * <i>heads</i> that branch off a stage or another head (the early exits of a multi-exit network).
 * Each stage is a list of layers applied in order to a batch {@code [N, …]}; a layer with
 * weights names its tensors in the weights file.
 *
 * <p>A zoo architecture says which layers it builds ({@link ModelSpec#layers()}: a <i>plan</i>,
 * without tensor names or sizes); {@link #of(Network)} binds the plan to a network's parameters
 * in their order, taking every size from the parameters' shapes and failing if the two disagree,
 * so the description cannot silently drift from what {@link ModelSpec#build} builds.
 *
 * @param format always {@value #FORMAT}
 * @param version the schema version, {@value #VERSION}
 * @param model what the zoo calls the architecture, e.g. {@code cnn[8, 16]/64}
 * @param inputShape the shape of one input sample, e.g. {@code [1, 28, 28]} or {@code [4]}
 * @param numClasses the width of the {@code logits} stage's output
 * @param stages the chain, in order; the output of each is a tap named after it
 * @param heads branches off a stage or an earlier head, run after their source (empty for most networks)
 */
public record Architecture(String format, int version, String model, List<Long> inputShape, int numClasses,
        List<Stage> stages, List<Head> heads) {
    public static final String FORMAT = "distill4j-architecture";
    public static final int VERSION = 1;

    public Architecture {
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException("format: must be " + FORMAT + " (got " + format + ")");
        }
        if (version != VERSION) {
            throw new IllegalArgumentException("version: this distill4j reads architecture version " + VERSION
                    + " (got " + version + ")");
        }
        inputShape = List.copyOf(inputShape);
        stages = List.copyOf(stages);
        heads = heads == null ? List.of() : List.copyOf(heads);
        if (stages.isEmpty() || !stages.get(stages.size() - 1).name().equals(Outputs.LOGITS)) {
            throw new IllegalArgumentException("stages: the last stage must be named 'logits'");
        }
    }

    /** One stage of the chain: its layers, applied in order. */
    public record Stage(String name, List<Layer> layers) {
        public Stage {
            layers = List.copyOf(layers);
        }
    }

    /** A branch: its layers applied to the output of {@code source} (a stage or an earlier head). */
    public record Head(String name, String source, List<Layer> layers) {
        public Head {
            layers = List.copyOf(layers);
        }
    }

    /** One layer; {@code type} in JSON names the kind. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Conv2d.class, name = "conv2d"),
        @JsonSubTypes.Type(value = BatchNorm.class, name = "batchnorm"),
        @JsonSubTypes.Type(value = Linear.class, name = "linear"),
        @JsonSubTypes.Type(value = Relu.class, name = "relu"),
        @JsonSubTypes.Type(value = MaxPool2d.class, name = "maxpool2d"),
        @JsonSubTypes.Type(value = GlobalAvgPool2d.class, name = "globalavgpool2d"),
        @JsonSubTypes.Type(value = Flatten.class, name = "flatten"),
        @JsonSubTypes.Type(value = Dropout.class, name = "dropout"),
        @JsonSubTypes.Type(value = Residual.class, name = "residual"),
        @JsonSubTypes.Type(value = TokenEmbedding.class, name = "tokenembedding"),
        @JsonSubTypes.Type(value = Conv1d.class, name = "conv1d"),
        @JsonSubTypes.Type(value = MaskedMaxPool1d.class, name = "maskedmaxpool1d"),
        @JsonSubTypes.Type(value = NgramBag.class, name = "ngrambag"),
    })
    public sealed interface Layer permits Conv2d, BatchNorm, Linear, Relu, MaxPool2d, GlobalAvgPool2d, Flatten,
            Dropout, Residual, TokenEmbedding, Conv1d, MaskedMaxPool1d, NgramBag {
    }

    /**
     * 2-D cross-correlation over {@code [N, in, H, W]} (PyTorch's {@code Conv2d}): weight
     * {@code [out, in / groups, kernel[0], kernel[1]]}, optional bias {@code [out]}.
     */
    public record Conv2d(Integer in, Integer out, List<Integer> kernel, List<Integer> stride, List<Integer> padding,
            List<Integer> dilation, int groups, String weight, String bias) implements Layer {
    }

    /**
     * Batch normalisation over axis 1 (channels) in inference mode:
     * {@code (x - runningMean) / sqrt(runningVar + eps) * weight + bias}.
     */
    public record BatchNorm(Integer channels, double eps, String weight, String bias, String runningMean,
            String runningVar) implements Layer {
    }

    /** {@code x · weightᵀ + bias} over {@code [N, in]}: weight {@code [out, in]}, bias {@code [out]}. */
    public record Linear(Integer in, Integer out, String weight, String bias) implements Layer {
    }

    /** {@code max(x, 0)}. */
    public record Relu() implements Layer {
    }

    /** Max pooling over {@code [N, C, H, W]} (PyTorch's {@code MaxPool2d}, floor mode). */
    public record MaxPool2d(List<Integer> kernel, List<Integer> stride, List<Integer> padding) implements Layer {
    }

    /** The mean over H and W: {@code [N, C, H, W]} → {@code [N, C]}. */
    public record GlobalAvgPool2d() implements Layer {
    }

    /** {@code [N, d1, d2, …]} → {@code [N, d1·d2·…]}, row-major (C, H, W order). */
    public record Flatten() implements Layer {
    }

    /** Dropout with rate {@code p} while training; the identity at inference. */
    public record Dropout(double p) implements Layer {
    }

    /** {@code main(x) + shortcut(x)}; an empty {@code shortcut} is the identity. */
    public record Residual(List<Layer> main, List<Layer> shortcut) implements Layer {
        public Residual {
            main = List.copyOf(main);
            shortcut = List.copyOf(shortcut);
        }
    }

    /**
     * Token embeddings of a batch of token ids {@code [N, L]} (floats holding whole numbers, 0 =
     * padding, as a {@code text} source gives them): each id {@code i} is folded into the table,
     * row {@code floor-mod(i, rows)} of weight {@code [rows, dim]}, and the rows are laid out
     * channels first, {@code [N, dim, L]}, for a {@link Conv1d}.
     */
    public record TokenEmbedding(Integer rows, Integer dim, String weight) implements Layer {
    }

    /**
     * 1-D cross-correlation over {@code [N, in, L]} (PyTorch's {@code Conv1d}, one group): weight
     * {@code [out, in, kernel]}, optional bias {@code [out]}.
     */
    public record Conv1d(Integer in, Integer out, int kernel, int stride, int padding, int dilation, String weight,
            String bias) implements Layer {
    }

    /**
     * The max over positions {@code [N, C, L]} → {@code [N, C]} of the positions whose token id in
     * the network's input is not 0 (padding): exactly {@code max over l of x[n, c, l] + (m[n, l] − 1) · 10⁴},
     * {@code m} = 1 for a token and 0 for padding (so padding never wins over a token's value above −10⁴).
     */
    public record MaskedMaxPool1d() implements Layer {
    }

    /**
     * A hashed bag of n-grams of a batch of token ids {@code [N, L]} (0 = padding; fastText's input
     * layer, Joulin et al. 2017) → {@code [N, dim]}: every unigram {@code a} is row
     * {@code floor-mod(a, buckets)} and every bigram of neighbouring tokens {@code (a, b)} is row
     * {@code floor-mod(multiplier · a + b + 1, buckets)} of weight {@code [buckets, dim]} (int64
     * arithmetic); the output is the mean of the rows of the n-grams without padding (a bigram
     * counts when both its tokens do), over at least 1.
     */
    public record NgramBag(Integer buckets, Integer dim, long multiplier, String weight) implements Layer {
    }

    /** Layers a zoo architecture builds, for its {@link ModelSpec#layers()} plan (sizes and names filled by binding). */
    public static final class Plan {
        private final List<Stage> stages = new ArrayList<>();
        private final List<Head> heads = new ArrayList<>();

        public Plan stage(String name, Layer... layers) {
            stages.add(new Stage(name, List.of(layers)));
            return this;
        }

        public Plan stage(String name, List<Layer> layers) {
            stages.add(new Stage(name, layers));
            return this;
        }

        public Plan head(String name, String source, List<Layer> layers) {
            heads.add(new Head(name, source, layers));
            return this;
        }

        public List<Stage> stages() {
            return List.copyOf(stages);
        }

        public List<Head> heads() {
            return List.copyOf(heads);
        }

        /** A square convolution with dilation 1 and one group; bias present when the network has one. */
        public static Layer conv(int kernel, int stride, int padding) {
            return new Conv2d(null, null, List.of(kernel, kernel), List.of(stride, stride), List.of(padding, padding),
                    List.of(1, 1), 1, null, null);
        }

        /** DJL's default batch norm (eps 1e-5). */
        public static Layer batchNorm() {
            return new BatchNorm(null, 1e-5, null, null, null, null);
        }

        public static Layer linear() {
            return new Linear(null, null, null, null);
        }

        public static Layer relu() {
            return new Relu();
        }

        public static Layer maxPool(int kernel, int stride) {
            return new MaxPool2d(List.of(kernel, kernel), List.of(stride, stride), List.of(0, 0));
        }

        public static Layer globalAvgPool() {
            return new GlobalAvgPool2d();
        }

        public static Layer flatten() {
            return new Flatten();
        }

        public static Layer dropout(double p) {
            return new Dropout(p);
        }

        public static Layer residual(List<Layer> main, List<Layer> shortcut) {
            return new Residual(main, shortcut);
        }

        public static Layer tokenEmbedding() {
            return new TokenEmbedding(null, null, null);
        }

        /** A 1-D convolution of stride and dilation 1; bias present when the network has one. */
        public static Layer conv1d(int kernel, int padding) {
            return new Conv1d(null, null, kernel, 1, padding, 1, null, null);
        }

        public static Layer maskedMaxPool1d() {
            return new MaskedMaxPool1d();
        }

        public static Layer ngramBag(long multiplier) {
            return new NgramBag(null, null, multiplier, null);
        }
    }

    /** A network's architecture with its tensors by name, in the order they are stored. */
    public record Bound(Architecture architecture, Map<String, NDArray> tensors) {
    }

    /**
     * The architecture of {@code net} with its tensors: its spec's plan bound to its parameters in
     * network order. Tensor names are {@code <stage>.<layer index>.<role>} ({@code .main} and
     * {@code .shortcut} inside a residual layer), e.g. {@code conv1.0.weight}, {@code stage2.0.main.1.runningVar}.
     *
     * @throws UnsupportedOperationException if the architecture cannot be exported
     * @throws IllegalStateException if the plan does not match the network's parameters (a bug)
     */
    public static Bound of(Network net) {
        ModelSpec spec = net.spec();
        Plan plan = spec.layers();
        Binder binder = new Binder(net.parameters(), spec.describe());
        List<Stage> stages = new ArrayList<>();
        for (Stage s : plan.stages()) {
            stages.add(new Stage(s.name(), binder.bind(s.name(), s.layers())));
        }
        List<Head> heads = new ArrayList<>();
        for (Head h : plan.heads()) {
            heads.add(new Head(h.name(), h.source(), binder.bind(h.name(), h.layers())));
        }
        binder.finish();
        Architecture a = new Architecture(FORMAT, VERSION, spec.describe(),
                Arrays.stream(net.sampleShape()).boxed().toList(), net.numClasses(), stages, heads);
        return new Bound(a, binder.tensors);
    }

    /** Walks a plan alongside the network's parameters, naming and sizing each layer's tensors. */
    private static final class Binder {
        private final Iterator<Parameter> params;
        private final List<Parameter> all;
        private final String model;
        private final Map<String, NDArray> tensors = new LinkedHashMap<>();
        private Parameter peeked;

        Binder(List<Parameter> parameters, String model) {
            this.all = parameters;
            this.params = parameters.iterator();
            this.model = model;
        }

        List<Layer> bind(String prefix, List<Layer> layers) {
            List<Layer> out = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                out.add(bind(prefix + "." + i, layers.get(i)));
            }
            return out;
        }

        private Layer bind(String path, Layer layer) {
            if (layer instanceof Conv2d c) {
                long[] w = take(path + ".weight", Parameter.Type.WEIGHT, 4);
                if (w[2] != c.kernel().get(0) || w[3] != c.kernel().get(1)) {
                    throw mismatch(path, "a " + c.kernel() + " kernel", Arrays.toString(w));
                }
                String bias = takeBias(path);
                return new Conv2d((int) w[1] * c.groups(), (int) w[0], c.kernel(), c.stride(), c.padding(), c.dilation(),
                        c.groups(), path + ".weight", bias);
            }
            if (layer instanceof BatchNorm b) {
                long[] g = take(path + ".weight", Parameter.Type.GAMMA, 1);
                take(path + ".bias", Parameter.Type.BETA, 1);
                take(path + ".runningMean", Parameter.Type.RUNNING_MEAN, 1);
                take(path + ".runningVar", Parameter.Type.RUNNING_VAR, 1);
                return new BatchNorm((int) g[0], b.eps(), path + ".weight", path + ".bias", path + ".runningMean",
                        path + ".runningVar");
            }
            if (layer instanceof Linear) {
                long[] w = take(path + ".weight", Parameter.Type.WEIGHT, 2);
                String bias = takeBias(path);
                return new Linear((int) w[1], (int) w[0], path + ".weight", bias);
            }
            if (layer instanceof Residual r) {
                return new Residual(bind(path + ".main", r.main()), bind(path + ".shortcut", r.shortcut()));
            }
            if (layer instanceof TokenEmbedding) {
                long[] w = take(path + ".weight", Parameter.Type.WEIGHT, 2);
                return new TokenEmbedding((int) w[0], (int) w[1], path + ".weight");
            }
            if (layer instanceof Conv1d c) {
                long[] w = take(path + ".weight", Parameter.Type.WEIGHT, 3);
                if (w[2] != c.kernel()) {
                    throw mismatch(path, "a kernel of " + c.kernel(), Arrays.toString(w));
                }
                String bias = takeBias(path);
                return new Conv1d((int) w[1], (int) w[0], c.kernel(), c.stride(), c.padding(), c.dilation(),
                        path + ".weight", bias);
            }
            if (layer instanceof NgramBag b) {
                long[] w = take(path + ".weight", Parameter.Type.WEIGHT, 2);
                return new NgramBag((int) w[0], (int) w[1], b.multiplier(), path + ".weight");
            }
            return layer; // no weights
        }

        /** The bias right after a weight, if the layer has one (DJL stores it next). */
        private String takeBias(String path) {
            if (!next(Parameter.Type.BIAS)) {
                return null;
            }
            take(path + ".bias", Parameter.Type.BIAS, 1);
            return path + ".bias";
        }

        private boolean next(Parameter.Type type) {
            if (peeked == null && params.hasNext()) {
                peeked = params.next();
            }
            return peeked != null && peeked.getType() == type;
        }

        private long[] take(String name, Parameter.Type type, int dims) {
            if (!next(type)) {
                throw mismatch(name, "a " + type + " parameter",
                        peeked == null ? "no more parameters" : peeked.getName() + " (" + peeked.getType() + ")");
            }
            Parameter p = peeked;
            peeked = null;
            long[] shape = p.getArray().getShape().getShape();
            if (shape.length != dims) {
                throw mismatch(name, dims + " dimensions", Arrays.toString(shape));
            }
            tensors.put(name, p.getArray());
            return shape;
        }

        void finish() {
            if (peeked != null || params.hasNext()) {
                int left = all.size() - tensors.size();
                throw new IllegalStateException("the layer description of " + model + " does not cover its network: "
                        + left + " parameter(s) left over, from " + (peeked != null ? peeked : params.next()).getName());
            }
        }

        private IllegalStateException mismatch(String where, String wanted, String got) {
            return new IllegalStateException("the layer description of " + model + " does not match its network at "
                    + where + ": expected " + wanted + ", the network has " + got);
        }
    }
}

package org.distill4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network run from its {@link Architecture} and its tensors alone, layer by layer with the same
 * DJL operators the zoo's blocks call (so it gives the zoo network's logits exactly): how an
 * exported student runs in Java, as {@code bench/interop/rebuild.py} runs it in PyTorch. The text
 * layers ({@link Architecture.TokenEmbedding}, {@link Architecture.MaskedMaxPool1d}, {@link Architecture.NgramBag})
 * call the text students' own functions ({@code TokenBlocks}). It holds
 * its weights in an {@link NDManager} of its own; a forward pass only reads them, so concurrent
 * passes from several threads are safe. Close it to free the weights.
 */
public final class ExportedNetwork implements AutoCloseable {
    private final Architecture architecture;
    private final NDManager manager;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();

    /** One tensor: its shape and its values, row-major. */
    public record Tensor(long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("a tensor of shape " + Arrays.toString(shape) + " needs " + n
                        + " values, got " + data.length);
            }
        }
    }

    private ExportedNetwork(Architecture architecture, Map<String, Tensor> tensors, NDManager parent,
            String where) {
        this.architecture = architecture;
        this.manager = parent.newSubManager();
        try {
            for (Architecture.Stage s : architecture.stages()) {
                load(s.name(), s.layers(), tensors, where);
            }
            for (Architecture.Head h : architecture.heads()) {
                load(h.name(), h.layers(), tensors, where);
            }
            check(where);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Builds the network from {@code tensors}, named as the architecture names them.
     *
     * @param where what the tensors were read from, for messages (e.g. the weights file)
     * @throws IllegalArgumentException naming the tensor or layer, if a tensor is missing or has
     *     another shape than the architecture says, or the layers do not fit the input shape
     */
    public static ExportedNetwork of(Architecture architecture, Map<String, Tensor> tensors, NDManager parent,
            String where) {
        return new ExportedNetwork(architecture, tensors, parent, where);
    }

    /** The tensors of a bound zoo network, copied to the heap in the order they are stored. */
    public static Map<String, Tensor> tensorsOf(Architecture.Bound bound) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        bound.tensors().forEach((name, array) -> out.put(name,
                new Tensor(array.getShape().getShape(), array.toFloatArray())));
        return out;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** The shape of one input sample. */
    public long[] sampleShape() {
        return architecture.inputShape().stream().mapToLong(Long::longValue).toArray();
    }

    /** Logits {@code [N, classes]} of a batch {@code [N, …inputShape]}, in inference mode; in the input's manager. */
    public NDArray forward(NDArray input) {
        return forward(input, null);
    }

    /**
     * Logits of token ids {@code input} {@code [N, L]} under their attention mask {@code mask}
     * {@code [N, L]} (1 a real token, 0 padding), which the text layers read; null: {@code id != 0}.
     */
    public NDArray forward(NDArray input, NDArray mask) {
        return run(input, mask, false).get(Outputs.LOGITS);
    }

    /** Every stage's and head's output, in order (logits included); arrays in the input's manager. */
    public Map<String, NDArray> forwardTaps(NDArray input) {
        return forwardTaps(input, null);
    }

    /** {@link #forwardTaps(NDArray)} of token ids under their attention mask, as {@link #forward(NDArray, NDArray)}. */
    public Map<String, NDArray> forwardTaps(NDArray input, NDArray mask) {
        return run(input, mask, true);
    }

    private Map<String, NDArray> run(NDArray input, NDArray mask, boolean heads) {
        ai.djl.ndarray.NDList in = mask == null ? new ai.djl.ndarray.NDList(input) : new ai.djl.ndarray.NDList(input, mask);
        Map<String, NDArray> taps = new LinkedHashMap<>();
        NDArray x = input;
        for (Architecture.Stage s : architecture.stages()) {
            x = apply(s.layers(), x, in);
            taps.put(s.name(), x);
        }
        if (heads) {
            for (Architecture.Head h : architecture.heads()) {
                taps.put(h.name(), apply(h.layers(), taps.get(h.source()), in));
            }
        }
        return taps;
    }

    /**
     * Applies {@code layers} to {@code x}; {@code input} is the network's input: the token ids and,
     * when given, their attention mask, which a masked pooling and an n-gram bag read.
     */
    private NDArray apply(List<Architecture.Layer> layers, NDArray x, ai.djl.ndarray.NDList input) {
        for (Architecture.Layer l : layers) {
            x = apply(l, x, input);
        }
        return x;
    }

    private NDArray apply(Architecture.Layer layer, NDArray x, ai.djl.ndarray.NDList input) {
        if (layer instanceof Architecture.Conv2d c) {
            return ai.djl.nn.convolutional.Conv2d.conv2d(x, weights.get(c.weight()),
                    c.bias() == null ? null : weights.get(c.bias()), shape(c.stride()), shape(c.padding()),
                    shape(c.dilation()), c.groups()).singletonOrThrow();
        }
        if (layer instanceof Architecture.BatchNorm b) {
            return ai.djl.nn.norm.BatchNorm.batchNorm(x, weights.get(b.runningMean()), weights.get(b.runningVar()),
                    weights.get(b.weight()), weights.get(b.bias()), 1, 0.9f, (float) b.eps(), false).singletonOrThrow();
        }
        if (layer instanceof Architecture.Linear l) {
            return ai.djl.nn.core.Linear.linear(x, weights.get(l.weight()), l.bias() == null ? null : weights.get(l.bias()))
                    .singletonOrThrow();
        }
        if (layer instanceof Architecture.Relu) {
            return Activation.relu(x);
        }
        if (layer instanceof Architecture.MaxPool2d p) {
            return Pool.maxPool2d(x, shape(p.kernel()), shape(p.stride()), shape(p.padding()), false);
        }
        if (layer instanceof Architecture.GlobalAvgPool2d) {
            return Pool.globalAvgPool2d(x).reshape(x.getShape().get(0), x.getShape().get(1));
        }
        if (layer instanceof Architecture.Flatten) {
            return x.reshape(x.getShape().get(0), -1);
        }
        if (layer instanceof Architecture.Dropout) {
            return x; // inference
        }
        if (layer instanceof Architecture.Residual r) {
            return apply(r.main(), x, input).add(apply(r.shortcut(), x, input));
        }
        if (layer instanceof Architecture.TokenEmbedding e) {
            return TokenBlocks.embed(x, weights.get(e.weight()));
        }
        if (layer instanceof Architecture.Conv1d c) {
            return ai.djl.nn.convolutional.Conv1d.conv1d(x, weights.get(c.weight()),
                    c.bias() == null ? null : weights.get(c.bias()), new Shape(c.stride()), new Shape(c.padding()),
                    new Shape(c.dilation()), 1).singletonOrThrow();
        }
        if (layer instanceof Architecture.MaskedMaxPool1d) {
            return TokenBlocks.maskedMax(x, TokenBlocks.mask(input));
        }
        if (layer instanceof Architecture.NgramBag b) {
            return TokenBlocks.bag(x, TokenBlocks.mask(input), weights.get(b.weight()), b.buckets(), b.multiplier());
        }
        throw new IllegalStateException("unknown layer " + layer);
    }

    private static Shape shape(List<Integer> dims) {
        return new Shape(dims.stream().mapToLong(Integer::longValue).toArray());
    }

    private void load(String prefix, List<Architecture.Layer> layers, Map<String, Tensor> tensors,
            String where) {
        for (int i = 0; i < layers.size(); i++) {
            String at = prefix + "." + i;
            Architecture.Layer l = layers.get(i);
            if (l instanceof Architecture.Conv2d c) {
                require(at, c.in() != null && c.out() != null && c.groups() >= 1 && c.in() % c.groups() == 0
                        && size(c.kernel()) && size(c.stride()) && size(c.padding()) && size(c.dilation()),
                        "conv2d needs in, out, groups dividing in, and kernel, stride, padding, dilation of 2 values each");
                tensor(tensors, c.weight(), where, c.out(), c.in() / c.groups(), c.kernel().get(0), c.kernel().get(1));
                if (c.bias() != null) {
                    tensor(tensors, c.bias(), where, c.out());
                }
            } else if (l instanceof Architecture.BatchNorm b) {
                require(at, b.channels() != null && b.eps() > 0, "batchnorm needs channels and eps > 0");
                for (String t : List.of(b.weight(), b.bias(), b.runningMean(), b.runningVar())) {
                    tensor(tensors, t, where, b.channels());
                }
            } else if (l instanceof Architecture.Linear lin) {
                require(at, lin.in() != null && lin.out() != null, "linear needs in and out");
                tensor(tensors, lin.weight(), where, lin.out(), lin.in());
                if (lin.bias() != null) {
                    tensor(tensors, lin.bias(), where, lin.out());
                }
            } else if (l instanceof Architecture.MaxPool2d p) {
                require(at, size(p.kernel()) && size(p.stride()) && size(p.padding()),
                        "maxpool2d needs kernel, stride and padding of 2 values each");
            } else if (l instanceof Architecture.Residual r) {
                load(at + ".main", r.main(), tensors, where);
                load(at + ".shortcut", r.shortcut(), tensors, where);
            } else if (l instanceof Architecture.TokenEmbedding e) {
                require(at, e.rows() != null && e.rows() >= 1 && e.dim() != null, "tokenembedding needs rows >= 1 and dim");
                tensor(tensors, e.weight(), where, e.rows(), e.dim());
            } else if (l instanceof Architecture.Conv1d c) {
                require(at, c.in() != null && c.out() != null && c.kernel() >= 1 && c.stride() >= 1 && c.padding() >= 0
                        && c.dilation() >= 1, "conv1d needs in, out, kernel >= 1, stride >= 1, padding >= 0, dilation >= 1");
                tensor(tensors, c.weight(), where, c.out(), c.in(), c.kernel());
                if (c.bias() != null) {
                    tensor(tensors, c.bias(), where, c.out());
                }
            } else if (l instanceof Architecture.NgramBag b) {
                require(at, b.buckets() != null && b.buckets() >= 1 && b.dim() != null, "ngrambag needs buckets >= 1 and dim");
                tensor(tensors, b.weight(), where, b.buckets(), b.dim());
            }
        }
    }

    private static boolean size(List<Integer> dims) {
        return dims != null && dims.size() == 2 && dims.stream().allMatch(d -> d != null && d >= 0);
    }

    private static void require(String at, boolean ok, String rule) {
        if (!ok) {
            throw new IllegalArgumentException("layer " + at + ": " + rule);
        }
    }

    private void tensor(Map<String, Tensor> tensors, String name, String where, long... shape) {
        if (name == null) {
            throw new IllegalArgumentException("a layer names no tensor where it needs one (expected shape "
                    + Arrays.toString(shape) + ")");
        }
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(where + " has no tensor '" + name + "'");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(where + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but the architecture needs " + Arrays.toString(shape));
        }
        if (!weights.containsKey(name)) {
            weights.put(name, manager.create(t.data(), new Shape(shape)));
        }
    }

    /** One pass over a blank sample: the layers must fit the input shape and end in {@code numClasses} logits. */
    private void check(String where) {
        long[] sample = sampleShape();
        long[] dims = new long[sample.length + 1];
        dims[0] = 1;
        System.arraycopy(sample, 0, dims, 1, sample.length);
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> out = run(scope.zeros(new Shape(dims), DataType.FLOAT32), null, true);
            Shape logits = out.get(Outputs.LOGITS).getShape();
            if (!logits.equals(new Shape(1, architecture.numClasses()))) {
                throw new IllegalArgumentException("the network of " + where + " gives logits of shape " + logits
                        + " for one sample, not [1, " + architecture.numClasses() + "]");
            }
        } catch (ai.djl.engine.EngineException e) {
            throw new IllegalArgumentException("the layers do not fit the input shape " + Arrays.toString(sample)
                    + " (" + where + "): " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}

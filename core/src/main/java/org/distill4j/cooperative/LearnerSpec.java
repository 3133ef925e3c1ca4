package org.distill4j.cooperative;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.distill4j.model.CnnSpec;
import org.distill4j.model.MlpSpec;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.TrainSpec;

/**
 * One learner of a cooperative run, as written in YAML:
 * {@code {name: tree, kind: tree, view: {type: summary}, depth: 8}}.
 *
 * @param name unique among the learners
 * @param kind {@code tree} (Tribuo CART), {@code logistic} (Tribuo SGD logistic regression),
 *     {@code mlp} or {@code cnn} (zoo networks trained by the loop)
 * @param view its view of the shared space (default {@code pixels})
 * @param depth tree: maximum depth (default 8)
 * @param epochs logistic, mlp, cnn: passes over the data (default 5 / 3 / 3)
 * @param lr logistic: AdaGrad's rate (default 0.5); mlp, cnn: SGD's (default 0.05)
 * @param hidden mlp: hidden widths (default [128]); cnn: the dense layer's width (first value, default 64)
 * @param channels cnn: channels per stage (default [8, 16])
 * @param batchSize mlp, cnn (default 64)
 */
public record LearnerSpec(String name, String kind, View view, Integer depth, Integer epochs, Double lr,
        List<Integer> hidden, List<Integer> channels, Integer batchSize) {
    public static final List<String> KINDS = List.of("tree", "logistic", "mlp", "cnn");

    public LearnerSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("learners: every learner needs a name");
        }
        if (kind == null || !KINDS.contains(kind)) {
            throw new IllegalArgumentException("learners." + name + ".kind: must be one of " + KINDS + " (got " + kind + ")");
        }
        view = view == null ? View.pixels() : view;
        depth = depth == null ? 8 : depth;
        epochs = epochs == null ? (kind.equals("logistic") ? 5 : 3) : epochs;
        lr = lr == null ? (kind.equals("logistic") ? 0.5 : 0.05) : lr;
        batchSize = batchSize == null ? 64 : batchSize;
        if (depth < 1 || depth > 64) {
            throw new IllegalArgumentException("learners." + name + ".depth: must be in [1, 64] (got " + depth + ")");
        }
        if (epochs < 1 || epochs > 1000) {
            throw new IllegalArgumentException("learners." + name + ".epochs: must be in [1, 1000] (got " + epochs + ")");
        }
        if (!(lr > 0 && lr <= 10)) {
            throw new IllegalArgumentException("learners." + name + ".lr: must be in (0, 10] (got " + lr + ")");
        }
        if (hidden != null && (hidden.isEmpty() || hidden.stream().anyMatch(h -> h == null || h < 1))) {
            throw new IllegalArgumentException("learners." + name + ".hidden: widths ≥ 1 (got " + hidden + ")");
        }
    }

    /** The learner, for instances of {@code sharedShape}; networks live in {@code root}. */
    public Learner create(long[] sharedShape, int numClasses, NDManager root) {
        long[] shape;
        try {
            shape = view.shape(sharedShape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("learners." + name + "." + e.getMessage(), e);
        }
        TrainSpec train = new TrainSpec(epochs, batchSize, new OptimizerSpec.Sgd(lr, null, null), null);
        return switch (kind) {
            case "tree" -> new TribuoLearner(TribuoLearner.Kind.TREE, numClasses, depth, 1, 1);
            case "logistic" -> new TribuoLearner(TribuoLearner.Kind.LOGISTIC, numClasses, 1, epochs, lr);
            case "mlp" -> new NetworkLearner(name, new MlpSpec(hidden == null ? List.of(128) : hidden, 0.0), train,
                    flat(shape), numClasses, root);
            default -> {
                if (shape.length != 3) {
                    throw new IllegalArgumentException("learners." + name + ": a cnn needs an image view (pixels or "
                            + "downsample), not " + view.type());
                }
                yield new NetworkLearner(name, new CnnSpec(channels == null ? List.of(8, 16) : channels,
                        hidden == null ? 64 : hidden.get(0), false, 0.0), train, shape, numClasses, root);
            }
        };
    }

    private static long[] flat(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return new long[] {n};
    }
}

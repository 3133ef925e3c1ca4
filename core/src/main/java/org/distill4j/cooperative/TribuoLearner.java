package org.distill4j.cooperative;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.Trainer;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.dtree.CARTClassificationTrainer;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * A Tribuo learner: a CART decision tree ({@code tribuo-classification-tree}) or a logistic
 * regression trained by SGD with AdaGrad ({@code tribuo-classification-sgd}).
 *
 * <p>Tribuo's classifiers train on hard labels; a soft target {@code t} reaches them as <em>one
 * weighted example per class</em>: the row is repeated with label {@code c} and example weight
 * {@code t_c}, for every class with {@code t_c ≥ 1e-3} (the rest, at most 1e-3 each, are dropped).
 * For the logistic regression this is exact: its weighted log-loss {@code Σ_c t_c·(−log p_c)}
 * is the soft-target cross-entropy. For the tree, the weighted class counts of a leaf are the
 * sums of the targets that reach it, so its leaf distribution is the mean target (weighted Gini
 * impurity). A real row's one-hot target is one example of weight 1, as usual.
 */
public final class TribuoLearner implements Learner {
    /** Classes whose target mass is below this are not repeated. */
    static final double MIN_WEIGHT = 1e-3;

    /** Which Tribuo classifier. */
    public enum Kind { TREE, LOGISTIC }

    private final Kind kind;
    private final int numClasses;
    private final int depth;
    private final int epochs;
    private final double lr;
    private String[] names;
    private Model<Label> model;

    /**
     * @param depth the tree's maximum depth (tree only)
     * @param epochs passes over the data (logistic only)
     * @param lr AdaGrad's learning rate (logistic only)
     */
    public TribuoLearner(Kind kind, int numClasses, int depth, int epochs, double lr) {
        this.kind = kind;
        this.numClasses = numClasses;
        this.depth = depth;
        this.epochs = epochs;
        this.lr = lr;
    }

    @Override
    public void fit(float[][] rows, float[][] targets, long seed) {
        if (rows.length == 0 || rows.length != targets.length) {
            throw new IllegalArgumentException("fit: " + rows.length + " rows and " + targets.length + " targets");
        }
        names = featureNames(rows[0].length);
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> data = new MutableDataset<>(new SimpleDataSourceProvenance("cooperative rows", labels),
                labels);
        for (int i = 0; i < rows.length; i++) {
            for (Map.Entry<Integer, Float> e : weighted(targets[i]).entrySet()) {
                ArrayExample<Label> ex = new ArrayExample<>(new Label(Integer.toString(e.getKey())), names,
                        toDouble(rows[i]));
                ex.setWeight(e.getValue());
                data.add(ex);
            }
        }
        Trainer<Label> trainer = switch (kind) {
            // minimum child weight 1 (Tribuo's default is 5, too coarse for a few hundred rows)
            case TREE -> new CARTClassificationTrainer(depth, 1f, 0f, 1f, false,
                    new org.tribuo.classification.dtree.impurity.GiniIndex(), seed);
            case LOGISTIC -> new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(lr, 0.1), epochs, -1, 1, seed);
        };
        model = trainer.train(data);
    }

    /** The examples a target becomes: class → weight, classes under {@link #MIN_WEIGHT} left out. */
    static Map<Integer, Float> weighted(float[] target) {
        Map<Integer, Float> out = new java.util.LinkedHashMap<>();
        for (int c = 0; c < target.length; c++) {
            if (target[c] >= MIN_WEIGHT) {
                out.put(c, target[c]);
            }
        }
        return out;
    }

    @Override
    public float[][] predict(float[][] rows) {
        if (model == null) {
            throw new IllegalStateException(describe() + ": predict before fit");
        }
        List<Example<Label>> examples = new ArrayList<>(rows.length);
        for (float[] r : rows) {
            examples.add(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, names, toDouble(r)));
        }
        List<Prediction<Label>> predictions = model.predict(examples);
        float[][] out = new float[rows.length][numClasses];
        for (int i = 0; i < rows.length; i++) {
            double sum = 0;
            for (Map.Entry<String, Label> e : predictions.get(i).getOutputScores().entrySet()) {
                double s = Math.max(0, e.getValue().getScore());
                out[i][Integer.parseInt(e.getKey())] = (float) s;
                sum += s;
            }
            for (int c = 0; c < numClasses; c++) {
                out[i][c] = sum > 0 ? (float) (out[i][c] / sum) : 1f / numClasses;
            }
        }
        return out;
    }

    @Override
    public String describe() {
        return kind == Kind.TREE ? "tribuo tree (CART, depth " + depth + ")"
                : "tribuo logistic regression (SGD AdaGrad lr " + lr + ", " + epochs + " epochs)";
    }

    private static String[] featureNames(int n) {
        String[] out = new String[n];
        for (int k = 0; k < n; k++) {
            out[k] = String.format("f%05d", k);
        }
        return out;
    }

    private static double[] toDouble(float[] r) {
        double[] d = new double[r.length];
        for (int k = 0; k < r.length; k++) {
            d[k] = r[k];
        }
        return d;
    }
}

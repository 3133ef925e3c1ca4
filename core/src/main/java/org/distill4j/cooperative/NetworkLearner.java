package org.distill4j.cooperative;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.distill4j.data.Batch;
import org.distill4j.data.Dataset;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.metric.Predictions;
import org.distill4j.model.ModelSpec;
import org.distill4j.model.Network;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;
import org.distill4j.train.Seeds;
import org.distill4j.train.SoloPhase;
import org.distill4j.train.TrainListener;
import org.distill4j.train.TrainSpec;

/**
 * A zoo network (MLP, CNN …) as a cooperative learner, trained from scratch at every fit by the
 * one training loop ({@link SoloPhase}): its rows' targets are served as a teacher whose logits are
 * {@code log(t + 1e-7)}, and the objective is {@link KdLoss} at {@code T = 1}, {@code α = 1}
 * alone — {@code KL(t ‖ p)}, whose gradient is the soft-target cross-entropy's (for a one-hot
 * target, plain cross-entropy).
 */
public final class NetworkLearner implements Learner {
    private static final float FLOOR = 1e-7f;
    private final String name;
    private final ModelSpec spec;
    private final TrainSpec train;
    private final long[] shape;
    private final int numClasses;
    private final NDManager root;
    private Network net;

    /**
     * @param shape the shape of one row of its view (e.g. {@code [1, 28, 28]} for a CNN)
     * @param root the manager its networks live in (closed by the caller after {@link #close})
     */
    public NetworkLearner(String name, ModelSpec spec, TrainSpec train, long[] shape, int numClasses, NDManager root) {
        this.name = name;
        this.spec = spec;
        this.train = train;
        this.shape = shape.clone();
        this.numClasses = numClasses;
        this.root = root;
        spec.checkInput(this.shape);
    }

    @Override
    public void fit(float[][] rows, float[][] targets, long seed) {
        close();
        Seeds.apply(seed);
        net = Network.create(spec, shape, numClasses, root);
        int[] labels = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            labels[i] = Cooperation.argMax(targets[i]);
        }
        Dataset data = Dataset.of(name, flatten(rows), labels, shape, numClasses);
        try {
            SoloPhase.train(root, TrainListener.NONE, name, net, train, new KdLoss(1, 1), new SoftTargets(targets),
                    data, null, Seeds.derive(seed, "shuffle"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public float[][] predict(float[][] rows) {
        if (net == null) {
            throw new IllegalStateException(name + ": predict before fit");
        }
        Predictions p = Predictions.of(net, Dataset.of(name + "-predict", flatten(rows), new int[rows.length], shape,
                numClasses), root);
        float[][] out = new float[rows.length][numClasses];
        for (int i = 0; i < rows.length; i++) {
            double[] q = p.probabilities(i);
            for (int c = 0; c < numClasses; c++) {
                out[i][c] = (float) q[c];
            }
        }
        return out;
    }

    @Override
    public String describe() {
        return "djl " + spec.describe() + " (" + train.epochs() + " epochs)";
    }

    @Override
    public void close() {
        if (net != null) {
            net.close();
            net = null;
        }
    }

    private float[] flatten(float[][] rows) {
        int w = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * w];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * w, w);
        }
        return flat;
    }

    /** The rows' targets as a teacher's logits, by sample id (ids are row positions). */
    private record SoftTargets(float[][] targets) implements KnowledgeSource {
        @Override
        public Knowledge lookup(Batch batch) {
            int[] ids = batch.ids();
            int k = targets[0].length;
            float[] logits = new float[ids.length * k];
            for (int i = 0; i < ids.length; i++) {
                for (int c = 0; c < k; c++) {
                    logits[i * k + c] = (float) Math.log(targets[ids[i]][c] + FLOOR);
                }
            }
            NDArray z = batch.input().getManager().create(logits, new Shape(ids.length, k));
            return new Knowledge(Outputs.ofLogits(z));
        }

        @Override
        public TapShapes tapShapes() {
            return new TapShapes("targets", Map.of(Outputs.LOGITS, new Shape(targets[0].length)));
        }
    }
}

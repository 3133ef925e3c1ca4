package org.distill4j.metric;

import ai.djl.ndarray.NDManager;
import org.distill4j.data.Batch;
import org.distill4j.data.BatchLoader;
import org.distill4j.data.Dataset;
import org.distill4j.model.InferenceModel;

/**
 * A network's logits over a whole dataset in inference mode, copied to the heap (n × classes,
 * row-major) so every metric is computed independently of the engine, in double precision.
 */
public record Predictions(float[] logits, int classes) {
    private static final int EVAL_BATCH = 500;

    public static Predictions of(InferenceModel net, Dataset data, NDManager root) {
        int classes = net.numClasses();
        float[] out = new float[data.size() * classes];
        BatchLoader loader = new BatchLoader(data, EVAL_BATCH, false, 0, false);
        int offset = 0;
        for (int[] positions : loader.plan(0)) {
            try (NDManager scope = root.newSubManager()) {
                Batch batch = loader.load(scope, positions);
                float[] part = net.infer(batch).logits().toFloatArray();
                System.arraycopy(part, 0, out, offset, part.length);
                offset += part.length;
            }
        }
        return new Predictions(out, classes);
    }

    public int size() {
        return logits.length / classes;
    }

    /** Softmax of row i at temperature 1, in double precision. */
    public double[] probabilities(int i) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[i * classes + c]);
        }
        double[] p = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            p[c] = Math.exp(logits[i * classes + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < classes; c++) {
            p[c] /= sum;
        }
        return p;
    }

    public int argMax(int i) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[i * classes + c] > logits[i * classes + best]) {
                best = c;
            }
        }
        return best;
    }
}

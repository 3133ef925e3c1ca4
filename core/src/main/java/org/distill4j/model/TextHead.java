package org.distill4j.model;

import java.util.Arrays;

/**
 * The classification head of an imported text encoder: multinomial logistic regression on its
 * pooled embeddings, {@code logits = W · (e − μ) / σ + b}, with μ, σ the training embeddings'
 * per-dimension mean and standard deviation. The encoder stays frozen; only {@code W, b} are
 * fitted, by {@link #fit}: the L2-regularised mean cross-entropy (λ = {@value #L2}) minimised by
 * full-batch gradient descent with Nesterov momentum, step 1/L with L = ½·λ_max(X̃ᵀX̃/N) + λ (the
 * curvature bound of softmax cross-entropy; λ_max by power iteration), {@value #STEPS} steps from
 * zero. The problem is convex, so the result depends on the data only (no seed). This is a
 * convex fit of a frozen feature's linear read-out (as scikit-learn's LogisticRegression on
 * sentence embeddings), not a network training loop: the run's Loop trains the students.
 *
 * @param w weights {@code [K, H]}
 * @param b biases {@code [K]}
 * @param mean embedding means {@code [H]}
 * @param std embedding standard deviations {@code [H]}
 * @param trainDigest the digest of the data it was fitted on ("untrained": not fitted)
 */
public record TextHead(float[] w, float[] b, float[] mean, float[] std, String trainDigest) {
    /** L2 weight of the fit. */
    public static final double L2 = 1e-4;
    /** Gradient steps of the fit. */
    public static final int STEPS = 600;

    /** Zero weights: uniform answers until fitted. */
    static TextHead untrained(int numClasses) {
        return new TextHead(new float[0], new float[numClasses], new float[0], new float[0], "untrained");
    }

    int numClasses() {
        return b.length;
    }

    String digest() {
        return "logreg,l2=" + L2 + ",steps=" + STEPS + ",on=" + trainDigest;
    }

    /** Logits {@code [n, K]} of embeddings {@code x} ({@code [n, h]}). */
    float[] apply(float[] x, int n, int h) {
        int k = b.length;
        float[] out = new float[n * k];
        if (w.length == 0) {
            return out;
        }
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < k; c++) {
                double z = b[c];
                for (int j = 0; j < h; j++) {
                    z += w[c * h + j] * (x[i * h + j] - mean[j]) / std[j];
                }
                out[i * k + c] = (float) z;
            }
        }
        return out;
    }

    double accuracy(float[] x, int[] labels, int n, int h) {
        float[] z = apply(x, n, h);
        int k = b.length;
        int right = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) {
                best = z[i * k + c] > z[i * k + best] ? c : best;
            }
            right += best == labels[i] ? 1 : 0;
        }
        return (double) right / n;
    }

    /** Fits the head on embeddings {@code x} ({@code [n, h]}) with labels in {@code [0, k)}. */
    static TextHead fit(float[] x, int[] labels, int n, int h, int k, String trainDigest) {
        float[] mean = new float[h];
        float[] std = new float[h];
        for (int j = 0; j < h; j++) {
            double s = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                s += x[i * h + j];
            }
            double m = s / n;
            for (int i = 0; i < n; i++) {
                double d = x[i * h + j] - m;
                sq += d * d;
            }
            mean[j] = (float) m;
            std[j] = (float) Math.max(Math.sqrt(sq / n), 1e-6);
        }
        int d = h + 1; // standardised features and a constant 1 for the bias
        double[] xs = new double[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < h; j++) {
                xs[i * d + j] = (x[i * h + j] - mean[j]) / std[j];
            }
            xs[i * d + h] = 1;
        }
        double lipschitz = 0.5 * maxEigen(xs, n, d) + L2;
        double step = 1 / lipschitz;
        double[] theta = new double[k * d];
        double[] prev = new double[k * d];
        double[] look = new double[k * d];
        double[] grad = new double[k * d];
        double[] p = new double[k];
        for (int t = 1; t <= STEPS; t++) {
            double momentum = (t - 1.0) / (t + 2.0);
            for (int q = 0; q < look.length; q++) {
                look[q] = theta[q] + momentum * (theta[q] - prev[q]);
            }
            Arrays.fill(grad, 0);
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < k; c++) {
                    double z = 0;
                    for (int j = 0; j < d; j++) {
                        z += look[c * d + j] * xs[i * d + j];
                    }
                    p[c] = z;
                    max = Math.max(max, z);
                }
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    p[c] = Math.exp(p[c] - max);
                    sum += p[c];
                }
                for (int c = 0; c < k; c++) {
                    double g = (p[c] / sum - (labels[i] == c ? 1 : 0)) / n;
                    for (int j = 0; j < d; j++) {
                        grad[c * d + j] += g * xs[i * d + j];
                    }
                }
            }
            System.arraycopy(theta, 0, prev, 0, theta.length);
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < d; j++) {
                    int q = c * d + j;
                    double reg = j < h ? L2 * look[q] : 0;
                    theta[q] = look[q] - step * (grad[q] + reg);
                }
            }
        }
        float[] w = new float[k * h];
        float[] b = new float[k];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < h; j++) {
                w[c * h + j] = (float) theta[c * d + j];
            }
            b[c] = (float) theta[c * d + h];
        }
        return new TextHead(w, b, mean, std, trainDigest);
    }

    /** The largest eigenvalue of XᵀX/n by power iteration (deterministic start). */
    private static double maxEigen(double[] xs, int n, int d) {
        double[] v = new double[d];
        Arrays.fill(v, 1 / Math.sqrt(d));
        double lambda = 1;
        for (int it = 0; it < 30; it++) {
            double[] u = new double[d];
            for (int i = 0; i < n; i++) {
                double dot = 0;
                for (int j = 0; j < d; j++) {
                    dot += xs[i * d + j] * v[j];
                }
                for (int j = 0; j < d; j++) {
                    u[j] += dot * xs[i * d + j] / n;
                }
            }
            double norm = 0;
            for (double e : u) {
                norm += e * e;
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return 1;
            }
            lambda = norm;
            for (int j = 0; j < d; j++) {
                v[j] = u[j] / norm;
            }
        }
        return lambda;
    }
}

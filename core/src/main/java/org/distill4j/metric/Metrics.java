package org.distill4j.metric;

/**
 * Accuracy, fidelity (Stanton et al. 2021, "Does Knowledge Distillation Really Work?": top-1
 * agreement and predictive KL(teacher ‖ student) at T=1) and calibration, from predictions on
 * the heap.
 */
public final class Metrics {
    private Metrics() {}

    public static double accuracy(Predictions p, int[] labels) {
        check(p.size() == labels.length, "predictions and labels differ in count");
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += p.argMax(i) == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }

    /** Mean negative log-likelihood of the true labels. */
    public static double crossEntropy(Predictions p, int[] labels) {
        double sum = 0;
        for (int i = 0; i < labels.length; i++) {
            sum -= Math.log(Math.max(p.probabilities(i)[labels[i]], 1e-300));
        }
        return sum / labels.length;
    }

    /** Fraction of samples where teacher and student predict the same class. */
    public static double agreement(Predictions teacher, Predictions student) {
        check(teacher.size() == student.size(), "teacher and student predictions differ in count");
        int same = 0;
        for (int i = 0; i < teacher.size(); i++) {
            same += teacher.argMax(i) == student.argMax(i) ? 1 : 0;
        }
        return (double) same / teacher.size();
    }

    /** {@code KL(p_t ‖ p_s)} at T=1, summed over classes, averaged over samples. */
    public static double klDivergence(Predictions teacher, Predictions student) {
        check(teacher.size() == student.size(), "teacher and student predictions differ in count");
        double sum = 0;
        for (int i = 0; i < teacher.size(); i++) {
            double[] pt = teacher.probabilities(i);
            double[] ps = student.probabilities(i);
            for (int c = 0; c < pt.length; c++) {
                if (pt[c] > 0) {
                    sum += pt[c] * (Math.log(pt[c]) - Math.log(Math.max(ps[c], 1e-300)));
                }
            }
        }
        return sum / teacher.size();
    }

    /**
     * Expected calibration error with equal-width confidence bins (Guo et al. 2017):
     * {@code Σ_b (n_b/n)·|accuracy_b − confidence_b|}.
     */
    public static double expectedCalibrationError(Predictions p, int[] labels, int bins) {
        double[] conf = new double[bins];
        double[] acc = new double[bins];
        int[] count = new int[bins];
        for (int i = 0; i < labels.length; i++) {
            double[] probs = p.probabilities(i);
            int pred = p.argMax(i);
            int b = Math.min((int) (probs[pred] * bins), bins - 1);
            conf[b] += probs[pred];
            acc[b] += pred == labels[i] ? 1 : 0;
            count[b]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                ece += Math.abs(acc[b] - conf[b]) / labels.length;
            }
        }
        return ece;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}

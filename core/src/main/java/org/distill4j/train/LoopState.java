package org.distill4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a running phase stands, as its listeners see it: the position, each participant's
 * running sums and finished epochs, and what validation measured at the epoch end.
 */
public final class LoopState {
    private final Phase phase;
    private final int stepsPerEpoch;
    private final Map<String, Sums> sums = new LinkedHashMap<>();
    private final Map<String, double[]> validation = new LinkedHashMap<>();
    private final Map<String, Map<String, Double>> fidelity = new LinkedHashMap<>();
    private int epoch;
    private int batch;
    private double lr;

    LoopState(Phase phase, Map<String, TrainingProgress> start) {
        this.phase = phase;
        this.stepsPerEpoch = phase.stepsPerEpoch();
        TrainingProgress first = null;
        for (Participant p : phase.participants()) {
            if (p.trainable()) {
                TrainingProgress tp = start == null ? null : start.get(p.name());
                if (start != null && tp == null) {
                    throw new IllegalArgumentException(phase.name() + ": the checkpoint has no progress for "
                            + p.name() + " (it has " + start.keySet() + "); resume with the original config");
                }
                tp = tp == null ? TrainingProgress.start() : tp;
                if (first == null) {
                    first = tp;
                } else if (tp.epoch() != first.epoch() || tp.batch() != first.batch()) {
                    throw new IllegalArgumentException(phase.name() + ": participants saved at different positions");
                }
                sums.put(p.name(), new Sums(tp));
            }
        }
        if (first == null) {
            throw new IllegalArgumentException(phase.name() + ": no trainable participant");
        }
        epoch = first.epoch();
        batch = first.batch();
    }

    public Phase phase() {
        return phase;
    }

    /** The epoch in progress (0-based); equal to the phase's epochs once it has ended. */
    public int epoch() {
        return epoch;
    }

    /** The next batch of the epoch in progress. */
    public int batch() {
        return batch;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Steps done in the phase. */
    public long stepsDone() {
        return (long) epoch * stepsPerEpoch + batch;
    }

    /** The learning rate of the last update. */
    public double lr() {
        return lr;
    }

    /** Each trainable participant's progress at the current position (what a checkpoint saves). */
    public Map<String, TrainingProgress> progress() {
        Map<String, TrainingProgress> out = new LinkedHashMap<>();
        sums.forEach((name, s) -> out.put(name, s.progress(epoch, batch)));
        return out;
    }

    /** Records the validation of one participant at this epoch's end; its time counts as its training time. */
    public void validated(String participant, double loss, double accuracy, double seconds) {
        validation.put(participant, new double[] {loss, accuracy});
        sums.get(participant).seconds += seconds;
    }

    /** Records one participant's fidelity to its teacher at this epoch's end ({@link EpochFidelity}); its time counts as training time. */
    public void fidelity(String participant, Map<String, Double> values, double seconds) {
        fidelity.put(participant, Map.copyOf(values));
        sums.get(participant).seconds += seconds;
    }

    /** Mean validation accuracy of the epoch just ended over the validated participants (NaN mid-epoch). */
    public double validationAccuracy() {
        if (validation.isEmpty()) {
            return Double.NaN;
        }
        return validation.values().stream().mapToDouble(v -> v[1]).sum() / validation.size();
    }

    void position(int e, int b) {
        epoch = e;
        batch = b;
    }

    void add(Participant p, UpdateResult r, double lr, double seconds) {
        this.lr = lr;
        Sums s = sums.get(p.name());
        s.lastLr = lr;
        s.add(r, seconds);
    }

    List<EpochSummary> endEpoch(int e) {
        List<EpochSummary> out = new ArrayList<>();
        for (var entry : sums.entrySet()) {
            double[] v = validation.getOrDefault(entry.getKey(), new double[] {Double.NaN, Double.NaN});
            out.add(entry.getValue().endEpoch(entry.getKey(), e, v[0], v[1], fidelity.get(entry.getKey())));
        }
        return out;
    }

    void clearValidation() {
        validation.clear();
        fidelity.clear();
    }

    /** What one update did, for the running sums. */
    record UpdateResult(double loss, Map<String, Double> terms, int correct, int samples, boolean skipped) {}

    /** A participant's running sums of the epoch in progress, and its finished epochs. */
    private static final class Sums {
        double lossSum;
        final Map<String, Double> termSums;
        long correct;
        long seen;
        int skipped;
        final List<EpochSummary> history;
        double seconds;
        double lastLr;

        Sums(TrainingProgress p) {
            lossSum = p.lossSum();
            termSums = new LinkedHashMap<>(p.termSums());
            correct = p.correct();
            seen = p.seen();
            skipped = p.skippedBatches();
            history = new ArrayList<>(p.history());
            seconds = p.seconds();
            // a resumed participant idle for the rest of the epoch (DiSK's student in a guide epoch)
            // reports the rate of its last step, as in the uninterrupted run
            lastLr = history.isEmpty() ? 0 : history.get(history.size() - 1).lr();
        }

        void add(UpdateResult r, double stepSeconds) {
            if (r.skipped()) {
                skipped++;
            } else {
                lossSum += r.loss() * r.samples();
                r.terms().forEach((name, v) -> termSums.merge(name, v * r.samples(), Double::sum));
                correct += r.correct();
                seen += r.samples();
            }
            seconds += stepSeconds;
        }

        EpochSummary endEpoch(String name, int epoch, double valLoss, double valAcc, Map<String, Double> fidelity) {
            long n = Math.max(seen, 1);
            Map<String, Double> termMeans = new LinkedHashMap<>();
            termSums.forEach((t, v) -> termMeans.put(t, v / n));
            double before = history.stream().mapToDouble(EpochSummary::seconds).sum();
            EpochSummary summary = new EpochSummary(name, epoch + 1, lastLr, lossSum / n, termMeans,
                    (double) correct / n, valLoss, valAcc, seconds - before,
                    fidelity == null ? null : new java.util.TreeMap<>(fidelity));
            history.add(summary);
            lossSum = 0;
            termSums.clear();
            correct = 0;
            seen = 0;
            return summary;
        }

        TrainingProgress progress(int epoch, int batch) {
            return new TrainingProgress(epoch, batch, lossSum, termSums, correct, seen, skipped, history, seconds);
        }
    }
}

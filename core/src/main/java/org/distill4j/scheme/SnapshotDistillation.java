package org.distill4j.scheme;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.distill4j.data.Batch;
import org.distill4j.knowledge.Knowledge;
import org.distill4j.knowledge.KnowledgeSource;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.LossValue;
import org.distill4j.loss.WeightedSum;
import org.distill4j.loss.response.KdLoss;
import org.distill4j.model.Outputs;
import org.distill4j.model.TapShapes;

/**
 * The cycles of snapshot distillation (Yang et al. 2019; see {@link SnapshotScheme}) for the
 * one training loop: the cyclic learning rate, where cycles start and end, and the teacher
 * of each cycle. It is both the loss (cross-entropy in the first cycle, KD afterwards) and the
 * knowledge source the loop asks for the teacher's outputs: at the start of each epoch it makes
 * sure the source answers with the snapshot that ended the previous cycle, loading it when the
 * cycle changes (also when a run resumes in the middle of a cycle).
 *
 * <p>Cycle {@code c} (1-based) covers epochs {@code [⌊(c−1)·E/K⌋, ⌊c·E/K⌋)} of {@code E}
 * epochs and {@code K} cycles.
 */
public final class SnapshotDistillation implements DistillationLoss, KnowledgeSource {
    /** Where the snapshots come from. */
    @FunctionalInterface
    public interface Snapshots {
        /** The knowledge of the snapshot saved at the end of {@code cycle} (1-based). */
        KnowledgeSource after(int cycle) throws IOException;
    }

    private final int epochs;
    private final int cycles;
    private final TapShapes studentShapes;
    private final Snapshots snapshots;
    private final DistillationLoss kd;
    private final DistillationLoss ce = WeightedSum.crossEntropy();
    private int cycle = -1;
    private KnowledgeSource teacher;

    /** @param studentShapes the student's tap shapes: every snapshot has them */
    public SnapshotDistillation(int epochs, int cycles, double temperature, double alpha, TapShapes studentShapes,
            Snapshots snapshots) {
        if (cycles < 1 || epochs < cycles) {
            throw new IllegalArgumentException("snapshot needs 1 ≤ cycles ≤ epochs (got " + cycles + " cycles, "
                    + epochs + " epochs)");
        }
        this.epochs = epochs;
        this.cycles = cycles;
        this.studentShapes = studentShapes;
        this.snapshots = snapshots;
        this.kd = new WeightedSum(1 - alpha, new KdLoss(temperature, alpha));
    }

    /** The 0-based epoch at which {@code cycle} (1-based; {@code cycles + 1} gives the end) starts. */
    public static int cycleStart(int cycle, int epochs, int cycles) {
        return (int) ((long) (cycle - 1) * epochs / cycles);
    }

    /** The 1-based cycle a 0-based epoch belongs to. */
    public static int cycleOf(int epoch, int epochs, int cycles) {
        int c = 1;
        while (c < cycles && epoch >= cycleStart(c + 1, epochs, cycles)) {
            c++;
        }
        return c;
    }

    /** The cycle that ends after {@code finishedEpochs} epochs, or 0 if none does there. */
    public static int cycleEndingAt(int finishedEpochs, int epochs, int cycles) {
        for (int c = 1; c <= cycles; c++) {
            if (cycleStart(c + 1, epochs, cycles) == finishedEpochs) {
                return c;
            }
        }
        return 0;
    }

    /**
     * The cyclic cosine rate: within each cycle, from {@code base} at its first step down to
     * {@code minLr} at its end, then back to {@code base} when the next cycle starts.
     */
    public static double rate(double base, double minLr, int epoch, int step, int stepsPerEpoch, int epochs,
            int cycles) {
        int c = cycleOf(epoch, epochs, cycles);
        int start = cycleStart(c, epochs, cycles);
        int length = cycleStart(c + 1, epochs, cycles) - start;
        double t = (epoch - start + (double) step / stepsPerEpoch) / length;
        return minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * t));
    }

    /** The current cycle's teacher: none in the first cycle, else the snapshot that ended the one before. */
    @Override
    public void startEpoch(int epoch, int totalEpochs) {
        int c = cycleOf(epoch, epochs, cycles);
        if (c == cycle) {
            return;
        }
        try {
            teacher = c == 1 ? null : snapshots.after(c - 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cycle = c;
    }

    /** The cycle being trained (1-based; 0 before training starts). */
    public int cycle() {
        return Math.max(cycle, 0);
    }

    @Override
    public Knowledge lookup(Batch batch) {
        return teacher == null ? Knowledge.NONE : teacher.lookup(batch);
    }

    @Override
    public TapShapes tapShapes() {
        return studentShapes;
    }

    @Override
    public LossValue compute(Outputs student, Knowledge knowledge, Batch batch) {
        return knowledge.present() ? kd.compute(student, knowledge, batch) : ce.compute(student, knowledge, batch);
    }
}

package org.distill4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.TrainListener;

/** Shows training as a progress bar (epoch, batch, loss, ETA) on stderr and one line per epoch. */
final class ProgressListener implements TrainListener, AutoCloseable {
    /** Wide enough to blank the bar's line (its rendered length is at most 100). */
    private static final String BLANK = "\r" + " ".repeat(100) + "\r";
    private final PrintStream err;
    private ProgressBar bar;
    private int epochs;
    private int batches;

    ProgressListener(PrintStream err) {
        this.err = err;
    }

    @Override
    public void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {
        this.epochs = epochs;
        this.batches = batchesPerEpoch;
        bar = new ProgressBarBuilder().setTaskName(String.format("%-14s", phase)).setInitialMax((long) epochs * batchesPerEpoch)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(
                        new me.tongfei.progressbar.ConsoleProgressBarConsumer(err)).setMaxRenderedLength(100)
                .continuousUpdate().build();
        if (stepsDone > 0) {
            bar.stepTo(stepsDone);
            err.println(phase + ": resuming at step " + stepsDone);
        }
    }

    @Override
    public void onStep(int epoch, int batch, double loss, double lr) {
        bar.step();
        bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d/%d loss %.4f", epoch + 1, epochs, loss));
    }

    @Override
    public void onEpochEnd(EpochSummary s) {
        bar.pause();
        err.print(BLANK);
        err.println(String.format(Locale.ROOT,
                "%-14s epoch %2d  lr %.4f  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%  (%.0f s)",
                s.phase(), s.epoch(), s.lr(), s.trainLoss(), 100 * s.trainAccuracy(), s.validationLoss(),
                100 * s.validationAccuracy(), s.seconds()));
        bar.resume();
    }

    @Override
    public void onFinish(String phase) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    /** A message on a line of its own: the bar's line is blanked first, and the bar redrawn after. */
    @Override
    public void onMessage(String text) {
        if (bar == null) {
            err.println(text);
            return;
        }
        bar.pause();
        err.print(BLANK);
        err.println(text);
        bar.resume();
    }

    /** Ends the bar's line (if a bar is shown), so what is printed next starts a line of its own. */
    @Override
    public void close() {
        onFinish(null);
    }
}

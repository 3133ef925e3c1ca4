package org.distill4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.TrainListener;

/**
 * Shows training as a progress bar (epoch, batch, loss, ETA) on stderr and one line per epoch.
 * Every other line — a message, a warning, an error — starts on a line of its own: the bar is
 * drawn through {@link Line}, which shares one lock with the messages, so a redraw of the bar
 * (from the library's timer thread) can never land between a message's blanking of the bar's
 * line and its text; and {@link #endOpenLines()} finishes the line of any bar still shown before
 * an error is printed.
 */
final class ProgressListener implements TrainListener, AutoCloseable {
    /** Wide enough to blank the bar's line (its rendered length is at most {@link #WIDTH}). */
    private static final int WIDTH = 100;
    private static final String BLANK = "\r" + " ".repeat(WIDTH) + "\r";
    /** The listeners whose bar may be on screen, so an error can end their line first. */
    private static final Set<ProgressListener> OPEN = ConcurrentHashMap.newKeySet();

    private final PrintStream err;
    /** Where the bar is drawn (package-private: a test draws through it as the library's timer does). */
    final Line line = new Line();
    private ProgressBar bar;
    private int epochs;

    ProgressListener(PrintStream err) {
        this.err = err;
    }

    @Override
    public void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {
        this.epochs = epochs;
        if (stepsDone > 0) {
            onMessage(phase + ": resuming at step " + stepsDone);
        }
        OPEN.add(this);
        bar = new ProgressBarBuilder().setTaskName(String.format("%-14s", phase)).setInitialMax((long) epochs * batchesPerEpoch)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(line)
                .setMaxRenderedLength(WIDTH).continuousUpdate().build();
        if (stepsDone > 0) {
            bar.stepTo(stepsDone);
        }
    }

    @Override
    public void onStep(int epoch, int batch, double loss, double lr) {
        bar.step();
        bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d/%d loss %.4f", epoch + 1, epochs, loss));
    }

    @Override
    public void onEpochEnd(EpochSummary s) {
        onMessage(String.format(Locale.ROOT,
                "%-14s epoch %2d  lr %.4f  train loss %.4f acc %.2f%%  %s  (%.0f s)",
                s.phase(), s.epoch(), s.lr(), s.trainLoss(), 100 * s.trainAccuracy(), s.validationText(), s.seconds()));
    }

    /** Draws the bar a last time and ends its line. */
    @Override
    public void onFinish(String phase) {
        if (bar != null) {
            bar.close(); // the library's last redraw, then Line.close(): the line ends
            bar = null;
        }
        line.end();
        OPEN.remove(this);
    }

    /**
     * A message on a line of its own: the bar's line is blanked first; the bar is drawn again
     * below it at its next update.
     */
    @Override
    public void onMessage(String text) {
        synchronized (line) {
            if (line.shown) {
                err.print(BLANK);
                line.shown = false;
            }
            err.println(text);
            err.flush();
        }
    }

    /** Ends the bar's line (if a bar is shown), so what is printed next starts a line of its own. */
    @Override
    public void close() {
        onFinish(null);
    }

    /**
     * Ends the line of every bar still on screen (a command that failed, or a signal that came,
     * while a bar was shown), so what is printed next starts a line of its own. Safe from any thread.
     */
    static void endOpenLines() {
        for (ProgressListener p : OPEN) {
            p.line.end();
        }
    }

    /**
     * Where the bar is drawn: on {@link #err}, each redraw returning to the start of the line,
     * under the lock messages take. {@link #shown} says whether the bar's line is on screen
     * (unfinished).
     */
    final class Line implements ProgressBarConsumer {
        boolean shown;

        @Override
        public int getMaxRenderedLength() {
            return WIDTH;
        }

        @Override
        public synchronized void accept(String rendered) {
            err.print("\r" + (rendered.length() > WIDTH ? rendered.substring(0, WIDTH) : rendered));
            err.flush();
            shown = true;
        }

        /** Ends the bar's line if it is on screen. */
        synchronized void end() {
            if (shown) {
                err.println();
                err.flush();
                shown = false;
            }
        }

        @Override
        public void close() {
            end();
        }
    }
}

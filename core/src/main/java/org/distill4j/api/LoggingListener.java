package org.distill4j.api;

import java.util.Locale;
import org.distill4j.train.EpochSummary;
import org.distill4j.train.TrainListener;
import org.slf4j.Logger;

/**
 * What {@link Distill} reports when the caller gives no listener: a line per phase start and
 * epoch, and every message, at INFO on the service's SLF4J binding. Steps are not logged.
 */
final class LoggingListener implements TrainListener {
    private final Logger log;

    LoggingListener(Logger log) {
        this.log = log;
    }

    @Override
    public void onStart(String phase, int epochs, int batchesPerEpoch, long stepsDone) {
        if (log.isInfoEnabled()) {
            log.info("{}: {} epochs of {} batches{}", phase, epochs, batchesPerEpoch,
                    stepsDone > 0 ? ", resuming at step " + stepsDone : "");
        }
    }

    @Override
    public void onEpochEnd(EpochSummary s) {
        if (log.isInfoEnabled()) {
            log.info(String.format(Locale.ROOT,
                    "%s epoch %d: lr %.4f, train loss %.4f acc %.2f%%, %s (%.0f s)", s.phase(),
                    s.epoch(), s.lr(), s.trainLoss(), 100 * s.trainAccuracy(), s.validationText(), s.seconds()));
        }
    }

    @Override
    public void onMessage(String text) {
        log.info(text);
    }
}

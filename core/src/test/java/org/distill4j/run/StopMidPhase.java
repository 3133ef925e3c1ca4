package org.distill4j.run;

import org.distill4j.train.StopRequest;
import org.distill4j.train.TrainListener;

/**
 * Asks a run to stop after the {@code step}-th step (1-based, counted over the epochs) of one
 * phase, as a signal would: the loop checkpoints at the next step boundary, mid-epoch, and the
 * run ends with a {@code StoppedException}, so a test can resume it in the same JVM.
 */
final class StopMidPhase implements TrainListener {
    final StopRequest request = new StopRequest();
    private final String phase;
    private final int step;
    private String current;
    private int seen;

    StopMidPhase(String phase, int step) {
        this.phase = phase;
        this.step = step;
    }

    @Override
    public void onStart(String name, int epochs, int batchesPerEpoch, long stepsDone) {
        current = name;
        seen = (int) stepsDone;
    }

    @Override
    public void onStep(int epoch, int batch, double loss, double lr) {
        if (phase.equals(current) && ++seen == step) {
            request.request("test stop in " + phase + " after step " + step);
        }
    }
}

package org.distill4j.train;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.data.Dataset;
import org.distill4j.metric.Metrics;
import org.distill4j.metric.Predictions;

/**
 * Measures one participant's fidelity to its teacher at every epoch end (Stanton et al. 2021:
 * longer optimisation narrows the train fidelity gap): top-1 agreement and {@code KL(p_t ‖ p_s)}
 * at T = 1 on the (unaugmented) training set and the test set, against the teacher's
 * predictions computed once. Recorded in the epoch's {@link EpochSummary#fidelity()} and drawn in
 * the report; asked for with {@code student.fidelityEachEpoch: true} (it costs a pass over both
 * sets each epoch).
 */
public final class EpochFidelity implements LoopListener {
    private final String participant;
    private final Dataset train;
    private final Dataset test;
    private final Predictions teacherOnTrain;
    private final Predictions teacherOnTest;
    private final NDManager root;

    public EpochFidelity(String participant, Dataset train, Dataset test, Predictions teacherOnTrain,
            Predictions teacherOnTest, NDManager root) {
        this.participant = participant;
        this.train = train;
        this.test = test;
        this.teacherOnTrain = teacherOnTrain;
        this.teacherOnTest = teacherOnTest;
        this.root = root;
    }

    @Override
    public void onValidation(LoopState state, int epoch) {
        long t0 = System.nanoTime();
        var net = state.phase().participant(participant).network();
        Predictions onTrain = Predictions.of(net, train, root);
        Predictions onTest = Predictions.of(net, test, root);
        Map<String, Double> f = new LinkedHashMap<>();
        f.put("agreementTrain", Metrics.agreement(teacherOnTrain, onTrain));
        f.put("agreementTest", Metrics.agreement(teacherOnTest, onTest));
        f.put("klTrain", Metrics.klDivergence(teacherOnTrain, onTrain));
        f.put("klTest", Metrics.klDivergence(teacherOnTest, onTest));
        state.fidelity(participant, f, (System.nanoTime() - t0) / 1e9);
    }
}

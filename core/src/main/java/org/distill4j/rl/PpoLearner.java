package org.distill4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.distill4j.loss.LossValue;
import org.distill4j.model.MlpSpec;
import org.distill4j.model.Network;
import org.distill4j.train.CheckpointSlot;
import org.distill4j.train.Feed;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.Update;

/**
 * One PPO learner (Schulman et al. 2017): a Gaussian policy network and a value network, each a
 * {@link Participant} with its own Adam optimizer, acting in its own {@link VectorEnv}. A cycle
 * collects a rollout (batched forward passes, actions sampled in Java from a checkpointed
 * {@link Rng}), then the core's {@code Loop} runs a phase over it: per minibatch, the policy steps
 * on the clipped surrogate and the value network on its squared error. For dual policy
 * distillation it also makes the phase that imitates a peer on its own states.
 *
 * <p>Optimizers start afresh in every phase (the core closes them at a phase's end), so the
 * state to checkpoint between cycles is the weights, the environments and the action sampler.
 */
final class PpoLearner implements Learner {
    private static final String INPUT = org.distill4j.data.Batch.INPUT;

    private final String name;
    private final DpdSpec spec;
    private final long seed;
    private final Network policy;
    private final Network value;
    private final Participant policyP;
    private final Participant valueP;
    private final VectorEnv envs;
    private final Rng actions;
    private final int obs;
    private final int act;
    private Rollout last;

    PpoLearner(String name, DpdSpec spec, NDManager root) {
        this.name = name;
        this.spec = spec;
        this.seed = Seeds.derive(spec.seed(), name);
        Environment probe = Environment.named(spec.env());
        obs = probe.observationSize();
        act = probe.actionSize();
        MlpSpec mlp = new MlpSpec(spec.hidden(), 0.0);
        Seeds.apply(Seeds.derive(seed, "policy init"));
        policy = Network.create(mlp, new long[] {obs}, 2 * act, root);
        Seeds.apply(Seeds.derive(seed, "value init"));
        value = Network.create(mlp, new long[] {obs}, 1, root);
        TrainSpec train = new TrainSpec(spec.ppoEpochs(), spec.batchSize(),
                new OptimizerSpec.Adam(spec.lr(), null, null, 1e-5, null),
                new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null), 0.5, null, null);
        policyP = Participant.learner(name + "-policy", policy, null, train);
        valueP = Participant.learner(name + "-value", value, null, train);
        envs = new VectorEnv(() -> Environment.named(spec.env()), spec.envs(), Seeds.derive(seed, "envs"));
        actions = new Rng(Seeds.derive(seed, "actions"));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Double> finishedReturns() {
        return envs.takeFinished();
    }

    @Override
    public void learn(org.distill4j.train.Loop loop, NDManager root, int cycle) throws IOException {
        last = collect(root);
        loop.run(ppoPhase(last, cycle));
    }

    /** Runs the policy (sampling) for {@code rolloutSteps} steps on every copy. */
    Rollout collect(NDManager root) {
        int n = envs.size();
        int t = spec.rolloutSteps();
        int rows = n * t;
        float[] o = new float[rows * obs];
        float[] a = new float[rows * act];
        float[] logp = new float[rows];
        float[] v = new float[rows];
        float[] r = new float[rows];
        float[] next = new float[rows];
        boolean[] ends = new boolean[rows];
        boolean[] terminal = new boolean[rows];
        double[] step = new double[n * act];
        // one scope for the whole rollout (not one per environment step); each step's arrays are closed at once
        try (NDManager scope = root.newSubManager()) {
            for (int s = 0; s < t; s++) {
                float[] x = envs.observations();
                System.arraycopy(x, 0, o, s * n * obs, x.length);
                float[][] heads = forward(scope, x, n);
                for (int i = 0; i < n; i++) {
                    int k = s * n + i;
                    double[] z = new double[act];
                    double[] ls = new double[act];
                    for (int d = 0; d < act; d++) {
                        z[d] = actions.nextGaussian();
                        ls[d] = GaussianPolicy.clipLogStd(heads[0][i * 2 * act + act + d]);
                        double ad = heads[0][i * 2 * act + d] + Math.exp(ls[d]) * z[d];
                        a[k * act + d] = (float) ad;
                        step[i * act + d] = ad;
                    }
                    logp[k] = (float) GaussianPolicy.logProb(z, ls);
                    v[k] = heads[1][i];
                }
                VectorEnv.Steps st = envs.step(step);
                int truncated = 0;
                for (int i = 0; i < n; i++) {
                    int k = s * n + i;
                    r[k] = (float) (st.rewards()[i] * spec.rewardScale());
                    ends[k] = st.terminated()[i] || st.truncated()[i];
                    terminal[k] = st.terminated()[i];
                    truncated += st.truncated()[i] ? 1 : 0;
                }
                if (truncated > 0) { // bootstrap a time limit from the value of the state it cut off
                    float[] fin = new float[truncated * obs];
                    int j = 0;
                    for (int i = 0; i < n; i++) {
                        if (st.truncated()[i]) {
                            for (int d = 0; d < obs; d++) {
                                fin[j * obs + d] = (float) st.finalObservations()[i][d];
                            }
                            j++;
                        }
                    }
                    float[] fv = values(scope, fin, truncated);
                    j = 0;
                    for (int i = 0; i < n; i++) {
                        if (st.truncated()[i]) {
                            next[s * n + i] = fv[j++];
                        }
                    }
                }
            }
            float[] last = values(scope, envs.observations(), n);
            for (int s = 0; s < t; s++) {
                for (int i = 0; i < n; i++) {
                    int k = s * n + i;
                    if (terminal[k]) {
                        next[k] = 0;
                    } else if (!ends[k]) {
                        next[k] = s + 1 < t ? v[k + n] : last[i];
                    }
                }
            }
        }
        return new Rollout(t, n, obs, act, o, a, logp, v, r, next, ends);
    }

    private float[][] forward(NDManager scope, float[] x, int rows) {
        try (NDArray in = scope.create(x, new Shape(rows, obs))) {
            float[] head = policy.forward(in, false).logits().toFloatArray();
            float[] val = value.forward(in, false).logits().toFloatArray();
            return new float[][] {head, val};
        }
    }

    private float[] values(NDManager scope, float[] x, int rows) {
        try (NDArray in = scope.create(x, new Shape(rows, obs))) {
            return value.forward(in, false).logits().toFloatArray();
        }
    }

    /** Policy means and state values V(s) of this learner on {@code states} (the peer's knowledge for DPD). */
    @Override
    public float[][] actionsAndValues(NDManager root, float[] states, int rows) {
        try (NDManager scope = root.newSubManager()) {
            float[][] hv = forward(scope, states, rows);
            float[] mean = new float[rows * act];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(hv[0], i * 2 * act, mean, i * act, act);
            }
            return new float[][] {mean, hv[1]};
        }
    }

    /** PPO's phase over a rollout: per minibatch, the policy's clipped surrogate, then the value loss. */
    Phase ppoPhase(Rollout r, int cycle) {
        Rollout.Advantages adv = r.gae(spec.gamma(), spec.lambda());
        float[] normalised = normalise(adv.advantages());
        long s = Seeds.derive(seed, "ppo " + cycle);
        TransitionSource data = new TransitionSource(r.size(), spec.batchSize(), s)
                .with(INPUT, r.observations(), obs).with("action", r.actions(), act).with("logp", r.logProbs(), 1)
                .with("advantage", normalised, 1).with("return", adv.returns(), 1);
        Feed feed = Feed.generated("rollout", data, s);
        double eps = spec.clip();
        double ent = spec.entropy();
        String p = policyP.name();
        String v = valueP.name();
        Update policyStep = new Update(p, "rollout", null, step -> {
            NDArray head = step.forward(p, true).logits();
            NDArray surrogate = PpoLoss.clippedSurrogate(GaussianPolicy.logProb(head, step.batch().input("action"), act),
                    step.batch().input("logp"), step.batch().input("advantage"), eps);
            if (ent == 0) {
                return LossValue.of("surrogate", surrogate);
            }
            NDArray bonus = org.distill4j.model.Scalars.mul(GaussianPolicy.entropy(head, act).mean(), -ent);
            return LossValue.of("surrogate", surrogate, "entropy", bonus);
        }, 1);
        Update valueStep = new Update(v, "rollout", null,
                step -> LossValue.of("value", PpoLoss.valueLoss(step.forward(v, true).logits(),
                        step.batch().input("return"))), 1);
        return new Phase(name + "-ppo", List.of(policyP, valueP), List.of(feed),
                (step, epoch, batch) -> List.of(policyStep, valueStep),
                spec.ppoEpochs(), null);
    }

    /**
     * DPD's phase: imitate {@code peer} on the states of this cycle's rollout, each weighted by
     * {@link PpoLoss#dpdWeight} of the two value networks there.
     */
    @Override
    public Phase distillPhase(Learner peer, NDManager root, int cycle) {
        Rollout r = last;
        float[][] mine = actionsAndValues(root, r.observations(), r.size());
        float[][] theirs = peer.actionsAndValues(root, r.observations(), r.size());
        float[] w = new float[r.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) PpoLoss.dpdWeight(theirs[1][i], mine[1][i], spec.beta());
        }
        long s = Seeds.derive(seed, "distill " + cycle);
        TransitionSource data = new TransitionSource(r.size(), spec.batchSize(), s)
                .with(INPUT, r.observations(), obs).with("peerMean", theirs[0], act).with("weight", w, 1);
        String p = policyP.name();
        Update imitate = new Update(p, "states", null, step -> LossValue.of("imitation",
                PpoLoss.weightedImitation(GaussianPolicy.mean(step.forward(p, true).logits(), act),
                        step.batch().input("peerMean"), step.batch().input("weight"))), 1);
        return new Phase(name + "-distill", List.of(policyP), List.of(Feed.generated("states", data, s)),
                StepPolicy.every(imitate), spec.distillEpochs(), null);
    }

    /** Standardised advantages (zero mean, unit deviation over the rollout), as PPO implementations do. */
    static float[] normalise(float[] x) {
        double mean = 0;
        for (float f : x) {
            mean += f;
        }
        mean /= x.length;
        double var = 0;
        for (float f : x) {
            var += (f - mean) * (f - mean);
        }
        double sd = Math.sqrt(var / x.length) + 1e-8;
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) ((x[i] - mean) / sd);
        }
        return out;
    }

    @Override
    public double evaluate(NDManager root, int episodes) {
        try (NDManager scope = root.newSubManager()) {
            return PolicyEvaluation.meanReturn(spec.env(), spec.seed(), episodes, x -> {
                float[] head = forward(scope, x, episodes)[0];
                float[] mean = new float[episodes * act];
                for (int i = 0; i < episodes; i++) {
                    System.arraycopy(head, i * 2 * act, mean, i * act, act);
                }
                return mean;
            });
        }
    }

    /** The learner's checkpoint slots: policy and value weights, then environments and action sampler. */
    @Override
    public List<CheckpointSlot> slots() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        envs.write(out);
        out.writeLong(actions.state());
        return List.of(CheckpointSlot.of(policyP.name(), policy, null, null),
                CheckpointSlot.of(valueP.name(), value, null, null),
                new CheckpointSlot(name + "-envs", new byte[0], new byte[0], bytes.toByteArray()));
    }

    @Override
    public void restore(org.distill4j.train.CheckpointStore.Loaded ckpt) throws IOException {
        ckpt.slot(policyP.name()).restoreWeights(policy);
        ckpt.slot(valueP.name()).restoreWeights(value);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(ckpt.slot(name + "-envs").adapters()));
        envs.read(in);
        actions.setState(in.readLong());
    }

    @Override
    public void close() {
        policyP.close();
        valueP.close();
        policy.close();
        value.close();
    }
}

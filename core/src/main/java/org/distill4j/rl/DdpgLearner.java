package org.distill4j.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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
import org.distill4j.model.Scalars;
import org.distill4j.train.CheckpointSlot;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.Feed;
import org.distill4j.train.Loop;
import org.distill4j.train.OptimizerSpec;
import org.distill4j.train.Participant;
import org.distill4j.train.Phase;
import org.distill4j.train.ScheduleSpec;
import org.distill4j.train.Seeds;
import org.distill4j.train.StepPolicy;
import org.distill4j.train.TrainSpec;
import org.distill4j.train.Update;

/**
 * One DDPG learner (Lillicrap et al. 2016): a deterministic actor {@code μ(s) = bound·tanh(f(s))}
 * and a critic {@code Q(s, a)}, each a trainable {@link Participant}, their target copies frozen
 * participants that follow by soft updates {@code θ' ← τθ + (1−τ)θ'} at every step, a
 * {@link ReplayBuffer} and Gaussian exploration noise. A cycle collects {@code rolloutSteps} steps
 * on every environment copy (uniformly random actions during the warm-up), then the core's
 * {@code Loop} runs {@code updateRatio} updates per collected step, each a critic step on
 * {@code (Q(s,a) − r − γ(1−d)·Q'(s', μ'(s')))²} then an actor step on {@code −Q(s, μ(s))} — the
 * "collect, then as many gradient steps" schedule of common implementations.
 */
final class DdpgLearner implements Learner {
    private static final String INPUT = org.distill4j.data.Batch.INPUT;

    private final String name;
    private final DpdSpec spec;
    private final long seed;
    private final Network actor;
    private final Network critic;
    private final Network actorTarget;
    private final Network criticTarget;
    private final Participant actorP;
    private final Participant criticP;
    private final Participant actorTargetP;
    private final Participant criticTargetP;
    private final VectorEnv envs;
    private final ReplayBuffer buffer;
    private final Rng rng;
    private final int obs;
    private final int act;
    private final double bound;
    private long collected;

    DdpgLearner(String name, DpdSpec spec, NDManager root) {
        this.name = name;
        this.spec = spec;
        this.seed = Seeds.derive(spec.seed(), name);
        Environment probe = Environment.named(spec.env());
        obs = probe.observationSize();
        act = probe.actionSize();
        bound = probe.actionBound();
        MlpSpec mlp = new MlpSpec(spec.hidden(), 0.0);
        Seeds.apply(Seeds.derive(seed, "actor init"));
        actor = Network.create(mlp, new long[] {obs}, act, root);
        Seeds.apply(Seeds.derive(seed, "critic init"));
        critic = Network.create(mlp, new long[] {obs + act}, 1, root);
        actorTarget = Network.create(mlp, new long[] {obs}, act, root);
        criticTarget = Network.create(mlp, new long[] {obs + act}, 1, root);
        copy(actor, actorTarget);
        copy(critic, criticTarget);
        actorTarget.freeze();
        criticTarget.freeze();
        TrainSpec train = new TrainSpec(1, spec.batchSize(), new OptimizerSpec.Adam(spec.lr(), null, null, null, null),
                new ScheduleSpec(ScheduleSpec.Type.CONSTANT, null, null, null, null));
        actorP = Participant.learner(name + "-actor", actor, null, train);
        criticP = Participant.learner(name + "-critic", critic, null, train);
        actorTargetP = Participant.frozen(name + "-actor-target", actorTarget);
        criticTargetP = Participant.frozen(name + "-critic-target", criticTarget);
        envs = new VectorEnv(() -> Environment.named(spec.env()), spec.envs(), Seeds.derive(seed, "envs"));
        buffer = new ReplayBuffer(spec.bufferSize(), obs, act);
        rng = new Rng(Seeds.derive(seed, "noise"));
    }

    @Override
    public String name() {
        return name;
    }

    private static void copy(Network from, Network to) {
        List<NDArray> a = from.parameterArrays();
        List<NDArray> b = to.parameterArrays();
        for (int i = 0; i < a.size(); i++) {
            Network.assign(b.get(i), a.get(i));
        }
    }

    /** {@code θ' ← τθ + (1−τ)θ'} for every weight, in place. */
    static void softUpdate(Network online, Network target, double tau) {
        List<NDArray> a = online.parameterArrays();
        List<NDArray> b = target.parameterArrays();
        for (int i = 0; i < a.size(); i++) {
            Scalars.scaleInPlace(b.get(i), 1 - tau);
            try (NDArray s = Scalars.mul(a.get(i), tau)) {
                b.get(i).addi(s);
            }
        }
    }

    private float[] act(NDManager scope, Network net, float[] states, int rows) {
        try (NDArray in = scope.create(states, new Shape(rows, obs))) {
            float[] raw = net.forward(in, false).logits().toFloatArray();
            for (int i = 0; i < raw.length; i++) {
                raw[i] = (float) (bound * Math.tanh(raw[i]));
            }
            return raw;
        }
    }

    @Override
    public void learn(Loop loop, NDManager root, int cycle) throws IOException {
        int n = envs.size();
        double[] step = new double[n * act];
        try (NDManager scope = root.newSubManager()) {
            for (int s = 0; s < spec.rolloutSteps(); s++) {
                float[] x = envs.observations();
                boolean warm = collected >= spec.warmup();
                float[] mu = warm ? act(scope, actor, x, n) : null;
                for (int k = 0; k < n * act; k++) {
                    step[k] = warm ? Math.max(-bound, Math.min(bound, mu[k] + spec.noise() * bound * rng.nextGaussian()))
                            : rng.uniform(-bound, bound);
                }
                VectorEnv.Steps st = envs.step(step);
                float[] after = envs.observations();
                for (int i = 0; i < n; i++) {
                    double[] s2 = st.finalObservations()[i] != null ? st.finalObservations()[i] : toDouble(after, i);
                    buffer.add(x, i * obs, step, i * act, st.rewards()[i] * spec.rewardScale(), s2, st.terminated()[i]);
                }
                collected += n;
            }
        }
        if (collected < spec.warmup() || buffer.size() < spec.batchSize()) {
            return;
        }
        int updates = Math.max(1, (int) Math.round(spec.perCycle() * spec.updateRatio()));
        long s = Seeds.derive(seed, "ddpg " + cycle);
        TransitionSource data = new TransitionSource(buffer.size(), spec.batchSize(), s).sampled(updates)
                .with(INPUT, buffer.states, obs).with("action", buffer.actions, act).with("reward", buffer.rewards, 1)
                .with("next", buffer.next, obs).with("terminal", buffer.terminal, 1);
        String c = criticP.name();
        String a = actorP.name();
        String at = actorTargetP.name();
        String ct = criticTargetP.name();
        double gamma = spec.gamma();
        Update criticStep = new Update(c, "replay", null, ctx -> {
            NDArray next = ctx.batch().input("next");
            NDArray nextAction = Scalars.mul(ctx.forward(at, next, false).logits().tanh(), bound);
            NDArray q2 = ctx.forward(ct, NDArrays.concat(new NDList(next, nextAction), 1), false).logits().reshape(-1);
            NDArray notDone = ctx.batch().input("terminal").neg().add(1);
            NDArray y = ctx.batch().input("reward").add(Scalars.mul(q2.mul(notDone), gamma)).stopGradient();
            NDArray sa = NDArrays.concat(new NDList(ctx.batch().input(), ctx.batch().input("action").reshape(-1, act)), 1);
            return LossValue.of("critic", PpoLoss.valueLoss(ctx.forward(c, sa, true).logits(), y));
        }, 1);
        Update actorStep = new Update(a, "replay", null, ctx -> {
            NDArray s0 = ctx.batch().input();
            NDArray mu = Scalars.mul(ctx.forward(a, s0, true).logits().tanh(), bound);
            return LossValue.of("actor", ctx.forward(c, NDArrays.concat(new NDList(s0, mu), 1), true).logits().mean()
                    .neg());
        }, 1);
        double tau = spec.tau();
        StepPolicy policy = (stepIndex, epoch, batch) -> {
            if (stepIndex > 0) { // the targets follow the previous step's update
                softUpdate(actor, actorTarget, tau);
                softUpdate(critic, criticTarget, tau);
            }
            return List.of(criticStep, actorStep);
        };
        loop.run(new Phase(name + "-ddpg", List.of(actorP, criticP, actorTargetP, criticTargetP),
                List.of(Feed.generated("replay", data, s)), policy, 1, null));
        softUpdate(actor, actorTarget, tau);
        softUpdate(critic, criticTarget, tau);
    }

    private double[] toDouble(float[] rows, int i) {
        double[] out = new double[obs];
        for (int d = 0; d < obs; d++) {
            out[d] = rows[i * obs + d];
        }
        return out;
    }

    @Override
    public float[][] actionsAndValues(NDManager root, float[] states, int rows) {
        try (NDManager scope = root.newSubManager()) {
            float[] mu = act(scope, actor, states, rows);
            float[] sa = new float[rows * (obs + act)];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(states, i * obs, sa, i * (obs + act), obs);
                System.arraycopy(mu, i * act, sa, i * (obs + act) + obs, act);
            }
            try (NDArray in = scope.create(sa, new Shape(rows, obs + act))) {
                return new float[][] {mu, critic.forward(in, false).logits().toFloatArray()};
            }
        }
    }

    @Override
    public Phase distillPhase(Learner peer, NDManager root, int cycle) {
        int rows = Math.min(buffer.size(), spec.perCycle());
        if (rows < spec.batchSize()) {
            return null;
        }
        Rng pick = new Rng(Seeds.derive(seed, "distill states " + cycle));
        float[] states = new float[rows * obs];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(buffer.states, pick.nextInt(buffer.size()) * obs, states, r * obs, obs);
        }
        float[][] mine = actionsAndValues(root, states, rows);
        float[][] theirs = peer.actionsAndValues(root, states, rows);
        float[] w = new float[rows];
        for (int i = 0; i < rows; i++) {
            w[i] = (float) PpoLoss.dpdWeight(theirs[1][i], mine[1][i], spec.beta());
        }
        long s = Seeds.derive(seed, "distill " + cycle);
        TransitionSource data = new TransitionSource(rows, spec.batchSize(), s).with(INPUT, states, obs)
                .with("peerAction", theirs[0], act).with("weight", w, 1);
        String a = actorP.name();
        Update imitate = new Update(a, "states", null, ctx -> LossValue.of("imitation", PpoLoss.weightedImitation(
                Scalars.mul(ctx.forward(a, true).logits().tanh(), bound), ctx.batch().input("peerAction"),
                ctx.batch().input("weight"))), 1);
        return new Phase(name + "-distill", List.of(actorP), List.of(Feed.generated("states", data, s)),
                StepPolicy.every(imitate), spec.distillEpochs(), null);
    }

    @Override
    public double evaluate(NDManager root, int episodes) {
        try (NDManager scope = root.newSubManager()) {
            return PolicyEvaluation.meanReturn(spec.env(), spec.seed(), episodes, x -> act(scope, actor, x, episodes));
        }
    }

    @Override
    public List<Double> finishedReturns() {
        return envs.takeFinished();
    }

    @Override
    public List<CheckpointSlot> slots() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        envs.write(out);
        out.writeLong(rng.state());
        out.writeLong(collected);
        ByteArrayOutputStream replay = new ByteArrayOutputStream();
        buffer.write(new DataOutputStream(replay));
        return List.of(CheckpointSlot.of(actorP.name(), actor, null, null),
                CheckpointSlot.of(criticP.name(), critic, null, null),
                CheckpointSlot.of(actorTargetP.name(), actorTarget, null, null),
                CheckpointSlot.of(criticTargetP.name(), criticTarget, null, null),
                new CheckpointSlot(name + "-envs", new byte[0], new byte[0], bytes.toByteArray()),
                new CheckpointSlot(name + "-replay", new byte[0], new byte[0], replay.toByteArray()));
    }

    @Override
    public void restore(CheckpointStore.Loaded ckpt) throws IOException {
        ckpt.slot(actorP.name()).restoreWeights(actor);
        ckpt.slot(criticP.name()).restoreWeights(critic);
        ckpt.slot(actorTargetP.name()).restoreWeights(actorTarget);
        ckpt.slot(criticTargetP.name()).restoreWeights(criticTarget);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(ckpt.slot(name + "-envs").adapters()));
        envs.read(in);
        rng.setState(in.readLong());
        collected = in.readLong();
        buffer.read(new DataInputStream(new ByteArrayInputStream(ckpt.slot(name + "-replay").adapters())));
    }

    @Override
    public void close() {
        for (Participant p : List.of(actorP, criticP, actorTargetP, criticTargetP)) {
            p.close();
        }
        for (Network n : List.of(actor, critic, actorTarget, criticTarget)) {
            n.close();
        }
    }
}

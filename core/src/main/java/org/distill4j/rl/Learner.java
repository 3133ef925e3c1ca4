package org.distill4j.rl;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.distill4j.train.CheckpointSlot;
import org.distill4j.train.CheckpointStore;
import org.distill4j.train.Loop;
import org.distill4j.train.Phase;

/**
 * One reinforcement learner of a {@link DualPolicyDistillation} run (PPO or DDPG): its
 * participants (policy, value or Q network, targets), its own environment copies and what it
 * checkpoints. A cycle is {@link #learn} (collect experience, then the RL phase on the core's
 * {@link Loop}); DPD then runs its {@link #distillPhase} toward the peer.
 */
interface Learner extends AutoCloseable {
    String name();

    /** One cycle of RL: collect this cycle's environment steps, then the RL updates. */
    void learn(Loop loop, NDManager root, int cycle) throws IOException;

    /**
     * For each of {@code rows} states (row-major): the deterministic action of the policy, and the
     * learner's estimate of the value of following its policy from there (PPO: V(s); DDPG: Q(s, μ(s))).
     */
    float[][] actionsAndValues(NDManager root, float[] states, int rows);

    /** DPD's phase: imitate {@code peer} on states of this learner's own experience, weighted where the peer is better. */
    Phase distillPhase(Learner peer, NDManager root, int cycle);

    /** The mean return of the deterministic policy over {@code episodes} fixed starts. */
    double evaluate(NDManager root, int episodes);

    /** The returns of the training episodes finished since the last call. */
    List<Double> finishedReturns();

    List<CheckpointSlot> slots() throws IOException;

    void restore(CheckpointStore.Loaded checkpoint) throws IOException;

    @Override
    void close();
}

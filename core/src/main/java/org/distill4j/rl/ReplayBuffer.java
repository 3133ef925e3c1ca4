package org.distill4j.rl;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * DDPG's experience replay: a ring of the last {@code capacity} transitions
 * (s, a, r, s', terminal), row-major float arrays; checkpointed whole, so a resumed run samples
 * exactly what the uninterrupted one would.
 */
final class ReplayBuffer {
    final int capacity;
    final int obs;
    final int act;
    final float[] states;
    final float[] actions;
    final float[] rewards;
    final float[] next;
    final float[] terminal;
    private int size;
    private int position;

    ReplayBuffer(int capacity, int obs, int act) {
        this.capacity = capacity;
        this.obs = obs;
        this.act = act;
        states = new float[capacity * obs];
        actions = new float[capacity * act];
        rewards = new float[capacity];
        next = new float[capacity * obs];
        terminal = new float[capacity];
    }

    int size() {
        return size;
    }

    void add(float[] s, int sOffset, double[] a, int aOffset, double r, double[] s2, boolean done) {
        System.arraycopy(s, sOffset, states, position * obs, obs);
        for (int d = 0; d < act; d++) {
            actions[position * act + d] = (float) a[aOffset + d];
        }
        rewards[position] = (float) r;
        for (int d = 0; d < obs; d++) {
            next[position * obs + d] = (float) s2[d];
        }
        terminal[position] = done ? 1 : 0;
        position = (position + 1) % capacity;
        size = Math.min(size + 1, capacity);
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(capacity);
        out.writeInt(size);
        out.writeInt(position);
        for (float[] column : new float[][] {states, actions, rewards, next, terminal}) {
            for (int i = 0; i < size * (column.length / capacity); i++) {
                out.writeFloat(column[i]);
            }
        }
    }

    void read(DataInputStream in) throws IOException {
        int c = in.readInt();
        if (c != capacity) {
            throw new IOException("checkpoint's replay buffer holds " + c + " transitions, this run's " + capacity);
        }
        size = in.readInt();
        position = in.readInt();
        for (float[] column : new float[][] {states, actions, rewards, next, terminal}) {
            for (int i = 0; i < size * (column.length / capacity); i++) {
                column[i] = in.readFloat();
            }
        }
    }
}

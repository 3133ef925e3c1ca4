package org.distill4j.rl;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Several copies of one environment stepped together (one batched forward pass per step for all
 * of them), each reset automatically at the end of its episode; it keeps each copy's current
 * observation and running return, and the returns of the episodes finished since
 * {@link #takeFinished()}. Its whole state is checkpointed.
 */
public final class VectorEnv {
    /** One batched step: rewards, end flags, and for truncated copies the observation before the reset. */
    public record Steps(double[] rewards, boolean[] terminated, boolean[] truncated, double[][] finalObservations) {}

    private final Environment[] envs;
    private final double[][] current;
    private final double[] running;
    private final List<Double> finished = new ArrayList<>();

    /** {@code count} copies, copy i reset with seed {@code derive(seed, i)}. */
    public VectorEnv(Supplier<Environment> make, int count, long seed) {
        envs = new Environment[count];
        current = new double[count][];
        running = new double[count];
        for (int i = 0; i < count; i++) {
            envs[i] = make.get();
            current[i] = envs[i].reset(org.distill4j.train.Seeds.derive(seed, "env " + i));
        }
    }

    public int size() {
        return envs.length;
    }

    public Environment env(int i) {
        return envs[i];
    }

    /** The current observations, row-major (copies × observation size), as float32 for the network. */
    public float[] observations() {
        int d = envs[0].observationSize();
        float[] out = new float[envs.length * d];
        for (int i = 0; i < envs.length; i++) {
            for (int j = 0; j < d; j++) {
                out[i * d + j] = (float) current[i][j];
            }
        }
        return out;
    }

    /** Steps every copy with its row of {@code actions} (copies × action size). */
    public Steps step(double[] actions) {
        int n = envs.length;
        int a = envs[0].actionSize();
        double[] rewards = new double[n];
        boolean[] terminated = new boolean[n];
        boolean[] truncated = new boolean[n];
        double[][] finals = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] act = new double[a];
            System.arraycopy(actions, i * a, act, 0, a);
            Environment.Step s = envs[i].step(act);
            rewards[i] = s.reward();
            terminated[i] = s.terminated();
            truncated[i] = s.truncated();
            running[i] += s.reward();
            if (s.done()) {
                finals[i] = s.observation();
                finished.add(running[i]);
                running[i] = 0;
                current[i] = envs[i].reset();
            } else {
                current[i] = s.observation();
            }
        }
        return new Steps(rewards, terminated, truncated, finals);
    }

    /** The returns of the episodes finished since the last call. */
    public List<Double> takeFinished() {
        List<Double> out = List.copyOf(finished);
        finished.clear();
        return out;
    }

    public void write(DataOutputStream out) throws IOException {
        out.writeInt(envs.length);
        for (int i = 0; i < envs.length; i++) {
            envs[i].write(out);
            out.writeDouble(running[i]);
        }
        out.writeInt(finished.size());
        for (double f : finished) {
            out.writeDouble(f);
        }
    }

    public void read(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n != envs.length) {
            throw new IOException("checkpoint holds " + n + " environment copies, this run has " + envs.length);
        }
        for (int i = 0; i < n; i++) {
            envs[i].read(in);
            running[i] = in.readDouble();
            current[i] = envs[i].observe();
        }
        finished.clear();
        int f = in.readInt();
        for (int i = 0; i < f; i++) {
            finished.add(in.readDouble());
        }
    }
}

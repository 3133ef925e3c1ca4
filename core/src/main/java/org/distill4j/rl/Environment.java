package org.distill4j.rl;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A continuous-control environment with a small Gym-like interface: {@link #reset(long)} seeds
 * its random source and starts an episode, {@link #step(double[])} applies an action. Its whole
 * state (physical state, step count, random source) is written by {@link #write} and read back
 * by {@link #read}, so a resumed run continues exactly.
 */
public abstract class Environment {
    /** What one step returns (Gym's five-tuple without the info dictionary). */
    public record Step(double[] observation, double reward, boolean terminated, boolean truncated) {
        public boolean done() {
            return terminated || truncated;
        }
    }

    protected final double[] state;
    private final Rng rng = new Rng(0);
    private int steps;

    protected Environment(int stateSize) {
        this.state = new double[stateSize];
    }

    /** Its name in configs and reports. */
    public abstract String name();

    public abstract int observationSize();

    /** Actions are vectors of this size, each component in [−{@link #actionBound()}, +]. */
    public int actionSize() {
        return 1;
    }

    public abstract double actionBound();

    /** An episode is truncated after this many steps (Gym's TimeLimit). */
    public abstract int maxSteps();

    /** Draws the initial physical state. */
    protected abstract void initialise(Rng rng);

    /** Moves the physical state by one step under {@code action}; returns the reward. */
    protected abstract double advance(double[] action);

    /** Whether the physical state is terminal (after {@link #advance}). */
    protected abstract boolean terminal();

    /** The observation of the current state. */
    public abstract double[] observe();

    /** Seeds the random source, then starts an episode (Gym's {@code reset(seed=…)}). */
    public final double[] reset(long seed) {
        rng.setState(seed);
        return reset();
    }

    /** Starts an episode with the random source where it is. */
    public final double[] reset() {
        steps = 0;
        initialise(rng);
        return observe();
    }

    public final Step step(double[] action) {
        if (action.length != actionSize()) {
            throw new IllegalArgumentException(name() + ": action of size " + action.length + ", expected "
                    + actionSize());
        }
        double reward = advance(action);
        steps++;
        boolean terminated = terminal();
        return new Step(observe(), reward, terminated, !terminated && steps >= maxSteps());
    }

    /** Sets the physical state directly (tests against the published equations). */
    public final void setState(double... s) {
        if (s.length != state.length) {
            throw new IllegalArgumentException(name() + ": state of size " + s.length + ", expected " + state.length);
        }
        System.arraycopy(s, 0, state, 0, s.length);
    }

    public final double[] state() {
        return state.clone();
    }

    public final void write(DataOutputStream out) throws IOException {
        out.writeLong(rng.state());
        out.writeInt(steps);
        for (double d : state) {
            out.writeDouble(d);
        }
    }

    public final void read(DataInputStream in) throws IOException {
        rng.setState(in.readLong());
        steps = in.readInt();
        for (int i = 0; i < state.length; i++) {
            state[i] = in.readDouble();
        }
    }

    static double clip(double x, double lo, double hi) {
        return Math.max(lo, Math.min(hi, x));
    }

    /** An environment by its config name; an error lists the known ones. */
    public static Environment named(String name) {
        return switch (name) {
            case "pendulum" -> new Pendulum();
            case "cartpole" -> new ContinuousCartPole();
            case "mountaincar" -> new ContinuousMountainCar();
            default -> throw new IllegalArgumentException("env: unknown environment '" + name
                    + "' (known: pendulum, cartpole, mountaincar)");
        };
    }
}

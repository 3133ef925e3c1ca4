package org.distill4j.rl;

/**
 * Pendulum swing-up with Gym's Pendulum-v1 dynamics: g = 10, m = 1, l = 1, dt = 0.05, torque
 * clipped to ±2, speed to ±8; {@code θ̇' = θ̇ + (3g/(2l)·sin θ + 3/(ml²)·u)·dt}, {@code θ' = θ + θ̇'·dt};
 * reward {@code −(norm(θ)² + 0.1θ̇² + 0.001u²)} on the state before the step; observation
 * {@code (cos θ, sin θ, θ̇)}; start θ ~ U(−π, π), θ̇ ~ U(−1, 1); 200 steps, never terminal.
 */
public final class Pendulum extends Environment {
    static final double G = 10, M = 1, L = 1, DT = 0.05, MAX_TORQUE = 2, MAX_SPEED = 8;

    public Pendulum() {
        super(2);
    }

    @Override
    public String name() {
        return "pendulum";
    }

    @Override
    public int observationSize() {
        return 3;
    }

    @Override
    public double actionBound() {
        return MAX_TORQUE;
    }

    @Override
    public int maxSteps() {
        return 200;
    }

    @Override
    protected void initialise(Rng rng) {
        state[0] = rng.uniform(-Math.PI, Math.PI);
        state[1] = rng.uniform(-1, 1);
    }

    @Override
    protected double advance(double[] action) {
        double th = state[0];
        double thdot = state[1];
        double u = clip(action[0], -MAX_TORQUE, MAX_TORQUE);
        double a = normalise(th);
        double cost = a * a + 0.1 * thdot * thdot + 0.001 * u * u;
        double newThdot = clip(thdot + (3 * G / (2 * L) * Math.sin(th) + 3.0 / (M * L * L) * u) * DT, -MAX_SPEED,
                MAX_SPEED);
        state[0] = th + newThdot * DT;
        state[1] = newThdot;
        return -cost;
    }

    /** Gym's angle_normalize: {@code ((x + π) mod 2π) − π}, with a non-negative modulo. */
    static double normalise(double x) {
        double twoPi = 2 * Math.PI;
        double m = (x + Math.PI) % twoPi;
        if (m < 0) {
            m += twoPi;
        }
        return m - Math.PI;
    }

    @Override
    protected boolean terminal() {
        return false;
    }

    @Override
    public double[] observe() {
        return new double[] {Math.cos(state[0]), Math.sin(state[0]), state[1]};
    }
}

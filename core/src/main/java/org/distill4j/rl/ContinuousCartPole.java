package org.distill4j.rl;

/**
 * Cart-pole (Barto, Sutton, Anderson 1983) with Gym CartPole-v1's constants and Euler
 * integration, and a continuous force {@code clip(a, −1, 1)·10 N} in place of Gym's ±10 N:
 * gravity 9.8, cart 1.0 kg, pole 0.1 kg, half-length 0.5, τ = 0.02;
 * {@code temp = (F + m_p·l·θ̇²·sin θ)/M}, {@code θ̈ = (g·sin θ − cos θ·temp)/(l·(4/3 − m_p·cos²θ/M))},
 * {@code ẍ = temp − m_p·l·θ̈·cos θ/M}. Reward 1 per step; terminal when |x| > 2.4 or
 * |θ| > 12°; state (x, ẋ, θ, θ̇), each started U(−0.05, 0.05); 500 steps.
 */
public final class ContinuousCartPole extends Environment {
    static final double GRAVITY = 9.8, MASS_CART = 1.0, MASS_POLE = 0.1, LENGTH = 0.5, FORCE_MAG = 10.0, TAU = 0.02;
    static final double THETA_LIMIT = 12 * 2 * Math.PI / 360, X_LIMIT = 2.4;

    public ContinuousCartPole() {
        super(4);
    }

    @Override
    public String name() {
        return "cartpole";
    }

    @Override
    public int observationSize() {
        return 4;
    }

    @Override
    public double actionBound() {
        return 1;
    }

    @Override
    public int maxSteps() {
        return 500;
    }

    @Override
    protected void initialise(Rng rng) {
        for (int i = 0; i < 4; i++) {
            state[i] = rng.uniform(-0.05, 0.05);
        }
    }

    @Override
    protected double advance(double[] action) {
        double x = state[0], xDot = state[1], theta = state[2], thetaDot = state[3];
        double force = FORCE_MAG * clip(action[0], -1, 1);
        double total = MASS_CART + MASS_POLE;
        double poleMassLength = MASS_POLE * LENGTH;
        double cos = Math.cos(theta), sin = Math.sin(theta);
        double temp = (force + poleMassLength * thetaDot * thetaDot * sin) / total;
        double thetaAcc = (GRAVITY * sin - cos * temp) / (LENGTH * (4.0 / 3.0 - MASS_POLE * cos * cos / total));
        double xAcc = temp - poleMassLength * thetaAcc * cos / total;
        state[0] = x + TAU * xDot;
        state[1] = xDot + TAU * xAcc;
        state[2] = theta + TAU * thetaDot;
        state[3] = thetaDot + TAU * thetaAcc;
        return 1.0;
    }

    @Override
    protected boolean terminal() {
        return state[0] < -X_LIMIT || state[0] > X_LIMIT || state[2] < -THETA_LIMIT || state[2] > THETA_LIMIT;
    }

    @Override
    public double[] observe() {
        return state.clone();
    }
}

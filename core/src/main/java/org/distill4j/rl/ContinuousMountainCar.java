package org.distill4j.rl;

/**
 * Gym's MountainCarContinuous-v0 (Moore 1990): power 0.0015;
 * {@code v' = clip(v + clip(a, −1, 1)·0.0015 − 0.0025·cos(3x), ±0.07)}, {@code x' = clip(x + v', −1.2, 0.6)},
 * the velocity zeroed at the left wall when negative; terminal at x ≥ 0.45 (v ≥ 0); reward
 * {@code 100·[goal] − 0.1·a²} (the unclipped action, as Gym); start x ~ U(−0.6, −0.4), v = 0;
 * 999 steps.
 */
public final class ContinuousMountainCar extends Environment {
    static final double POWER = 0.0015, MIN_POSITION = -1.2, MAX_POSITION = 0.6, MAX_SPEED = 0.07, GOAL = 0.45;

    public ContinuousMountainCar() {
        super(2);
    }

    @Override
    public String name() {
        return "mountaincar";
    }

    @Override
    public int observationSize() {
        return 2;
    }

    @Override
    public double actionBound() {
        return 1;
    }

    @Override
    public int maxSteps() {
        return 999;
    }

    @Override
    protected void initialise(Rng rng) {
        state[0] = rng.uniform(-0.6, -0.4);
        state[1] = 0;
    }

    @Override
    protected double advance(double[] action) {
        double force = clip(action[0], -1, 1);
        double v = clip(state[1] + force * POWER - 0.0025 * Math.cos(3 * state[0]), -MAX_SPEED, MAX_SPEED);
        double x = clip(state[0] + v, MIN_POSITION, MAX_POSITION);
        if (x == MIN_POSITION && v < 0) {
            v = 0;
        }
        state[0] = x;
        state[1] = v;
        return (terminal() ? 100.0 : 0.0) - 0.1 * action[0] * action[0];
    }

    @Override
    protected boolean terminal() {
        return state[0] >= GOAL && state[1] >= 0;
    }

    @Override
    public double[] observe() {
        return state.clone();
    }
}

package org.distill4j.rl;

/**
 * The random source of the reinforcement-learning code: SplitMix64 (Steele, Lea, Flood 2014),
 * whose whole state is one {@code long}. Written here rather than using {@link java.util.Random}
 * or {@link java.util.SplittableRandom} because a checkpoint must save and restore a generator's
 * state exactly, and neither exposes it.
 */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public long state() {
        return state;
    }

    public void setState(long s) {
        this.state = s;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [lo, hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Standard normal by Box–Muller (no cached second value, so the state stays one long). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // in (0, 1]
        double u2 = nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A uniformly random index in [0, n). */
    public int nextInt(int n) {
        return (int) Math.floorMod(nextLong(), (long) n);
    }
}

package org.distill4j.train;

import ai.djl.engine.Engine;

/** Seeds every random source a run uses (engine weights init, dropout; Java shuffles derive from the seed). */
public final class Seeds {
    private Seeds() {}

    public static void apply(long seed) {
        Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)));
    }

    /** A distinct, reproducible seed for a named purpose within a run (e.g. "teacher", "student"). */
    public static long derive(long seed, String purpose) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (char c : purpose.toCharArray()) {
            h = (h ^ c) * 0x100000001B3L;
        }
        return h ^ (h >>> 31);
    }
}

package org.distill4j.metric;

/**
 * Kendall's rank correlation τ-b between two paired samples: (concordant − discordant) pairs
 * over √((n₀ − n₁)(n₀ − n₂)), where n₀ = n(n−1)/2 and n₁, n₂ count the pairs tied in x and in y
 * (Kendall 1945); with no ties it is τ-a, (C − D) / n₀. 1 when both order the samples alike, −1
 * when one reverses the other. What the {@code nas} scheme reports between its ranking and the
 * accuracy of stand-alone trained candidates. Written here (O(n²), a few dozen candidates)
 * rather than adding a statistics library for one function.
 */
public final class KendallTau {
    private KendallTau() {}

    /** τ-b of the pairs (x[i], y[i]); NaN when either side is constant. */
    public static double of(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new IllegalArgumentException("Kendall's tau needs two samples of equal size ≥ 2 (got " + x.length
                    + " and " + y.length + ")");
        }
        long concordant = 0;
        long discordant = 0;
        long tiedX = 0;
        long tiedY = 0;
        int n = x.length;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                int sx = Double.compare(x[i], x[j]);
                int sy = Double.compare(y[i], y[j]);
                if (sx == 0) {
                    tiedX++;
                }
                if (sy == 0) {
                    tiedY++;
                }
                if (sx != 0 && sy != 0) {
                    if (Integer.signum(sx) == Integer.signum(sy)) {
                        concordant++;
                    } else {
                        discordant++;
                    }
                }
            }
        }
        long pairs = (long) n * (n - 1) / 2;
        double denominator = Math.sqrt((double) (pairs - tiedX) * (pairs - tiedY));
        return denominator == 0 ? Double.NaN : (concordant - discordant) / denominator;
    }
}

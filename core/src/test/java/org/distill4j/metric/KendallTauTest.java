package org.distill4j.metric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Kendall's τ-b against hand counts of concordant, discordant and tied pairs. */
class KendallTauTest {
    @Test
    void withoutTiesIsConcordantMinusDiscordantOverPairs() {
        // y = 3 1 2 5 4 against x = 1…5: discordant pairs (1,2) (1,3) (4,5), the other 7 concordant
        assertEquals((7 - 3) / 10.0, KendallTau.of(new double[] {1, 2, 3, 4, 5}, new double[] {3, 1, 2, 5, 4}), 1e-12);
        assertEquals(1, KendallTau.of(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
        assertEquals(-1, KendallTau.of(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
    }

    @Test
    void tiesShrinkTheDenominator() {
        // x = 1 2 2 3, y = 1 2 3 3: 4 concordant, none discordant, one pair tied in x and one in y,
        // of 6 pairs: tau-b = 4 / sqrt(5 · 5)
        assertEquals(0.8, KendallTau.of(new double[] {1, 2, 2, 3}, new double[] {1, 2, 3, 3}), 1e-12);
        assertTrue(Double.isNaN(KendallTau.of(new double[] {1, 1, 1}, new double[] {1, 2, 3})), "constant x");
    }

    @Test
    void needsTwoPairedSamples() {
        assertThrows(IllegalArgumentException.class, () -> KendallTau.of(new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> KendallTau.of(new double[] {1}, new double[] {1}));
    }
}

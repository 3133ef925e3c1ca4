package org.distill4j.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Each environment against its published equations (Gym Pendulum-v1, CartPole-v1 with a
 * continuous force, MountainCarContinuous-v0) on hand-computed steps: the expected numbers were
 * worked out from the equations (a calculator, then checked with a separate Python transcription of
 * Gym's step functions), not by running this code.
 */
class EnvironmentDynamicsTest {
    private static final double EPS = 1e-12;

    @Test
    void pendulumFollowsGymEquations() {
        Pendulum p = new Pendulum();
        p.reset(1);
        p.setState(1.0, 0.5);
        // θ̇' = 0.5 + (15·sin 1 + 3·1.5)·0.05 = 1.3561032386…; θ' = 1 + θ̇'·0.05; r = −(1 + 0.025 + 0.00225)
        Environment.Step s = p.step(new double[] {1.5});
        assertArrayEquals(new double[] {1.0678051619302962, 1.3561032386059226}, p.state(), EPS);
        assertEquals(-1.02725, s.reward(), EPS);
        assertArrayEquals(new double[] {Math.cos(1.0678051619302962), Math.sin(1.0678051619302962),
            1.3561032386059226}, s.observation(), EPS);
        assertFalse(s.terminated());
        // torque 5 clipped to 2, speed 7.9 + (15·sin 1.5 + 6)·0.05 = 8.95 clipped to 8: θ' = 1.5 + 0.4
        p.setState(1.5, 7.9);
        s = p.step(new double[] {5});
        assertArrayEquals(new double[] {1.9, 8.0}, p.state(), EPS);
        assertEquals(-(2.25 + 6.241 + 0.004), s.reward(), EPS);
        // the cost normalises the angle: 4 − 2π = −2.2831853…, squared 5.2129…
        p.setState(4.0, 7.9);
        s = p.step(new double[] {5});
        assertEquals(-11.457935146920741, s.reward(), 1e-9);
        assertArrayEquals(new double[] {4.381619906425953, 7.632398128519054}, p.state(), EPS);
    }

    @Test
    void pendulumTruncatesAt200Steps() {
        Pendulum p = new Pendulum();
        p.reset(3);
        for (int i = 1; i < 200; i++) {
            assertFalse(p.step(new double[] {0}).done(), "step " + i);
        }
        Environment.Step last = p.step(new double[] {0});
        assertTrue(last.truncated());
        assertFalse(last.terminated());
    }

    @Test
    void cartPoleFollowsBartoEquations() {
        ContinuousCartPole c = new ContinuousCartPole();
        c.reset(1);
        // at rest, F = 10·clip(3) = 10: temp = 10/1.1, θ̈ = −temp/(0.5·(4/3 − 0.1/1.1)) = −14.634…,
        // ẍ = temp − 0.05·θ̈/1.1 = 9.7560…; Euler: ẋ' = 0.02·ẍ, θ̇' = 0.02·θ̈, x and θ unchanged
        c.setState(0, 0, 0, 0);
        Environment.Step s = c.step(new double[] {3.0});
        assertArrayEquals(new double[] {0, 0.1951219512195122, 0, -0.2926829268292683}, c.state(), EPS);
        assertEquals(1.0, s.reward());
        c.setState(0.1, -0.2, 0.05, 0.3);
        c.step(new double[] {0.5});
        assertArrayEquals(new double[] {0.096, -0.1031682129973254, 0.056, 0.16962771704043264}, c.state(), EPS);
        // |θ| > 12° = 0.20944 rad ends the episode
        c.setState(0, 0, 0.2094, 1.0);
        assertTrue(c.step(new double[] {0}).terminated());
        c.setState(2.39, 1.0, 0, 0);
        assertTrue(c.step(new double[] {0}).terminated());
    }

    @Test
    void mountainCarFollowsGymEquations() {
        ContinuousMountainCar m = new ContinuousMountainCar();
        m.reset(1);
        // v' = 0.01 + 0.8·0.0015 − 0.0025·cos(−1.5) = 0.0110231569…; x' = −0.5 + v'; r = −0.1·0.64
        m.setState(-0.5, 0.01);
        Environment.Step s = m.step(new double[] {0.8});
        assertArrayEquals(new double[] {-0.48897684300416927, 0.011023156995830743}, m.state(), EPS);
        assertEquals(-0.064, s.reward(), EPS);
        assertFalse(s.done());
        // reaching x ≥ 0.45: +100, and the penalty uses the unclipped action (2² · 0.1)
        m.setState(0.44, 0.02);
        s = m.step(new double[] {2.0});
        assertArrayEquals(new double[] {0.46087956137086905, 0.02087956137086907}, m.state(), EPS);
        assertEquals(99.6, s.reward(), EPS);
        assertTrue(s.terminated());
        // the left wall stops the car
        m.setState(-1.19, -0.03);
        m.step(new double[] {-1});
        assertArrayEquals(new double[] {-1.2, 0}, m.state(), EPS);
    }

    @Test
    void resetIsSeededAndStateRoundTrips() throws Exception {
        for (String name : new String[] {"pendulum", "cartpole", "mountaincar"}) {
            Environment a = Environment.named(name);
            Environment b = Environment.named(name);
            assertArrayEquals(a.reset(42), b.reset(42), name);
            a.step(new double[] {0.3});
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            a.write(new DataOutputStream(bytes));
            b.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            Environment.Step sa = a.step(new double[] {-0.2});
            Environment.Step sb = b.step(new double[] {-0.2});
            assertArrayEquals(sa.observation(), sb.observation(), name);
            assertArrayEquals(a.reset(), b.reset(), name + ": the random source travelled with the state");
        }
        assertEquals("env: unknown environment 'acrobot' (known: pendulum, cartpole, mountaincar)",
                assertThrows(IllegalArgumentException.class, () -> Environment.named("acrobot")).getMessage());
    }
}

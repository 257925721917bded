package org.vim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * When the STEADY warm-up stops: windows of at least 50 ms with no JIT compilation finished and a mean near the best,
 * three in a row; else its deadline or its count.
 */
class SteadyStateTest {
    static final long MS = 1_000_000L;
    final AtomicLong compile = new AtomicLong();
    long now;

    SteadyState probe(long budgetMs, int maxForwards) {
        return new SteadyState(compile::get, 0, budgetMs * MS, maxForwards);
    }

    /**
     * Runs forwards of the given milliseconds (a negative one: a compilation finished during it) until the probe
     * stops; answers how many ran, or -1.
     */
    int run(SteadyState p, double... ms) {
        for (int i = 0; i < ms.length; i++) {
            if (ms[i] < 0) {
                compile.addAndGet(7);
            }
            long nanos = (long) (Math.abs(ms[i]) * MS);
            now += nanos;
            if (p.recordAndStop(nanos, now)) {
                return i + 1;
            }
        }
        return -1;
    }

    static double[] times(int n, double ms) {
        double[] t = new double[n];
        Arrays.fill(t, ms);
        return t;
    }

    static double[] concat(double[]... parts) {
        return Arrays.stream(parts).flatMapToDouble(Arrays::stream).toArray();
    }

    @Test
    void stopsAfterThreeQuietWindowsOfFiftyMilliseconds() {
        SteadyState p = probe(10_000, 10_000);
        // window 1: the cold forward; windows 2-4 (3 forwards of 20 ms each, 50 ms reached at the third) quiet
        assertEquals(1 + 9, run(p, concat(new double[] {-900}, times(20, 20))));
        assertTrue(p.steady());
        assertEquals(20 * MS, p.bestNanos());
    }

    @Test
    void aFinishedCompilationStartsTheQuietWindowsAgain() {
        SteadyState p = probe(10_000, 10_000);
        // windows: [900] [20 20 20] [20 -20 20]: compiled, [20 20 20] x 3
        assertEquals(1 + 6 + 9, run(p, concat(new double[] {-900, 20, 20, 20, 20, -20, 20}, times(20, 20))));
        assertTrue(p.steady());
    }

    @Test
    void aSlowWindowStartsTheQuietWindowsAgain() {
        // a long compilation still running slows forwards without finishing: a mean of 30 > 1.25 x 20
        SteadyState p = probe(10_000, 10_000);
        assertEquals(1 + 3 + 2 + 9, run(p, concat(new double[] {-900, 20, 20, 20, 30, 30}, times(20, 20))));
        assertTrue(p.steady());
    }

    @Test
    void tinyForwardsAreJudgedByTheirMeanNotOneByOne() {
        // 0.2 ms forwards jittering to 0.4 (2x the best): each 50 ms window's mean is 0.3, near the best mean
        double[] jitter = new double[2000];
        for (int i = 0; i < jitter.length; i++) {
            jitter[i] = i % 2 == 0 ? 0.2 : 0.4;
        }
        SteadyState p = probe(10_000, 10_000);
        int ran = run(p, concat(new double[] {-50}, jitter));
        assertTrue(p.steady());
        assertEquals(1 + 3 * 167, ran, "three windows of 167 forwards (50.1 ms each) after the first");
    }

    @Test
    void stopsAtItsDeadlineWithoutClaimingSteady() {
        SteadyState p = probe(100, 10_000);
        assertEquals(4, run(p, -30, -30, -30, -30, -30, -30));
        assertFalse(p.steady());
    }

    @Test
    void stopsAtItsForwardCountWithoutClaimingSteady() {
        SteadyState p = probe(10_000, 5);
        assertEquals(5, run(p, -60, -60, -60, -60, -60, -60));
        assertFalse(p.steady());
        assertEquals(5, p.forwards());
    }

    @Test
    void aJvmWithoutCompilationTimesIsJudgedByTimesAlone() {
        SteadyState p = new SteadyState(() -> 0L, 0, 10_000 * MS, 10_000);
        assertEquals(4, run(p, 80, 60, 60, 60, 60));
        assertTrue(p.steady());
    }

    @Test
    void theQuickProbeStopsAfterOneForward() {
        SteadyState p = SteadyState.oneForward();
        assertTrue(p.recordAndStop(5 * MS, System.nanoTime()));
        assertFalse(p.steady());
        assertEquals(1, p.forwards());
        assertEquals(5 * MS, p.bestNanos());
    }
}

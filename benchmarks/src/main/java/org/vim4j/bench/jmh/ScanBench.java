package org.vim4j.bench.jmh;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * One fused selective scan (one branch of one layer: 197 tokens x 384 channels x 16 states, with softplus, D skip and
 * the SiLU(z) gate). It is exp-bound, not FMA-bound: each state update is one exp plus about 3 multiply-adds, so the
 * suite reports flops at 6 per update next to the FMA peak, and the exp count.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ScanBench extends KernelState {
    private static final int XDBL = R + 2 * N;
    private ScanInputs in;
    private ScanWeights weights;
    private Rows out;

    @Override
    protected void setUp() {
        MemorySegment u = random((long) L * E, 1, 1f, 0);
        MemorySegment delta = random((long) L * E, 2, 0.5f, 0);
        MemorySegment aT = random((long) N * E, 3, 0, 0);
        for (int n = 0; n < N; n++) {
            for (int e = 0; e < E; e++) {
                aT.setAtIndex(JAVA_FLOAT, (long) n * E + e, -(n + 1)); // A = -exp(A_log) with S4D-real init
            }
        }
        MemorySegment bc = random((long) L * XDBL, 4, 1f, 0);
        MemorySegment dSkip = random(E, 5, 0.1f, 1f);
        MemorySegment deltaBias = random(E, 6, 1f, -3f);
        MemorySegment z = random((long) L * 2 * E, 7, 1f, 0);
        out = Rows.of(random((long) L * E, 8, 0f, 0), E);
        in = new ScanInputs(Rows.of(u, E), Rows.of(delta, E), new Rows(bc, R, XDBL), new Rows(bc, R + N, XDBL),
                new Rows(z, E, 2 * E));
        weights = new ScanWeights(aT, dSkip, deltaBias, E, N);
    }

    @Benchmark
    public void selectiveScan() {
        kernels.selectiveScan(in, weights, out, 1, L, ScanMode.FORWARD_HALF);
    }

    public static double stateUpdates() {
        return (double) L * E * N;
    }
}

package org.vim4j.bench.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Rows;

/** Depthwise causal conv1d (K = 4) + bias + SiLU of one branch: 197 tokens x 384 channels read from xz; GB/s. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ConvBench extends KernelState {
    private MemorySegment xz, w, b, out;

    @Override
    protected void setUp() {
        xz = random((long) L * 2 * E, 1, 1f, 0);
        w = random((long) E * K, 2, 0.5f, 0);
        b = random(E, 3, 0.1f, 0);
        out = random((long) L * E, 4, 0f, 0);
    }

    @Benchmark
    public void convSilu() {
        kernels.convSilu(xz, 0, 2 * E, w, b, out, 0, E, 1, L, E, K, false);
    }

    /** Bytes a minimal implementation moves: x read once, out written once. */
    public static double bytes() {
        return 2.0 * L * E * 4;
    }
}

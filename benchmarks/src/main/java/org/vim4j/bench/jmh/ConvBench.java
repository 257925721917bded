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
    private Rows x, out;
    private ConvWeights weights;

    @Override
    protected void setUp() {
        x = new Rows(random((long) L * 2 * E, 1, 1f, 0), 0, 2 * E);
        weights = new ConvWeights(random((long) E * K, 2, 0.5f, 0), random(E, 3, 0.1f, 0), E, K);
        out = Rows.of(random((long) L * E, 4, 0f, 0), E);
    }

    @Benchmark
    public void convSilu() {
        kernels.convSilu(x, weights, out, 1, L, false);
    }

    /** Bytes a minimal implementation moves: x read once, out written once. */
    public static double bytes() {
        return 2.0 * L * E * 4;
    }
}

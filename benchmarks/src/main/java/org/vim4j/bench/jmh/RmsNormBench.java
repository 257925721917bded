package org.vim4j.bench.jmh;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * The fused residual add + RMSNorm of a block (197 x 192): memory-bound, so reported in GB/s (reads residual, hidden;
 * writes residual, out). The residual grows by hidden every call; with hidden small it stays finite for the run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RmsNormBench extends KernelState {
    private MemorySegment residual, hidden, weight, out;

    @Override
    protected void setUp() {
        residual = random((long) L * D, 1, 1f, 0);
        hidden = random((long) L * D, 2, 1e-9f, 0);
        weight = random(D, 3, 0.1f, 1f);
        out = random((long) L * D, 4, 0f, 0);
    }

    @Benchmark
    public void addRmsNorm() {
        kernels.addRmsNorm(residual, hidden, weight, out, L, D, 1e-5f);
    }

    public static double bytes() {
        return 4.0 * L * D * 4;
    }
}

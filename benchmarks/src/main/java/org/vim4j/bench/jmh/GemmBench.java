package org.vim4j.bench.jmh;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;

import org.vim4j.kernel.LinearWeight;
import org.vim4j.tensor.Tensor;

/** {@code Kernels.linear} on the four Vim-Tiny projection shapes (M = 197 tokens): work 2·M·K·N flops. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBench extends KernelState {
    /** name:K:N. */
    @Param({"in_proj:192:768", "x_proj:384:44", "dt_proj:12:384", "out_proj:384:192"})
    public String shape;

    private LinearWeight w;
    private MemorySegment a, c;

    @Override
    protected void setUp() {
        String[] s = shape.split(":");
        int k = Integer.parseInt(s[1]), n = Integer.parseInt(s[2]);
        Tensor weight = Tensor.wrap("w", org.vim4j.tensor.DType.F32, random((long) n * k, 1, 0.1f, 0), n, k);
        w = kernels.prepareLinear(weight, null, arena);
        a = random((long) L * k, 2, 1f, 0);
        c = random((long) L * n, 3, 0f, 0);
    }

    @Benchmark
    public void linear() {
        kernels.linear(a, 0, w.inFeatures(), L, w, c, 0, w.outFeatures());
    }

    /** Flops of one call, for the suite's GFLOP/s column. */
    public static double flops(String shape) {
        String[] s = shape.split(":");
        return 2.0 * L * Long.parseLong(s[1]) * Long.parseLong(s[2]);
    }
}

package org.vim4j.bench.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import org.vim4j.io.StateDict;
import org.vim4j.model.BlockWeights;
import org.vim4j.model.RandomWeights;
import org.vim4j.VimConfig;
import org.vim4j.model.VimWeights;
import org.vim4j.model.Workspace;

/**
 * One whole Vim-Tiny mixer layer (in_proj, both scan branches with conv/x_proj/dt_proj, out_proj), the unit a forward
 * repeats 24 times: the contract's {@code Kernels.mixer}, fused where the backend fuses it (native: one downcall),
 * else the primitive composition. Work: the layer's multiply-adds, 3 per scan state update.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MixerBench extends KernelState {
    private static final VimConfig C = VimConfig.of(224, 16, 16, D, 1, 1000);
    private StateDict sd;
    private BlockWeights bw;
    private Workspace ws;

    @Override
    protected void setUp() {
        sd = RandomWeights.create(C, 1);
        bw = VimWeights.place(sd, C, kernels, arena).blocks[0];
        ws = new Workspace(kernels, arena, C, 1, L);
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        for (long i = 0; i < (long) L * D; i++) {
            ws.normed.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble() - 0.5f);
        }
    }

    @Benchmark
    public void mixer() {
        kernels.mixer(bw.mixer(), ws.mixer, 1, L, null);
    }

    @Override
    protected void tearDown() {
        sd.close();
    }

    public static double flops() {
        long l = L;
        long macs = l * D * 2 * E + 2 * (l * E * K + l * E * (R + 2 * N) + l * R * E + 3L * l * E * N) + l * E * D;
        return 2.0 * macs;
    }
}

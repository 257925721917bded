package org.vim4j.bench.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import org.vim4j.io.StateDict;
import org.vim4j.kernel.Kernels;
import org.vim4j.model.BlockWeights;
import org.vim4j.model.BranchWeights;
import org.vim4j.model.FusedMixer;
import org.vim4j.model.RandomWeights;
import org.vim4j.model.VimConfig;
import org.vim4j.model.VimWeights;
import org.vim4j.model.Workspace;

/**
 * One whole Vim-Tiny mixer layer (in_proj, both scan branches with conv/x_proj/dt_proj, out_proj), the unit a forward
 * repeats 24 times: through the backend's {@link FusedMixer} where it has one (native: one downcall), else as the
 * primitive composition the forward loop uses. Work: the layer's multiply-adds, 3 per scan state update.
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
        ws = new Workspace(arena, C, 1, L);
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        for (long i = 0; i < (long) L * D; i++) {
            ws.normed.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble() - 0.5f);
        }
    }

    @Benchmark
    public void mixer() {
        if (kernels instanceof FusedMixer f && f.mixerForward(C, bw, ws, 1, L)) {
            return;
        }
        compose(kernels, bw, ws);
    }

    /** The primitive sequence of VimForward's mixer (private there), for backends without a fused layer. */
    private static void compose(Kernels k, BlockWeights bw, Workspace ws) {
        k.linear(ws.normed, 0, D, L, bw.inProj(), ws.xz, 0, 2 * E);
        branch(k, bw.forward(), ws, false);
        branch(k, bw.backward(), ws, true);
        k.linear(ws.y, 0, E, L, bw.outProj(), ws.hidden, 0, D);
    }

    private static void branch(Kernels k, BranchWeights br, Workspace ws, boolean reverse) {
        int xdbl = R + 2 * N;
        k.convSilu(ws.xz, 0, 2 * E, br.convW(), br.convB(), ws.xc, 0, E, 1, L, E, K, reverse);
        k.linear(ws.xc, 0, E, L, br.xProj(), ws.xDbl, 0, xdbl);
        k.linear(ws.xDbl, 0, xdbl, L, br.dtProj(), ws.delta, 0, E);
        k.selectiveScan(ws.xc, 0, E, ws.delta, 0, E, br.aT(), ws.xDbl, R, R + N, xdbl, br.dSkip(), br.dtBias(), ws.xz, E, 2 * E, ws.y,
                0, E, 1, L, E, N, reverse, 0.5f, reverse);
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

package org.vim4j.backend.vector;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.vim4j.Precision;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.tensor.Tensor;

/**
 * The vector backend's BF16 and INT8 linear layers allocate nothing once compiled, like the fp32 GEMM: the calling
 * thread and the pool's workers, over whole tiles, edge tiles, a single row and the long-K INT8 path. Steady state
 * needs C2 to have compiled the kernels (before that the Vector API boxes), so each case warms up and then must reach
 * zero bytes in one of several rounds.
 */
class QuantLinearAllocationTest {
    @Test
    void steadyStateAllocatesNothing() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[][] shapes = {{24, 64, 64}, {13, 40, 44}, {1, 96, 100}, {7, 1100, 24}};
        for (int threads : new int[] {1, 2}) {
            try (VectorKernels k = new VectorKernels(threads); Arena arena = Arena.ofShared()) {
                Random r = new Random(5);
                for (int[] sh : shapes) {
                    int m = sh[0], kk = sh[1], n = sh[2];
                    float[] w = new float[n * kk];
                    for (int i = 0; i < w.length; i++) {
                        w[i] = r.nextFloat() - 0.5f;
                    }
                    Tensor wt = Tensor.copyOf(arena, "w", w, n, kk);
                    Tensor bt = Tensor.copyOf(arena, "b", Arrays.copyOf(w, n), n);
                    MemorySegment a = arena.allocate(4L * m * kk, 64), c = arena.allocate(4L * m * n, 64);
                    for (long i = 0; i < (long) m * kk; i++) {
                        a.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
                    }
                    for (Precision p : new Precision[] {Precision.BF16, Precision.INT8}) {
                        LinearWeight lw = k.prepareLinear(new LinearSource(wt, null, bt), p, arena);
                        long best = Long.MAX_VALUE;
                        // Steady state begins when C2 has compiled the kernels; in a JVM busy with other tests'
                        // compilations that can take many seconds (once measured: all 8 fixed rounds still
                        // interpreted-boxed), so rounds go on until a clean one or 60 s, not a fixed count.
                        long deadline = System.nanoTime() + 60_000_000_000L;
                        for (int round = 0; best > 0 && (round < 8 || System.nanoTime() < deadline); round++) {
                            for (int i = 0; i < 3000; i++) {
                                k.linear(a, 0, kk, m, lw, c, 0, n);
                            }
                            // The caller by its own counter (which allocates nothing); the other threads by theirs (the
                            // array that query returns is the caller's, so the caller is left out of it).
                            long self = Thread.currentThread().threadId();
                            long[] ids = Arrays.stream(mx.getAllThreadIds()).filter(id -> id != self).toArray();
                            long others0 = Arrays.stream(mx.getThreadAllocatedBytes(ids)).filter(v -> v > 0).sum();
                            long self0 = mx.getCurrentThreadAllocatedBytes();
                            for (int i = 0; i < 500; i++) {
                                k.linear(a, 0, kk, m, lw, c, 0, n);
                            }
                            long selfBytes = mx.getCurrentThreadAllocatedBytes() - self0;
                            long others = Arrays.stream(mx.getThreadAllocatedBytes(ids)).filter(v -> v > 0).sum() - others0;
                            best = Math.min(best, selfBytes + others);
                        }
                        if (best > 0) {
                            fail(p + " linear m=" + m + " k=" + kk + " n=" + n + " on " + threads + " thread(s): " + best
                                    + " bytes allocated over 500 calls after warm-up");
                        }
                    }
                }
            }
        }
    }
}

package org.vim4j.kernel.nativ;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vim4j.VimException;
import org.vim4j.bindings.vim4j_h;
import org.vim4j.kernel.KernelThreads;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.scalar.ScalarKernels;
import org.vim4j.model.BlockWeights;
import org.vim4j.model.BranchWeights;
import org.vim4j.model.VimConfig;
import org.vim4j.model.Workspace;
import org.vim4j.tensor.Tensor;

/**
 * Every NativeKernels op against the scalar oracle, on a few shapes (odd sizes, leading dimensions larger than the
 * rows, nonzero offsets, heap segments) with 1 and 2 threads, and the fused mixer against the composition.
 * Skipped, with the loader's reason, when libvim4j.so is not built.
 */
class NativeKernelsTest {
    static final ScalarKernels REF = new ScalarKernels();
    static KernelThreads one, two;
    static Arena arena;

    @BeforeAll
    static void setUp() {
        NativeLibrary.Status s = NativeLibrary.status();
        assumeTrue(s.available(), "native library not available: " + s.reason());
        one = new KernelThreads(1);
        two = new KernelThreads(2);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        if (two != null) {
            two.close();
            one.close();
            arena.close();
        }
    }

    static NativeKernels kernels(int threads) {
        return new NativeKernels(threads == 1 ? one : two);
    }

    static MemorySegment random(Random r, long n) {
        MemorySegment s = arena.allocate(Math.max(n, 1) * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, r.nextFloat() * 2 - 1);
        }
        return s;
    }

    static MemorySegment copy(MemorySegment s) {
        MemorySegment c = arena.allocate(s.byteSize(), 64);
        c.copyFrom(s);
        return c;
    }

    static Tensor tensor(MemorySegment s, long... shape) {
        return Tensor.wrap("t", org.vim4j.tensor.DType.F32, s.asSlice(0, Tensor.numel(shape) * 4), shape);
    }

    static void assertClose(MemorySegment expected, MemorySegment actual, long n, double tol, String what) {
        for (long i = 0; i < n; i++) {
            float e = expected.getAtIndex(JAVA_FLOAT, i), a = actual.getAtIndex(JAVA_FLOAT, i);
            if (!(Math.abs(e - a) <= tol * (1 + Math.abs(e)))) {
                throw new AssertionError(what + ": element " + i + " expected " + e + " got " + a);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void linearMatchesScalar(int threads) {
        NativeKernels nk = kernels(threads);
        Random r = new Random(1);
        int[][] shapes = {{1, 5, 3}, {7, 64, 40}, {33, 17, 9}, {197, 48, 96}};
        for (int[] sh : shapes) {
            int m = sh[0], k = sh[1], n = sh[2];
            for (boolean bias : new boolean[] {false, true}) {
                MemorySegment w = random(r, (long) n * k), b = random(r, n);
                LinearWeight lw = nk.prepareLinear(tensor(w, n, k), bias ? tensor(b, n) : null, arena);
                LinearWeight lr = REF.prepareLinear(tensor(w, n, k), bias ? tensor(b, n) : null, arena);
                assertEquals(n, lw.outFeatures());
                assertEquals(k, lw.inFeatures());
                assertEquals(bias, lw.hasBias());
                int lda = k + 3, ldc = n + 2;
                long aOff = 5, cOff = 7;
                MemorySegment a = random(r, aOff + (long) m * lda);
                MemorySegment c0 = random(r, cOff + (long) m * ldc), c1 = copy(c0);
                REF.linear(a, aOff, lda, m, lr, c0, cOff, ldc);
                nk.linear(a, aOff, lda, m, lw, c1, cOff, ldc);
                assertClose(c0, c1, cOff + (long) m * ldc, 1e-4, "linear " + m + "x" + k + "x" + n + " bias=" + bias);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void linearTakesHeapSegments(int threads) {
        NativeKernels nk = kernels(threads);
        Random r = new Random(2);
        int m = 21, k = 13, n = 11;
        LinearWeight lw = nk.prepareLinear(tensor(random(r, (long) n * k), n, k), tensor(random(r, n), n), arena);
        float[] a = new float[2 + m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        float[] out = new float[1 + m * n];
        MemorySegment nativeA = arena.allocate(a.length * 4L, 64);
        MemorySegment.copy(a, 0, nativeA, JAVA_FLOAT, 0, a.length);
        MemorySegment nativeOut = arena.allocate(out.length * 4L, 64);
        nk.linear(MemorySegment.ofArray(a), 2, k, m, lw, MemorySegment.ofArray(out), 1, n);
        nk.linear(nativeA, 2, k, m, lw, nativeOut, 1, n);
        assertClose(nativeOut, MemorySegment.ofArray(out), out.length, 0, "heap vs native");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void addRmsNormMatchesScalar(int threads) {
        NativeKernels nk = kernels(threads);
        Random r = new Random(3);
        for (int[] sh : new int[][] {{1, 8}, {5, 33}, {19, 192}, {64, 7}}) {
            int rows = sh[0], dim = sh[1];
            for (boolean withHidden : new boolean[] {false, true}) {
                long off = 3;
                MemorySegment res0 = random(r, off + (long) rows * dim), res1 = copy(res0);
                MemorySegment hid = random(r, off + (long) rows * dim), w = random(r, dim);
                MemorySegment o0 = random(r, off + (long) rows * dim), o1 = copy(o0);
                REF.addRmsNorm(res0, off, withHidden ? hid : null, off, w, o0, off, rows, dim, 1e-5f);
                nk.addRmsNorm(res1, off, withHidden ? hid : null, off, w, o1, off, rows, dim, 1e-5f);
                String what = "norm " + rows + "x" + dim + " hidden=" + withHidden;
                assertClose(res0, res1, off + (long) rows * dim, 1e-6, what + " residual");
                assertClose(o0, o1, off + (long) rows * dim, 1e-4, what + " out");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void convSiluMatchesScalar(int threads) {
        NativeKernels nk = kernels(threads);
        Random r = new Random(4);
        for (int[] sh : new int[][] {{1, 1, 3, 4}, {2, 5, 40, 4}, {2, 17, 50, 3}, {1, 9, 96, 4}}) {
            int batch = sh[0], len = sh[1], ch = sh[2], kernel = sh[3];
            for (boolean reverse : new boolean[] {false, true}) {
                int ldx = 2 * ch + 1, ldo = ch + 3;
                long xOff = 2, oOff = 4, rows = (long) batch * len;
                MemorySegment x = random(r, xOff + rows * ldx), w = random(r, (long) ch * kernel), b = random(r, ch);
                MemorySegment o0 = random(r, oOff + rows * ldo), o1 = copy(o0);
                REF.convSilu(x, xOff, ldx, w, b, o0, oOff, ldo, batch, len, ch, kernel, reverse);
                nk.convSilu(x, xOff, ldx, w, b, o1, oOff, ldo, batch, len, ch, kernel, reverse);
                assertClose(o0, o1, oOff + rows * ldo, 1e-4, "conv " + batch + "x" + len + "x" + ch + " reverse=" + reverse);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void selectiveScanMatchesScalar(int threads) {
        NativeKernels nk = kernels(threads);
        Random r = new Random(5);
        for (int[] sh : new int[][] {{1, 1, 5, 4, 1}, {2, 9, 37, 16, 2}, {2, 13, 64, 16, 3}, {1, 30, 48, 8, 2}}) {
            int batch = sh[0], len = sh[1], ch = sh[2], states = sh[3], rank = sh[4];
            for (int mode = 0; mode < 4; mode++) {
                boolean reverse = (mode & 1) != 0, accumulate = (mode & 2) != 0;
                long rows = (long) batch * len;
                int ldbc = rank + 2 * states, ldz = 2 * ch, ldo = ch + 1;
                MemorySegment u = random(r, rows * ch), delta = random(r, rows * ch), bc = random(r, rows * ldbc);
                MemorySegment aT = random(r, (long) states * ch), d = random(r, ch), db = random(r, ch), z = random(r, rows * ldz);
                for (long i = 0; i < (long) states * ch; i++) {
                    aT.setAtIndex(JAVA_FLOAT, i, -Math.abs(aT.getAtIndex(JAVA_FLOAT, i)) * 2); // A < 0 as in Mamba
                }
                MemorySegment o0 = random(r, rows * ldo), o1 = copy(o0);
                REF.selectiveScan(u, 0, ch, delta, 0, ch, aT, bc, rank, rank + states, ldbc, d, db, z, ch, ldz, o0, 0, ldo,
                        batch, len, ch, states, reverse, 0.5f, accumulate);
                nk.selectiveScan(u, 0, ch, delta, 0, ch, aT, bc, rank, rank + states, ldbc, d, db, z, ch, ldz, o1, 0, ldo,
                        batch, len, ch, states, reverse, 0.5f, accumulate);
                assertClose(o0, o1, rows * ldo, 2e-4, "scan " + batch + "x" + len + "x" + ch + "x" + states + " reverse="
                        + reverse + " accumulate=" + accumulate);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void im2colMatchesScalar(int threads) {
        NativeKernels nk = kernels(threads);
        Random r = new Random(6);
        for (int[] sh : new int[][] {{3, 8, 8, 4, 4}, {3, 16, 12, 4, 2}, {1, 5, 7, 2, 3}}) {
            int c = sh[0], h = sh[1], w = sh[2], p = sh[3], s = sh[4];
            long gh = (h - p) / s + 1, gw = (w - p) / s + 1, n = gh * gw * c * p * p;
            MemorySegment img = random(r, 3 + (long) c * h * w);
            MemorySegment o0 = random(r, 2 + n), o1 = copy(o0);
            REF.im2col(img, 3, c, h, w, p, s, o0, 2);
            nk.im2col(img, 3, c, h, w, p, s, o1, 2);
            assertClose(o0, o1, 2 + n, 0, "im2col");
        }
    }

    /**
     * Steady state allocates nothing on the heap: task objects and offset slices are reused, so once the JIT has
     * compiled the downcall path (the interpreter's downcall machinery does allocate) a round of every op allocates
     * 0 bytes. Measured on the calling thread, with one thread so all work runs there; batches are repeated until one
     * allocates nothing (per-call slices or task objects would never get there) or the time budget runs out.
     */
    @Test
    void steadyStateCallsAllocateNothing() {
        assumeTrue(java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "no per-thread allocation counter in this JVM");
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "allocation counting is off");
        NativeKernels nk = kernels(1);
        Random r = new Random(10);
        int m = 24, k = 16, n = 12, ch = 32, len = 8, st = 8;
        LinearWeight lw = nk.prepareLinear(tensor(random(r, (long) n * k), n, k), tensor(random(r, n), n), arena);
        MemorySegment a = random(r, 4096), c = random(r, 4096), w = random(r, 256);
        long tid = Thread.currentThread().threadId();
        long deadline = System.nanoTime() + 60_000_000_000L;
        long bytes = -1;
        int batches = 0;
        while (bytes != 0 && System.nanoTime() < deadline) {
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 500; i++) {
                nk.linear(a, 5, k, m, lw, c, 7, n);
                nk.addRmsNorm(a, 3, c, 9, w, c, 1000, m, 16, 1e-5f);
                nk.convSilu(a, 1, 2 * ch, w, w, c, 2, ch, 2, len, ch, 4, true);
                nk.selectiveScan(a, 0, ch, a, 0, ch, w, a, 2, 2 + st, 2 + 2 * st, w, w, a, ch, 2 * ch, c, 0, ch, 2, len, ch, st,
                        true, 0.5f, true);
                nk.im2col(a, 0, 3, 8, 8, 4, 4, c, 11);
            }
            bytes = mx.getThreadAllocatedBytes(tid) - before;
            batches++;
        }
        assertEquals(0, bytes, "heap bytes allocated by the last of " + batches
                + " batches of 500 rounds of linear, addRmsNorm, convSilu, selectiveScan, im2col");
    }

    @Test
    void theSliceCacheIsBoundedAndReusesSlices() {
        NativeKernels.Slices slices = new NativeKernels.Slices();
        MemorySegment s = arena.allocate(4L * 100_000, 64);
        assertTrue(slices.at(s, 0) == s);
        MemorySegment first = slices.at(s, 7);
        assertTrue(first == slices.at(s, 7), "same (segment, offset): the same slice object");
        assertEquals(s.address() + 28, first.address());
        for (int i = 1; i <= 2 * NativeKernels.Slices.CAPACITY; i++) {
            assertEquals(s.address() + 4L * i, slices.at(s, i).address());
            assertTrue(slices.size() <= NativeKernels.Slices.MAX_ENTRIES);
        }
        int size = slices.size();
        MemorySegment heapSlice = slices.at(MemorySegment.ofArray(new float[10]), 3);
        assertEquals(12, heapSlice.address(), "a heap segment's address is its offset in the array");
        assertEquals(size, slices.size(), "heap segments are never kept (they would pin the caller's arrays)");
    }

    @Test
    void outOfBoundsArgumentsThrowInsteadOfCrashing() {
        NativeKernels nk = kernels(2);
        Random r = new Random(7);
        LinearWeight lw = nk.prepareLinear(tensor(random(r, 8 * 4), 8, 4), null, arena);
        MemorySegment small = random(r, 10);
        assertThrows(IndexOutOfBoundsException.class, () -> nk.linear(small, 0, 4, 16, lw, random(r, 16 * 8), 0, 8));
        assertThrows(IllegalArgumentException.class, () -> nk.linear(small, 0, 3, 1, lw, random(r, 8), 0, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> nk.convSilu(small, 0, 4, small, small, small, 0, 4, 2, 8, 4, 4, false));
        assertThrows(VimException.class, () -> nk.linear(small, 0, 4, 1, REF.prepareLinear(tensor(random(r, 32), 8, 4), null, arena),
                small, 0, 8));
    }

    @Test
    void nativeErrorsBecomeVimExceptionsWithTheLibrarysMessage() {
        MemorySegment s = random(new Random(8), 64);
        int status = vim4j_h.vim4j_conv_silu(s, 4, s, s, s, 4, 1, 4, 4, 4, 0, 3, 1); // c0 > c1
        assertNotEquals(vim4j_h.VIM4J_OK(), status, "an empty, inverted channel range must be rejected");
        VimException e = NativeKernels.failure(status, "vim4j_conv_silu");
        assertTrue(e.getMessage().startsWith("vim4j_conv_silu failed with VIM4J_ERR_"), e.getMessage());
        assertFalse(vim4j_h.vim4j_last_error().getString(0).isEmpty(), "vim4j_last_error() explains the failure");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The fused mixer against the composition (the same kernel sequence as VimForward.mixer).

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void fusedMixerMatchesTheComposition(int threads) {
        NativeKernels nk = kernels(threads);
        VimConfig c = new VimConfig(16, 4, 4, 3, 24, 1, 8, 4, 2, 3, 10, 1e-5f);
        int batch = 2, len = 17, rows = batch * len, d = c.embedDim(), e = c.dInner();
        Random r = new Random(9);
        Raw raw = new Raw(r, c);
        BlockWeights nw = raw.place(nk), sw = raw.place(REF);
        Workspace fused = new Workspace(arena, c, batch, len), composed = new Workspace(arena, c, batch, len);
        Workspace reference = new Workspace(arena, c, batch, len);
        MemorySegment h = random(r, (long) rows * d);
        for (Workspace ws : new Workspace[] {fused, composed, reference}) {
            MemorySegment.copy(h, 0, ws.normed, 0, h.byteSize());
        }
        assertTrue(nk.mixerForward(c, nw, fused, batch, len));
        mixer(nk, c, nw, composed, batch, len);
        mixer(REF, c, sw, reference, batch, len);
        assertClose(reference.hidden, composed.hidden, (long) rows * d, 5e-4, "composition (native kernels) vs scalar");
        assertClose(composed.hidden, fused.hidden, (long) rows * d, 5e-4, "fused mixer vs composition");
        assertClose(reference.y, fused.y, (long) rows * e, 5e-4, "y (scratch) vs scalar");
        // Unsupported weights are refused, not mis-computed: the caller falls back to the composition.
        assertFalse(nk.mixerForward(c, sw, fused, batch, len));
    }

    /** Random weights of one block, placed by any backend. */
    static final class Raw {
        final VimConfig c;
        final MemorySegment inProj, outProj;
        final MemorySegment[][] branch = new MemorySegment[2][];

        Raw(Random r, VimConfig c) {
            this.c = c;
            int d = c.embedDim(), e = c.dInner(), n = c.dState(), rk = c.dtRank(), k = c.dConv();
            inProj = scaled(random(r, 2L * e * d), 0.3f);
            outProj = scaled(random(r, (long) d * e), 0.3f);
            for (int i = 0; i < 2; i++) {
                MemorySegment aT = random(r, (long) n * e);
                for (long j = 0; j < (long) n * e; j++) {
                    aT.setAtIndex(JAVA_FLOAT, j, -(1 + (j % n)) * 0.5f * Math.abs(aT.getAtIndex(JAVA_FLOAT, j) + 1.2f));
                }
                branch[i] = new MemorySegment[] {random(r, (long) e * k), random(r, e), scaled(random(r, (long) (rk + 2 * n) * e), 0.3f),
                        random(r, (long) e * rk), random(r, e), aT, random(r, e)};
            }
        }

        BlockWeights place(Kernels k) {
            int d = c.embedDim(), e = c.dInner(), n = c.dState(), rk = c.dtRank();
            BranchWeights[] b = new BranchWeights[2];
            for (int i = 0; i < 2; i++) {
                MemorySegment[] s = branch[i];
                b[i] = new BranchWeights(s[0], s[1], k.prepareLinear(tensor(s[2], rk + 2 * n, e), null, arena),
                        k.prepareLinear(tensor(s[3], e, rk), null, arena), s[4], s[5], s[6]);
            }
            return new BlockWeights(random(new Random(0), d), k.prepareLinear(tensor(inProj, 2L * e, d), null, arena), b[0], b[1],
                    k.prepareLinear(tensor(outProj, d, e), null, arena));
        }

        static MemorySegment scaled(MemorySegment s, float f) {
            for (long i = 0; i < s.byteSize() / 4; i++) {
                s.setAtIndex(JAVA_FLOAT, i, s.getAtIndex(JAVA_FLOAT, i) * f);
            }
            return s;
        }
    }

    static void mixer(Kernels k, VimConfig c, BlockWeights bw, Workspace ws, int batch, int len) {
        int rows = batch * len, e = c.dInner();
        k.linear(ws.normed, 0, c.embedDim(), rows, bw.inProj(), ws.xz, 0, 2 * e);
        branch(k, c, bw.forward(), ws, batch, len, false);
        branch(k, c, bw.backward(), ws, batch, len, true);
        k.linear(ws.y, 0, e, rows, bw.outProj(), ws.hidden, 0, c.embedDim());
    }

    static void branch(Kernels k, VimConfig c, BranchWeights br, Workspace ws, int batch, int len, boolean reverse) {
        int rows = batch * len, e = c.dInner(), r = c.dtRank(), n = c.dState(), xdbl = c.xProjOut();
        k.convSilu(ws.xz, 0, 2 * e, br.convW(), br.convB(), ws.xc, 0, e, batch, len, e, c.dConv(), reverse);
        k.linear(ws.xc, 0, e, rows, br.xProj(), ws.xDbl, 0, xdbl);
        k.linear(ws.xDbl, 0, xdbl, rows, br.dtProj(), ws.delta, 0, e);
        k.selectiveScan(ws.xc, 0, e, ws.delta, 0, e, br.aT(), ws.xDbl, r, r + n, xdbl, br.dSkip(), br.dtBias(), ws.xz, e,
                2 * e, ws.y, 0, e, batch, len, e, n, reverse, 0.5f, reverse);
    }
}

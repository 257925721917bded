package org.vim4j.backend.ffm;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vim4j.VimException;
import org.vim4j.backend.scalar.ScalarKernels;
import org.vim4j.bindings.vim4j_h;
import org.vim4j.bindings.vim4j_mixer_buffers;
import org.vim4j.bindings.vim4j_mixer_weights;
import org.vim4j.bindings.vim4j_rows;
import org.vim4j.kernel.BranchBuffers;
import org.vim4j.kernel.BranchWeights;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.MixerBuffers;
import org.vim4j.kernel.MixerDims;
import org.vim4j.kernel.MixerWeights;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;
import org.vim4j.kernel.Stage;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/**
 * What the NATIVE backend adds to the contract (its primitives are checked against the scalar reference by
 * KernelConformanceTest): the fused mixer layer against the composition (bit-identical, any thread count) and against
 * the scalar reference; which weights and buffers it fuses; the checks before any native code runs (bounds, heap
 * segments where a struct points, closed arenas, a closed backend); native errors as VimExceptions; no heap allocation
 * in steady state; and one native runtime per instance that keeps its thread count (workers counted by name in
 * /proc). Skipped, with the loader's reason, when libvim4j.so is not built.
 */
class NativeKernelsTest {
    static final ScalarKernels REF = new ScalarKernels();
    static Arena arena;

    @BeforeAll
    static void setUp() {
        NativeLibrary.Status s = NativeLibrary.status();
        assumeTrue(s.available(), "native library not available: " + s.reason());
        arena = Arena.ofShared();
    }

    @AfterAll
    static void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    static MemorySegment random(Random r, long n) {
        MemorySegment s = arena.allocate(Math.max(n, 1) * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, r.nextFloat() * 2 - 1);
        }
        return s;
    }

    static Tensor tensor(MemorySegment s, long... shape) {
        return Tensor.wrap("t", DType.F32, s.asSlice(0, Tensor.numel(shape) * 4), shape);
    }

    static float[] floats(MemorySegment s, long n) {
        return s.asSlice(0, n * 4).toArray(JAVA_FLOAT);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The fused mixer layer

    /** Random weights of one mixer layer (D = 24, E = 40, N = 16, R = 3, K = 4), placed by any backend. */
    static final class Layer {
        final MixerDims dims = new MixerDims(24, 40, 16, 3);
        final int k = 4;
        final MemorySegment inProj, outProj;
        final MemorySegment[][] branch = new MemorySegment[2][];

        Layer(Random r) {
            int d = dims.dModel(), e = dims.dInner(), n = dims.dState(), rk = dims.dtRank();
            inProj = scaled(random(r, 2L * e * d), 0.3f);
            outProj = scaled(random(r, (long) d * e), 0.3f);
            for (int i = 0; i < 2; i++) {
                MemorySegment aT = random(r, (long) n * e);
                for (long j = 0; j < (long) n * e; j++) {
                    aT.setAtIndex(JAVA_FLOAT, j, -(1 + (j / e)) * 0.5f * Math.abs(aT.getAtIndex(JAVA_FLOAT, j) + 1.2f));
                }
                branch[i] = new MemorySegment[] {random(r, (long) e * k), random(r, e), scaled(random(r, (long) (rk + 2 * n) * e), 0.3f),
                        random(r, (long) e * rk), random(r, e), aT, random(r, e)};
            }
        }

        MixerWeights place(Kernels kk) {
            int d = dims.dModel(), e = dims.dInner(), n = dims.dState(), rk = dims.dtRank();
            BranchWeights[] b = new BranchWeights[2];
            for (int i = 0; i < 2; i++) {
                MemorySegment[] s = branch[i];
                b[i] = new BranchWeights(new ConvWeights(s[0], s[1], e, k), kk.prepareLinear(tensor(s[2], rk + 2 * n, e), null, arena),
                        kk.prepareLinear(tensor(s[3], e, rk), null, arena), new ScanWeights(s[5], s[6], s[4], e, n));
            }
            return new MixerWeights(kk.prepareLinear(tensor(inProj, 2L * e, d), null, arena), b[0], b[1],
                    kk.prepareLinear(tensor(outProj, d, e), null, arena));
        }

        MixerBuffers buffers(Kernels kk, long rows, MemorySegment input) {
            MemorySegment normed = kk.allocate(arena, rows * dims.dModel()), hidden = kk.allocate(arena, rows * dims.dModel());
            MemorySegment.copy(input, 0, normed, 0, input.byteSize());
            return MixerBuffers.allocate(kk, arena, dims, rows, normed, hidden);
        }

        static MemorySegment scaled(MemorySegment s, float f) {
            for (long i = 0; i < s.byteSize() / 4; i++) {
                s.setAtIndex(JAVA_FLOAT, i, s.getAtIndex(JAVA_FLOAT, i) * f);
            }
            return s;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void theFusedMixerIsTheCompositionBitForBit(int threads) {
        Random r = new Random(9);
        Layer layer = new Layer(r);
        int batch = 2, len = 13, rows = batch * len, d = layer.dims.dModel(), e = layer.dims.dInner();
        MemorySegment input = random(r, (long) rows * d);
        try (NativeKernels nk = new NativeKernels(threads)) {
            MixerWeights raw = layer.place(nk), fusedW = nk.prepareMixer(raw, arena);
            assertEquals(vim4j_mixer_weights.sizeof(), fusedW.fused().byteSize(), "prepareMixer builds the struct");
            // a workspace for more rows than the call uses
            MixerBuffers composed = layer.buffers(nk, rows, input), fused = nk.prepareBuffers(layer.buffers(nk, rows + 5, input), arena);
            assertEquals(vim4j_mixer_buffers.sizeof(), fused.fused().byteSize(), "prepareBuffers builds the struct");
            nk.mixer(raw, composed, batch, len, null); // no fused struct: the composition
            nk.mixer(fusedW, fused, batch, len, null);
            assertEquals(List.of(), diff(floats(composed.hidden(), (long) rows * d), floats(fused.hidden(), (long) rows * d)),
                    "fused hidden vs composition");
            assertEquals(List.of(), diff(floats(composed.y().data(), (long) rows * e), floats(fused.y().data(), (long) rows * e)),
                    "fused y vs composition");

            // with a probe the fused weights and buffers compose, and the probe sees every stage
            MixerBuffers probed = nk.prepareBuffers(layer.buffers(nk, rows, input), arena);
            List<Stage> seen = new ArrayList<>();
            nk.mixer(fusedW, probed, batch, len, (stage, data, rr, cols) -> seen.add(stage));
            assertEquals(List.of(Stage.CONV_FORWARD, Stage.Y_AFTER_FORWARD, Stage.CONV_BACKWARD, Stage.Y_AFTER_BACKWARD,
                    Stage.MIXER), seen);
            assertEquals(List.of(), diff(floats(composed.hidden(), (long) rows * d), floats(probed.hidden(), (long) rows * d)),
                    "probed hidden vs composition");

            // and the scalar reference agrees within fp32 rounding
            MixerBuffers ref = layer.buffers(REF, rows, input);
            REF.mixer(layer.place(REF), ref, batch, len, null);
            float[] want = floats(ref.hidden(), (long) rows * d), got = floats(fused.hidden(), (long) rows * d);
            for (int i = 0; i < want.length; i++) {
                assertTrue(Math.abs(want[i] - got[i]) <= 1e-4 * (1 + Math.abs(want[i])), "hidden[" + i + "] " + got[i]
                        + " vs scalar " + want[i]);
            }
        }
    }

    /** Indices where a and b differ in their bits (at most 5). */
    static List<Integer> diff(float[] a, float[] b) {
        List<Integer> bad = new ArrayList<>();
        for (int i = 0; i < a.length && bad.size() < 5; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                bad.add(i);
            }
        }
        return bad;
    }

    @Test
    void whatCannotBeFusedKeepsTheComposition() {
        Random r = new Random(3);
        Layer layer = new Layer(r);
        try (NativeKernels nk = new NativeKernels(2)) {
            MixerWeights w = layer.place(nk);
            // a heap segment among the weights
            BranchWeights f = w.forward();
            MemorySegment heapBias = MemorySegment.ofArray(new float[layer.dims.dInner()]);
            MixerWeights heap = new MixerWeights(w.inProj(), new BranchWeights(new ConvWeights(f.conv().weight(), heapBias,
                    f.conv().channels(), f.conv().kernel()), f.xProj(), f.dtProj(), f.scan()), w.backward(), w.outProj());
            assertSame(heap, nk.prepareMixer(heap, arena));
            // buffers whose views are not the standard ones
            MixerBuffers b = layer.buffers(nk, 10, random(r, 10L * layer.dims.dModel()));
            BranchBuffers f0 = b.forward();
            ScanInputs in = f0.scan();
            BranchBuffers zAtX = new BranchBuffers(f0.xc(), f0.xDbl(), f0.x(), f0.conv(), new ScanInputs(in.u(), in.delta(),
                    in.b(), in.c(), f0.x()));
            MixerBuffers odd = new MixerBuffers(b.dims(), b.rows(), b.normed(), b.hidden(), b.xz(), b.delta(), b.y(), zAtX,
                    b.backward(), MemorySegment.NULL);
            assertSame(odd, nk.prepareBuffers(odd, arena), "z read from the x half: not the layout the fused kernel assumes");
            assertNotEquals(MemorySegment.NULL, nk.prepareBuffers(b, arena).fused());
            // inconsistent shapes are refused when the weights are prepared
            MixerWeights wrong = new MixerWeights(w.inProj(), w.forward(), new BranchWeights(w.backward().conv(),
                    w.backward().xProj(), w.backward().dtProj(), new ScanWeights(f.scan().aT(), f.scan().dSkip(),
                    f.scan().deltaBias(), layer.dims.dInner(), 8)), w.outProj());
            assertThrows(IllegalArgumentException.class, () -> nk.prepareMixer(wrong, arena));
            // more rows than the workspace holds
            MixerWeights fused = nk.prepareMixer(w, arena);
            MixerBuffers fb = nk.prepareBuffers(b, arena);
            assertThrows(IllegalArgumentException.class, () -> nk.mixer(fused, fb, 2, 6, null));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Checks before native code runs

    @Test
    void badArgumentsThrowBeforeAnyNativeCodeRuns() {
        Random r = new Random(7);
        try (NativeKernels nk = new NativeKernels(2)) {
            LinearWeight lw = nk.prepareLinear(tensor(random(r, 8 * 4), 8, 4), null, arena);
            MemorySegment small = random(r, 10);
            assertThrows(IndexOutOfBoundsException.class, () -> nk.linear(small, 0, 4, 16, lw, random(r, 16 * 8), 0, 8));
            assertThrows(IllegalArgumentException.class, () -> nk.linear(small, 0, 3, 1, lw, random(r, 8), 0, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> nk.convSilu(new Rows(small, 0, 4),
                    new ConvWeights(small, small, 4, 4), new Rows(small, 0, 4), 2, 8, false));
            assertThrows(VimException.class, () -> nk.linear(small, 0, 4, 1, REF.prepareLinear(tensor(random(r, 32), 8, 4), null,
                    arena), small, 0, 8));
            // a struct may only point into native memory
            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class, () -> nk.linear(
                    MemorySegment.ofArray(new float[4]), 0, 4, 1, lw, random(r, 8), 0, 8));
            assertTrue(heap.getMessage().contains("heap segment"), heap.getMessage());
            // a segment of a closed arena
            MemorySegment gone;
            try (Arena a = Arena.ofConfined()) {
                gone = a.allocate(64 * 4, 64);
            }
            assertThrows(IllegalStateException.class, () -> nk.linear(gone, 0, 4, 1, lw, random(r, 8), 0, 8));
            // a segment confined to another thread
            try (Arena a = Arena.ofConfined()) {
                MemorySegment mine = a.allocate(64 * 4, 64);
                Throwable[] thrown = new Throwable[1];
                Thread t = new Thread(() -> {
                    try {
                        nk.linear(mine, 0, 4, 1, lw, random(r, 8), 0, 8);
                    } catch (Throwable e) {
                        thrown[0] = e;
                    }
                });
                t.start();
                t.join();
                assertTrue(thrown[0] instanceof WrongThreadException, String.valueOf(thrown[0]));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void plainPointerKernelsTakeHeapSegments() {
        Random r = new Random(2);
        try (NativeKernels nk = new NativeKernels(2)) {
            float[] res = new float[5 * 33], w = new float[33];
            for (int i = 0; i < res.length; i++) {
                res[i] = r.nextFloat() - 0.5f;
            }
            java.util.Arrays.fill(w, 1.5f);
            MemorySegment nres = arena.allocate(res.length * 4L, 64), nw = arena.allocate(w.length * 4L, 64);
            MemorySegment.copy(res, 0, nres, JAVA_FLOAT, 0, res.length);
            MemorySegment.copy(w, 0, nw, JAVA_FLOAT, 0, w.length);
            float[] out = new float[res.length];
            MemorySegment nout = arena.allocate(out.length * 4L, 64);
            nk.addRmsNorm(MemorySegment.ofArray(res), null, MemorySegment.ofArray(w), MemorySegment.ofArray(out), 5, 33, 1e-5f);
            nk.addRmsNorm(nres, null, nw, nout, 5, 33, 1e-5f);
            assertEquals(List.of(), diff(floats(nout, out.length), out));
            float[] img = new float[2 + 3 * 16 * 16];
            for (int i = 0; i < img.length; i++) {
                img[i] = i;
            }
            PatchGrid g = new PatchGrid(3, 16, 16, 4, 4);
            MemorySegment patches = arena.allocate((long) g.patches() * g.patchInputs() * 4, 64);
            MemorySegment want = arena.allocate(patches.byteSize(), 64);
            nk.im2col(MemorySegment.ofArray(img), 2, g, patches, 0);
            REF.im2col(MemorySegment.ofArray(img), 2, g, want, 0);
            assertEquals(List.of(), diff(floats(want, want.byteSize() / 4), floats(patches, patches.byteSize() / 4)));
        }
    }

    @Test
    void aClosedBackendRefusesCalls() {
        Random r = new Random(5);
        NativeKernels nk = new NativeKernels(2);
        LinearWeight lw = nk.prepareLinear(tensor(random(r, 8 * 4), 8, 4), null, arena);
        MemorySegment a = random(r, 4), c = random(r, 8);
        nk.linear(a, 0, 4, 1, lw, c, 0, 8);
        nk.close();
        nk.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> nk.linear(a, 0, 4, 1, lw, c, 0, 8));
        assertThrows(IllegalStateException.class, nk::runtimeThreads);
    }

    @Test
    void nativeErrorsBecomeVimExceptionsWithTheLibrarysMessage() {
        int status = vim4j_h.vim4j_conv_silu(MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, 1, 4,
                0);
        assertNotEquals(vim4j_h.VIM4J_OK(), status, "NULL structs must be rejected");
        VimException e = NativeKernels.failure(status, "vim4j_conv_silu");
        assertTrue(e.getMessage().startsWith("vim4j_conv_silu failed with VIM4J_ERR_INVALID_ARGUMENT: vim4j_conv_silu: "
                + "invalid argument 'x'"), e.getMessage());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rows = vim4j_rows.allocate(a);
            vim4j_rows.data(rows, a.allocate(64));
            vim4j_rows.ld(rows, 3);
            MemorySegment w = org.vim4j.bindings.vim4j_linear_weight.allocate(a);
            org.vim4j.bindings.vim4j_linear_weight.packed(w, a.allocate(64));
            org.vim4j.bindings.vim4j_linear_weight.n(w, 4);
            org.vim4j.bindings.vim4j_linear_weight.k(w, 4);
            status = vim4j_h.vim4j_linear(MemorySegment.NULL, rows, 1, w, rows);
            assertTrue(NativeKernels.failure(status, "vim4j_linear").getMessage().contains("'a->ld' = 3: must be >= w->k (= 4)"));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Steady state

    /**
     * Steady state allocates nothing on the heap: argument structs live in per-thread scratch (primitives) or are built
     * once (the fused mixer), offset slices are cached. Once the JIT has compiled the downcall path (the interpreter's
     * does allocate) a round of every op allocates 0 bytes on the calling thread; batches repeat until one does or the
     * time budget runs out. Native workers are not Java threads, so two threads are fine here.
     */
    @Test
    void steadyStateCallsAllocateNothing() {
        assumeTrue(java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "no per-thread allocation counter in this JVM");
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "allocation counting is off");
        Random r = new Random(10);
        Layer layer = new Layer(r);
        try (NativeKernels nk = new NativeKernels(2)) {
            int m = 24, k = 16, n = 12, ch = 32, len = 8, st = 8;
            LinearWeight lw = nk.prepareLinear(tensor(random(r, (long) n * k), n, k), tensor(random(r, n), n), arena);
            MemorySegment a = random(r, 4096), c = random(r, 4096), w = random(r, 256);
            Rows x = new Rows(a, 1, 2 * ch), out = new Rows(c, 2, ch);
            ConvWeights cw = new ConvWeights(w, w, ch, 4);
            ScanInputs in = new ScanInputs(new Rows(a, 0, ch), new Rows(a, 0, ch), new Rows(a, 2, 2 + 2 * st),
                    new Rows(a, 2 + st, 2 + 2 * st), new Rows(a, ch, 2 * ch));
            ScanWeights sw = new ScanWeights(w, w, w, ch, st);
            ScanMode mode = ScanMode.BACKWARD_HALF;
            PatchGrid grid = new PatchGrid(3, 8, 8, 4, 4);
            MixerWeights mw = nk.prepareMixer(layer.place(nk), arena);
            MixerBuffers mb = nk.prepareBuffers(layer.buffers(nk, 26, random(r, 26L * layer.dims.dModel())), arena);
            MemorySegment normOut = c.asSlice(3000 * 4);
            long tid = Thread.currentThread().threadId();
            long deadline = System.nanoTime() + 60_000_000_000L;
            long bytes = -1;
            int batches = 0;
            while (bytes != 0 && System.nanoTime() < deadline) {
                long before = mx.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 300; i++) {
                    nk.linear(a, 5, k, m, lw, c, 7, n);
                    nk.addRmsNorm(a, c, w, normOut, m, 16, 1e-5f);
                    nk.convSilu(x, cw, out, 2, len, true);
                    nk.selectiveScan(in, sw, out, 2, len, mode);
                    nk.im2col(a, 3, grid, c, 11);
                    nk.mixer(mw, mb, 2, 13, null);
                }
                bytes = mx.getThreadAllocatedBytes(tid) - before;
                batches++;
            }
            assertEquals(0, bytes, "heap bytes allocated by the last of " + batches
                    + " batches of 300 rounds of linear, addRmsNorm, convSilu, selectiveScan, im2col, fused mixer");
        }
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

    // ---------------------------------------------------------------------------------------------------------
    // One runtime (a thread limit) per instance, one pool of workers per process

    /**
     * Three instances with 1, 2 and 3 threads run a split-size GEMM concurrently: each runtime reports its own count,
     * the results are the single-threaded ones, and the process's one pool has as many native workers (named
     * vim4j-worker) as the largest instance needs, 2, shared by all three; closing an instance leaves them to the others.
     */
    @Test
    void eachInstanceKeepsItsOwnThreads() throws Exception {
        int before = NativeWorkers.count();
        assumeTrue(before >= 0, "no /proc/self/task here");
        int shared = Math.max(before, 2);
        Random r = new Random(11);
        int m = 197, k = 192, n = 768;
        MemorySegment a = random(r, (long) m * k), wt = random(r, (long) n * k);
        NativeKernels[] nk = {new NativeKernels(1), new NativeKernels(2), new NativeKernels(3)};
        try {
            assertEquals(before, NativeWorkers.count(), "workers start on first use");
            MemorySegment want = arena.allocate((long) m * n * 4, 64);
            nk[0].linear(a, 0, k, m, nk[0].prepareLinear(tensor(wt, n, k), null, arena), want, 0, n);
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> runners = new ArrayList<>();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            for (NativeKernels kk : nk) {
                LinearWeight lw = kk.prepareLinear(tensor(wt, n, k), null, arena);
                MemorySegment c = arena.allocate((long) m * n * 4, 64);
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 50; i++) {
                            kk.linear(a, 0, k, m, lw, c, 0, n);
                            if (!diff(floats(want, (long) m * n), floats(c, (long) m * n)).isEmpty()) {
                                problems.add(kk.threads() + " threads: wrong result");
                            }
                        }
                    } catch (Throwable e) {
                        problems.add(kk.threads() + " threads: " + e);
                    }
                });
                t.start();
                runners.add(t);
            }
            start.countDown();
            for (Thread t : runners) {
                t.join();
            }
            assertEquals(List.of(), problems);
            for (int i = 0; i < 3; i++) {
                assertEquals(i + 1, nk[i].threads());
                assertEquals(i + 1, nk[i].runtimeThreads(), "the native runtime's own count");
            }
            assertEquals(shared, NativeWorkers.awaitCount(shared), "one shared pool: the 3-thread instance's 2 workers");
            nk[2].close();
            assertEquals(shared, NativeWorkers.awaitCount(shared), "closing an instance leaves the pool to the others");
        } finally {
            for (NativeKernels kk : nk) {
                kk.close();
            }
        }
        assertEquals(shared, NativeWorkers.awaitCount(shared), "the workers stay parked for the next models");
    }
}

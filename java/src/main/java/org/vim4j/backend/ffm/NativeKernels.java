package org.vim4j.kernel.nativ;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.VimException;
import org.vim4j.bindings.vim4j_h;
import org.vim4j.kernel.BackendKind;
import org.vim4j.kernel.KernelThreads;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.ParallelTask;
import org.vim4j.kernel.scalar.ScalarKernels;
import org.vim4j.model.BlockWeights;
import org.vim4j.model.BranchWeights;
import org.vim4j.model.VimConfig;
import org.vim4j.model.Workspace;
import org.vim4j.tensor.Tensor;

/**
 * The NATIVE backend: vim4j's C++ kernels ({@code libvim4j.so}, runtime ISA dispatch) through the FFM bindings
 * in {@code org.vim4j.bindings}. Each native kernel is single-threaded over the rows or channels it is given;
 * parallelism is Java's: GEMM and RMSNorm rows, conv and scan channel ranges (multiples of 16) are split across
 * the {@link KernelThreads} pool (or run on the calling thread when a buffer is thread-confined). The short kernels use {@code critical(true)} handles, so heap segments
 * ({@code MemorySegment.ofArray}) work as inputs too; {@link #mixerForward} (a whole layer on native threads)
 * needs native segments.
 *
 * <p>Every native status other than {@code VIM4J_OK} becomes a {@link VimException} carrying
 * {@code vim4j_last_error()}. Arguments are bounds-checked here, before any native code runs (the whole extent
 * each kernel touches, from offsets and leading dimensions), so a bad offset is an
 * {@link IndexOutOfBoundsException}, never a crash.
 * Dispatch reuses one set of task objects per calling thread, and offset pointers come from a per-thread
 * cache of slices ({@link Slices}): steady-state calls allocate nothing on the heap.
 */
public final class NativeKernels implements Kernels, org.vim4j.model.FusedMixer {
    /** Channel ranges handed to one task are multiples of this (the kernels' SIMD blocking). */
    static final int CHANNEL_BLOCK = 16;
    /** Fewest GEMM / RMSNorm rows worth a task of their own. */
    static final int MIN_ROWS_PER_TASK = 8;

    private final KernelThreads threads;
    private final ScalarKernels plain = new ScalarKernels();
    private final ThreadLocal<Tasks> tasks = ThreadLocal.withInitial(this::newTasks);
    private static volatile int nativeThreads = -1;
    private static final Thread CONFINEMENT_PROBE = new Thread(() -> { }, "vim4j-native-confinement-probe");

    public NativeKernels(KernelThreads threads) {
        NativeLibrary.Status s = NativeLibrary.status();
        if (!s.available()) {
            throw new VimException("backend 'native' is unavailable: " + s.reason());
        }
        this.threads = threads;
    }

    /**
     * Runs a loop on the pool, or on the calling thread when a buffer is thread-confined (a caller's confined arena):
     * a worker passing it to a downcall would get a WrongThreadException.
     */
    private void dispatch(ParallelTask task, int count, boolean shared) {
        if (shared) {
            threads.run(task, count);
        } else {
            for (int i = 0; i < count; i++) {
                task.run(i);
            }
        }
    }

    /**
     * True when threads other than the caller may access {@code s} (shared, global, automatic or heap; null counts
     * as shareable): {@link MemorySegment#isAccessibleBy} against a thread that is never started.
     */
    static boolean shareable(MemorySegment s) {
        return s == null || s.isAccessibleBy(CONFINEMENT_PROBE);
    }

    private Tasks newTasks() {
        return new Tasks();
    }

    @Override
    public BackendKind kind() {
        return BackendKind.NATIVE;
    }

    @Override
    public int threads() {
        return threads.size();
    }

    /** The ISA tier the library dispatched to (portable, avx2, avx512). */
    public String isa() {
        return NativeLibrary.status().isa();
    }

    /** W packed by {@code vim4j_linear_pack} for this ISA, plus the bias (or NULL). */
    record NativeLinear(MemorySegment packed, MemorySegment bias, int outFeatures, int inFeatures) implements LinearWeight {
        @Override
        public boolean hasBias() {
            return !bias.equals(MemorySegment.NULL);
        }
    }

    @Override
    public LinearWeight prepareLinear(Tensor weight, Tensor bias, Arena arena) {
        Tensor w = weight.toF32(arena);
        int n = Math.toIntExact(w.dim(0));
        if (n <= 0 || w.numel() % n != 0) {
            throw new VimException("linear weight '" + weight.name() + "': cannot view " + java.util.Arrays.toString(w.shape())
                    + " as (N, K)");
        }
        int k = Math.toIntExact(w.numel() / n);
        long size = vim4j_h.vim4j_linear_packed_size(n, k);
        if (size <= 0) {
            throw failure(vim4j_h.VIM4J_ERR_INVALID_ARGUMENT(), "vim4j_linear_packed_size(" + n + ", " + k + ")");
        }
        MemorySegment packed = arena.allocate(size * 4, 64);
        check(vim4j_h.vim4j_linear_pack(nativeCopy(w.data(), arena), n, k, packed), "vim4j_linear_pack");
        MemorySegment b = MemorySegment.NULL;
        if (bias != null) {
            Tensor bt = bias.toF32(arena);
            if (bt.numel() != n) {
                throw new VimException("linear bias '" + bias.name() + "' has " + bt.numel() + " values for " + n + " outputs");
            }
            b = nativeCopy(bt.data(), arena);
        }
        return new NativeLinear(packed, b, n, k);
    }

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight lw, MemorySegment c, long cOff, int ldc) {
        NativeLinear w = cast(lw);
        if (m <= 0) {
            return;
        }
        checkStrided(a, aOff, lda, m, w.inFeatures(), "linear a");
        checkStrided(c, cOff, ldc, m, w.outFeatures(), "linear c");
        Tasks ts = tasks.get();
        LinearTask t = ts.linear;
        int per = rowsPerTask(m), count = ceilDiv(m, per);
        for (int i = 0; i < count; i++) {
            t.a[i] = ts.slices.at(a, aOff + (long) i * per * lda);
            t.c[i] = ts.slices.at(c, cOff + (long) i * per * ldc);
        }
        t.lda = lda;
        t.ldc = ldc;
        t.m = m;
        t.per = per;
        t.w = w;
        try {
            dispatch(t, count, shareable(a) && shareable(c));
        } finally {
            t.clear(count);
        }
    }

    @Override
    public void addRmsNorm(MemorySegment residual, long rOff, MemorySegment hidden, long hOff, MemorySegment weight,
            MemorySegment out, long oOff, int rows, int dim, float eps) {
        if (rows <= 0) {
            return;
        }
        if (dim <= 0) {
            throw new IllegalArgumentException("addRmsNorm: dim must be > 0, got " + dim);
        }
        long floats = (long) rows * dim;
        checkFloats(residual, rOff, floats, "addRmsNorm residual");
        if (hidden != null) {
            checkFloats(hidden, hOff, floats, "addRmsNorm hidden");
        }
        checkFloats(weight, 0, dim, "addRmsNorm weight");
        checkFloats(out, oOff, floats, "addRmsNorm out");
        Tasks ts = tasks.get();
        NormTask t = ts.norm;
        int per = rowsPerTask(rows), count = ceilDiv(rows, per);
        for (int i = 0; i < count; i++) {
            long first = (long) i * per * dim;
            t.residual[i] = ts.slices.at(residual, rOff + first);
            t.hidden[i] = hidden == null ? MemorySegment.NULL : ts.slices.at(hidden, hOff + first);
            t.out[i] = ts.slices.at(out, oOff + first);
        }
        t.weight = weight;
        t.rows = rows;
        t.dim = dim;
        t.eps = eps;
        t.per = per;
        try {
            dispatch(t, count, shareable(residual) && shareable(hidden) && shareable(weight) && shareable(out));
        } finally {
            t.clear(count);
        }
    }

    @Override
    public void convSilu(MemorySegment x, long xOff, int ldx, MemorySegment w, MemorySegment bias, MemorySegment out,
            long oOff, int ldo, int batch, int len, int channels, int kernel, boolean reverse) {
        if (batch <= 0 || len <= 0 || channels <= 0) {
            return;
        }
        long rows = (long) batch * len;
        checkStrided(x, xOff, ldx, rows, channels, "convSilu x");
        checkFloats(w, 0, (long) channels * kernel, "convSilu w");
        checkFloats(bias, 0, channels, "convSilu bias");
        checkStrided(out, oOff, ldo, rows, channels, "convSilu out");
        Tasks ts = tasks.get();
        ConvTask t = ts.conv;
        t.x = ts.slices.at(x, xOff);
        t.ldx = ldx;
        t.w = w;
        t.bias = bias;
        t.out = ts.slices.at(out, oOff);
        t.ldo = ldo;
        t.batch = batch;
        t.len = len;
        t.channels = channels;
        t.kernel = kernel;
        t.reverse = reverse ? 1 : 0;
        t.per = channelsPerTask(channels);
        try {
            dispatch(t, ceilDiv(channels, t.per), shareable(x) && shareable(w) && shareable(bias) && shareable(out));
        } finally {
            t.x = t.w = t.bias = t.out = null;
        }
    }

    @Override
    public void selectiveScan(MemorySegment u, long uOff, int ldu, MemorySegment delta, long dOff, int ldd,
            MemorySegment aT, MemorySegment bc, long bOff, long cOff, int ldbc, MemorySegment dSkip,
            MemorySegment deltaBias, MemorySegment z, long zOff, int ldz, MemorySegment out, long oOff, int ldo,
            int batch, int len, int channels, int states, boolean reverse, float outScale, boolean accumulate) {
        if (batch <= 0 || len <= 0 || channels <= 0) {
            return;
        }
        long rows = (long) batch * len;
        checkStrided(u, uOff, ldu, rows, channels, "selectiveScan u");
        checkStrided(delta, dOff, ldd, rows, channels, "selectiveScan delta");
        checkFloats(aT, 0, (long) states * channels, "selectiveScan aT");
        checkStrided(bc, bOff, ldbc, rows, states, "selectiveScan B");
        checkStrided(bc, cOff, ldbc, rows, states, "selectiveScan C");
        checkFloats(dSkip, 0, channels, "selectiveScan dSkip");
        checkFloats(deltaBias, 0, channels, "selectiveScan deltaBias");
        checkStrided(z, zOff, ldz, rows, channels, "selectiveScan z");
        checkStrided(out, oOff, ldo, rows, channels, "selectiveScan out");
        Tasks ts = tasks.get();
        ScanTask t = ts.scan;
        t.u = ts.slices.at(u, uOff);
        t.ldu = ldu;
        t.delta = ts.slices.at(delta, dOff);
        t.ldd = ldd;
        t.aT = aT;
        t.b = ts.slices.at(bc, bOff);
        t.c = ts.slices.at(bc, cOff);
        t.ldbc = ldbc;
        t.dSkip = dSkip;
        t.deltaBias = deltaBias;
        t.z = ts.slices.at(z, zOff);
        t.ldz = ldz;
        t.out = ts.slices.at(out, oOff);
        t.ldo = ldo;
        t.batch = batch;
        t.len = len;
        t.channels = channels;
        t.states = states;
        t.reverse = reverse ? 1 : 0;
        t.outScale = outScale;
        t.accumulate = accumulate ? 1 : 0;
        t.per = channelsPerTask(channels);
        boolean shared = shareable(u) && shareable(delta) && shareable(aT) && shareable(bc) && shareable(dSkip)
                && shareable(deltaBias) && shareable(z) && shareable(out);
        try {
            dispatch(t, ceilDiv(channels, t.per), shared);
        } finally {
            t.u = t.delta = t.aT = t.b = t.c = t.dSkip = t.deltaBias = t.z = t.out = null;
        }
    }

    @Override
    public void im2col(MemorySegment image, long iOff, int channels, int height, int width, int patch, int stride,
            MemorySegment out, long oOff) {
        if (patch <= 0 || stride <= 0 || height < patch || width < patch) {
            throw new IllegalArgumentException("im2col: patch " + patch + ", stride " + stride + " on " + height + "x" + width);
        }
        long gh = (height - patch) / stride + 1, gw = (width - patch) / stride + 1;
        checkFloats(image, iOff, (long) channels * height * width, "im2col image");
        checkFloats(out, oOff, gh * gw * channels * patch * patch, "im2col out");
        Slices slices = tasks.get().slices;
        check(vim4j_h.vim4j_im2col(slices.at(image, iOff), channels, height, width, patch, stride, slices.at(out, oOff)),
                "vim4j_im2col");
    }

    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        plain.add(dst, dOff, src, sOff, n); // once per image: not worth a downcall
    }

    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        plain.copy(src, sOff, dst, dOff, n);
    }

    /**
     * One whole bimamba-v2 mixer layer in one native call (vim-spec.md §2.1, {@code vim4j_mixer_forward}):
     * {@code ws.hidden = Mixer(ws.normed)} for {@code batch} sequences of {@code len} tokens, using the xz, xc,
     * xDbl, delta and y buffers of {@code ws} as scratch, on up to {@link #threads()} native threads. Same result as
     * the kernel-by-kernel composition in {@code VimForward}, without its intermediate stages (so use it only when
     * no {@code StageObserver} is attached).
     *
     * @return false, with nothing written, when these weights cannot take the fused path (a linear layer that has
     *     a bias or was not prepared by this backend, or a heap segment); the caller then runs the composition
     */
    public boolean mixerForward(VimConfig c, BlockWeights bw, Workspace ws, int batch, int len) {
        if (!fusable(bw.inProj()) || !fusable(bw.outProj()) || !fusable(bw.forward()) || !fusable(bw.backward())) {
            return false;
        }
        if (!(ws.normed.isNative() && ws.hidden.isNative() && ws.xz.isNative() && ws.xc.isNative() && ws.xDbl.isNative()
                && ws.delta.isNative() && ws.y.isNative())) {
            return false;
        }
        long rows = (long) batch * len;
        int d = c.embedDim(), e = c.dInner(), n = c.dState(), r = c.dtRank(), k = c.dConv();
        checkLinear(bw.inProj(), 2 * e, d, "in_proj");
        checkLinear(bw.outProj(), d, e, "out_proj");
        requireFloats(ws.normed, rows * d, "h");
        requireFloats(ws.hidden, rows * d, "hidden");
        requireFloats(ws.xz, rows * 2 * e, "xz");
        requireFloats(ws.xc, rows * e, "xc");
        requireFloats(ws.xDbl, rows * (r + 2L * n), "x_dbl");
        requireFloats(ws.delta, rows * e, "delta");
        requireFloats(ws.y, rows * e, "y");
        BranchWeights f = bw.forward(), b = bw.backward();
        checkBranch(f, e, n, r, k);
        checkBranch(b, e, n, r, k);
        int want = threads.size();
        if (nativeThreads != want) {
            vim4j_h.vim4j_set_threads(want);
            nativeThreads = want;
        }
        check(vim4j_h.vim4j_mixer_forward(ws.normed, ws.hidden, batch, len, d, e, n, r, k,
                packed(bw.inProj()), packed(bw.outProj()),
                f.convW(), f.convB(), packed(f.xProj()), packed(f.dtProj()), f.dtBias(), f.aT(), f.dSkip(),
                b.convW(), b.convB(), packed(b.xProj()), packed(b.dtProj()), b.dtBias(), b.aT(), b.dSkip(),
                ws.xz, ws.xc, ws.xDbl, ws.delta, ws.y), "vim4j_mixer_forward");
        return true;
    }

    private static boolean fusable(LinearWeight w) {
        return w instanceof NativeLinear nl && !nl.hasBias() && nl.packed().isNative();
    }

    private static boolean fusable(BranchWeights br) {
        return fusable(br.xProj()) && fusable(br.dtProj()) && br.convW().isNative() && br.convB().isNative()
                && br.dtBias().isNative() && br.aT().isNative() && br.dSkip().isNative();
    }

    private static void checkBranch(BranchWeights br, int e, int n, int r, int k) {
        requireFloats(br.convW(), (long) e * k, "conv weight");
        requireFloats(br.convB(), e, "conv bias");
        checkLinear(br.xProj(), r + 2 * n, e, "x_proj");
        checkLinear(br.dtProj(), e, r, "dt_proj");
        requireFloats(br.dtBias(), e, "dt bias");
        requireFloats(br.aT(), (long) n * e, "A^T");
        requireFloats(br.dSkip(), e, "D");
    }

    private static void checkLinear(LinearWeight w, int n, int k, String what) {
        if (w.outFeatures() != n || w.inFeatures() != k) {
            throw new IllegalArgumentException("mixerForward: " + what + " is (" + w.outFeatures() + ", " + w.inFeatures()
                    + "), expected (" + n + ", " + k + ")");
        }
    }

    private static MemorySegment packed(LinearWeight w) {
        return ((NativeLinear) w).packed();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Work splitting and the reusable per-thread task objects.

    private int rowsPerTask(int rows) {
        int tasks = Math.max(1, Math.min(threads.size(), ceilDiv(rows, MIN_ROWS_PER_TASK)));
        return ceilDiv(rows, tasks);
    }

    private int channelsPerTask(int channels) {
        int blocks = ceilDiv(channels, CHANNEL_BLOCK);
        int tasks = Math.max(1, Math.min(threads.size(), blocks));
        return ceilDiv(blocks, tasks) * CHANNEL_BLOCK;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * One calling thread's task objects and slice cache. A call fills a task in on the calling thread (every
     * pointer already offset), dispatches it, then clears its references; workers only read it.
     */
    private final class Tasks {
        final Slices slices = new Slices();
        final LinearTask linear = new LinearTask(threads.size());
        final NormTask norm = new NormTask(threads.size());
        final ConvTask conv = new ConvTask();
        final ScanTask scan = new ScanTask();
    }

    private static final class LinearTask implements ParallelTask {
        final MemorySegment[] a, c; // row block i of A and C
        int lda, ldc, m, per;
        NativeLinear w;

        LinearTask(int maxTasks) {
            a = new MemorySegment[maxTasks];
            c = new MemorySegment[maxTasks];
        }

        @Override
        public void run(int index) {
            int rows = Math.min(per, m - index * per);
            check(vim4j_h.vim4j_linear(a[index], lda, rows, w.packed(), w.bias(), w.outFeatures(), w.inFeatures(), c[index], ldc),
                    "vim4j_linear");
        }

        void clear(int count) {
            java.util.Arrays.fill(a, 0, count, null);
            java.util.Arrays.fill(c, 0, count, null);
            w = null;
        }
    }

    private static final class NormTask implements ParallelTask {
        final MemorySegment[] residual, hidden, out; // row block i
        MemorySegment weight;
        int rows, dim, per;
        float eps;

        NormTask(int maxTasks) {
            residual = new MemorySegment[maxTasks];
            hidden = new MemorySegment[maxTasks];
            out = new MemorySegment[maxTasks];
        }

        @Override
        public void run(int index) {
            int n = Math.min(per, rows - index * per);
            check(vim4j_h.vim4j_add_rms_norm(residual[index], hidden[index], weight, out[index], n, dim, eps),
                    "vim4j_add_rms_norm");
        }

        void clear(int count) {
            java.util.Arrays.fill(residual, 0, count, null);
            java.util.Arrays.fill(hidden, 0, count, null);
            java.util.Arrays.fill(out, 0, count, null);
            weight = null;
        }
    }

    private static final class ConvTask implements ParallelTask {
        MemorySegment x, w, bias, out;
        int ldx, ldo, batch, len, channels, kernel, reverse, per;

        @Override
        public void run(int index) {
            int c0 = index * per, c1 = Math.min(channels, c0 + per);
            check(vim4j_h.vim4j_conv_silu(x, ldx, w, bias, out, ldo, batch, len, channels, kernel, reverse, c0, c1),
                    "vim4j_conv_silu");
        }
    }

    private static final class ScanTask implements ParallelTask {
        MemorySegment u, delta, aT, b, c, dSkip, deltaBias, z, out;
        int ldu, ldd, ldbc, ldz, ldo, batch, len, channels, states, reverse, accumulate, per;
        float outScale;

        @Override
        public void run(int index) {
            int c0 = index * per, c1 = Math.min(channels, c0 + per);
            check(vim4j_h.vim4j_selective_scan(u, ldu, delta, ldd, aT, b, c, ldbc, dSkip, deltaBias, z, ldz, out, ldo,
                    batch, len, channels, states, reverse, outScale, accumulate, c0, c1), "vim4j_selective_scan");
        }
    }

    /**
     * Segments at float offsets for downcalls (the C ABI takes plain pointers), made by the calling thread. A slice is
     * a new object, and the JIT does not reliably scalar-replace it (not across the long argument lists of these
     * downcalls, nor once heap and native segments have both been sliced in the JVM), so slices of native segments
     * are kept, keyed by the base segment's identity and the offset: a forward pass repeats the same few dozen
     * (buffer, offset) pairs, so steady-state inference allocates nothing. Heap segments are sliced afresh (a cache
     * would keep the caller's arrays alive). Bounded: the table is cleared when it fills, so it keeps at most
     * {@link #MAX_ENTRIES} segments reachable per calling thread.
     */
    static final class Slices {
        static final int CAPACITY = 512, MAX_ENTRIES = 384;
        private final MemorySegment[] bases = new MemorySegment[CAPACITY];
        private final long[] offsets = new long[CAPACITY];
        private final MemorySegment[] slices = new MemorySegment[CAPACITY];
        private int size;

        /** {@code base} at float offset {@code floatOffset} (bounds were checked by the caller; asSlice checks again). */
        MemorySegment at(MemorySegment base, long floatOffset) {
            if (floatOffset == 0) {
                return base;
            }
            long off = floatOffset * 4;
            if (!base.isNative()) {
                return base.asSlice(off);
            }
            int mask = CAPACITY - 1;
            for (int i = hash(base, off) & mask;; i = (i + 1) & mask) {
                MemorySegment b = bases[i];
                if (b == base && offsets[i] == off) {
                    return slices[i];
                }
                if (b == null) {
                    if (size == MAX_ENTRIES) {
                        clear();
                        return at(base, floatOffset);
                    }
                    MemorySegment slice = base.asSlice(off);
                    bases[i] = base;
                    offsets[i] = off;
                    slices[i] = slice;
                    size++;
                    return slice;
                }
            }
        }

        int size() {
            return size;
        }

        void clear() {
            java.util.Arrays.fill(bases, null);
            java.util.Arrays.fill(slices, null);
            size = 0;
        }

        private static int hash(MemorySegment base, long off) {
            long h = System.identityHashCode(base) * 0x9E3779B97F4A7C15L + off * 0xC2B2AE3D27D4EB4FL;
            return (int) (h ^ (h >>> 29));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Slices of exactly the floats a kernel touches (bounds-checked by asSlice), and status codes.

    /** {@code n} floats from float offset {@code off} lie inside {@code s}: checked before any native code runs. */
    static void checkFloats(MemorySegment s, long off, long n, String what) {
        if (off < 0 || n < 0 || off > s.byteSize() / 4 - n) {
            throw new IndexOutOfBoundsException(what + ": floats [" + off + ", " + off + " + " + n + ") out of a segment of "
                    + s.byteSize() / 4 + " floats");
        }
    }

    static void checkStrided(MemorySegment s, long off, int ld, long rows, int cols, String what) {
        if (ld < cols) {
            throw new IllegalArgumentException(what + ": leading dimension " + ld + " < row length " + cols);
        }
        checkFloats(s, off, (rows - 1) * ld + cols, what);
    }

    private static void requireFloats(MemorySegment s, long n, String what) {
        if (s.byteSize() < n * 4) {
            throw new IndexOutOfBoundsException("mixerForward: " + what + " holds " + s.byteSize() / 4 + " floats, needs " + n);
        }
    }

    private static MemorySegment nativeCopy(MemorySegment s, Arena arena) {
        if (s.isNative()) {
            return s;
        }
        MemorySegment copy = arena.allocate(s.byteSize(), 64);
        copy.copyFrom(s);
        return copy;
    }

    private static NativeLinear cast(LinearWeight w) {
        if (w instanceof NativeLinear nl) {
            return nl;
        }
        throw new VimException("linear weight was prepared by another backend (" + w.getClass().getSimpleName()
                + "), not by NativeKernels.prepareLinear");
    }

    static void check(int status, String function) {
        if (status != vim4j_h.VIM4J_OK()) {
            throw failure(status, function);
        }
    }

    /** The native error as a VimException; must run on the thread that got the status (the message is thread-local). */
    static VimException failure(int status, String function) {
        String message;
        try {
            MemorySegment p = vim4j_h.vim4j_last_error();
            message = p.equals(MemorySegment.NULL) ? "" : p.getString(0);
        } catch (RuntimeException e) {
            message = "(no message: " + e + ")";
        }
        return new VimException(function + " failed with " + codeName(status) + (message.isEmpty() ? "" : ": " + message));
    }

    static String codeName(int status) {
        if (status == vim4j_h.VIM4J_ERR_INVALID_ARGUMENT()) {
            return "VIM4J_ERR_INVALID_ARGUMENT";
        } else if (status == vim4j_h.VIM4J_ERR_UNSUPPORTED()) {
            return "VIM4J_ERR_UNSUPPORTED";
        } else if (status == vim4j_h.VIM4J_ERR_OUT_OF_MEMORY()) {
            return "VIM4J_ERR_OUT_OF_MEMORY";
        } else if (status == vim4j_h.VIM4J_ERR_INTERNAL()) {
            return "VIM4J_ERR_INTERNAL";
        }
        return "status " + status;
    }
}

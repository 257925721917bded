package org.vim4j.backend.ffm;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.bindings.vim4j_branch_buffers;
import org.vim4j.bindings.vim4j_branch_weights;
import org.vim4j.bindings.vim4j_conv_weights;
import org.vim4j.bindings.vim4j_h;
import org.vim4j.bindings.vim4j_linear_weight;
import org.vim4j.bindings.vim4j_mixer_buffers;
import org.vim4j.bindings.vim4j_mixer_dims;
import org.vim4j.bindings.vim4j_mixer_weights;
import org.vim4j.bindings.vim4j_rows;
import org.vim4j.bindings.vim4j_scan_inputs;
import org.vim4j.bindings.vim4j_scan_weights;
import org.vim4j.kernel.BranchBuffers;
import org.vim4j.kernel.BranchWeights;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.MixerBuffers;
import org.vim4j.kernel.MixerDims;
import org.vim4j.kernel.MixerProbe;
import org.vim4j.kernel.MixerWeights;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Quantization;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;
import org.vim4j.tensor.Tensor;

/**
 * The NATIVE backend: vim4j's C++ kernels ({@code libvim4j.so}, ISA tier chosen at load time) through the FFM bindings
 * in {@code org.vim4j.bindings}, one downcall per kernel.
 *
 * <p>Threads. Each instance (one per model) owns a native runtime ({@code vim4j_runtime_create}): a limit of
 * {@link #threads()} threads, the caller's included, on the library's one pool of workers per process (shared by every
 * model, as many as the largest model needs); every kernel splits its own work over at most that many threads inside
 * C++, by the same rules for every kernel (native/README.md), so Java runs no pool of its own here. Two instances keep
 * their own counts; a call that finds the pool busy (another session, of this model or another) runs on its caller's
 * thread alone. {@link #close()} destroys the runtime (the pool's workers stay for the other models); a later call
 * fails with an {@link IllegalStateException}.
 *
 * <p>Memory. Activations and weights live in native memory: {@link #allocate} gives 64-byte aligned arena memory,
 * {@link #place} keeps native host segments as they are (and copies heap ones), {@link #prepareLinear} packs W for this
 * ISA. Matrix arguments travel as C structs ({@code vim4j_rows}, {@code vim4j_conv_weights}, ...) written into a small
 * per-thread scratch before each call, so a steady-state call allocates nothing on the heap; the fused mixer's structs
 * are built once, by {@link #prepareMixer} (in the model's arena) and {@link #prepareBuffers} (in the workspace's).
 * Pointers inside structs must be native memory: a heap segment there is an {@link IllegalArgumentException}. The
 * short kernels use {@code critical(true)} handles, so {@link #addRmsNorm} and {@link #im2col} (plain pointer
 * arguments) also take heap segments, e.g. a caller's {@code float[]} image.
 *
 * <p>Checks. Before any native code runs, every extent a kernel touches is checked against its segment (a bad offset
 * is an {@link IndexOutOfBoundsException}, never a crash), and every segment a struct points into must be alive and
 * accessible from the calling thread. A native status other than {@code VIM4J_OK} becomes a {@link VimException}
 * carrying {@code vim4j_last_error()}.
 */
public final class NativeKernels implements Kernels {
    private static final long FLOAT = Float.BYTES;

    private final int threads;
    private final Arena runtimeArena = Arena.ofShared();
    private final MemorySegment runtime; // struct vim4j_runtime*, freed by vim4j_runtime_destroy when runtimeArena closes
    private final Object closeLock = new Object();
    private boolean closed;

    /** Per calling thread: the structs of one primitive call, and cached offset slices for plain pointer arguments. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Kernels of one model on a native runtime of {@code threads} threads (1 to {@code VIM4J_MAX_THREADS}). */
    @SuppressWarnings("restricted") // reinterpret: ties the runtime pointer to runtimeArena, whose close destroys it
    public NativeKernels(int threads) {
        NativeLibrary.Status s = NativeLibrary.status();
        if (!s.available()) {
            throw new VimException("backend 'native' is unavailable: " + s.reason());
        }
        if (threads < 1 || threads > vim4j_h.VIM4J_MAX_THREADS()) {
            throw new IllegalArgumentException("native kernels: threads must be in [1, " + vim4j_h.VIM4J_MAX_THREADS()
                    + "], got " + threads);
        }
        MemorySegment rt = vim4j_h.vim4j_runtime_create(threads);
        if (rt.equals(MemorySegment.NULL)) {
            runtimeArena.close();
            throw failure(vim4j_h.VIM4J_ERR_OUT_OF_MEMORY(), "vim4j_runtime_create(" + threads + ")");
        }
        this.threads = threads;
        this.runtime = rt.reinterpret(runtimeArena, vim4j_h::vim4j_runtime_destroy);
    }

    @Override
    public int threads() {
        return threads;
    }

    /** The threads the native runtime itself reports ({@code vim4j_runtime_threads}): what its kernels use. */
    public int runtimeThreads() {
        return vim4j_h.vim4j_runtime_threads(runtime);
    }

    /** The ISA tier the library dispatched to (portable, avx2, avx512). */
    public String isa() {
        return NativeLibrary.status().isa();
    }

    /** Destroys the native runtime (its workers are joined); idempotent. Not while a call of this model runs. */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (!closed) {
                runtimeArena.close();
                closed = true;
            }
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // Memory

    @Override
    public MemorySegment allocate(Arena arena, long floats) {
        return arena.allocate(Math.multiplyExact(Math.max(floats, 1), FLOAT), 64);
    }

    @Override
    public MemorySegment place(MemorySegment host, long floats, Arena arena) {
        checkFloats(host, 0, floats, "place");
        if (host.isNative()) {
            return host;
        }
        MemorySegment copy = allocate(arena, floats);
        MemorySegment.copy(host, 0, copy, 0, floats * FLOAT);
        return copy;
    }

    /**
     * W packed for this ISA at its precision ({@code vim4j_linear_pack}, {@code _pack_bf16} or {@code _pack_int8}), the
     * bias (or NULL), the INT8 weight scales (or NULL), and the {@code vim4j_linear_weight} struct that points at them,
     * all in the model's arena.
     */
    record NativeLinear(MemorySegment packed, MemorySegment bias, MemorySegment scales, int outFeatures, int inFeatures,
            Precision precision, MemorySegment struct) implements LinearWeight {
        @Override
        public boolean hasBias() {
            return !bias.equals(MemorySegment.NULL);
        }
    }

    /**
     * Every mode of docs/precision.md. FP32 and BF16 pack the fp32 weight (an int8 checkpoint's weight dequantized,
     * {@code qw * sw}, as {@link org.vim4j.backend.scalar.ScalarKernels} does); BF16 rounds it to bf16 in C. INT8 takes
     * the weight from {@link Quantization#int8} (quantized per output channel here in Java, the oracle's own code, or
     * an int8 checkpoint's as stored) and packs those bytes, so the native weights are the scalar backend's exactly.
     */
    @Override
    public LinearWeight prepareLinear(LinearSource source, Precision precision, Arena arena) {
        Tensor weight = source.weight(), bias = source.bias();
        int n = source.outFeatures(), k = source.inFeatures();
        int mode = switch (precision) {
            case FP32 -> vim4j_h.VIM4J_PRECISION_FP32();
            case BF16 -> vim4j_h.VIM4J_PRECISION_BF16();
            case INT8 -> vim4j_h.VIM4J_PRECISION_INT8();
        };
        long bytes = vim4j_h.vim4j_linear_packed_bytes(mode, n, k);
        if (bytes <= 0) {
            throw failure(vim4j_h.VIM4J_ERR_INVALID_ARGUMENT(), "vim4j_linear_packed_bytes(" + mode + ", " + n + ", " + k + ")");
        }
        MemorySegment packed = arena.allocate(bytes, 64);
        MemorySegment scales = MemorySegment.NULL;
        if (precision == Precision.INT8) {
            Quantization.Int8Weight q = Quantization.int8(source, n, k, arena);
            check(vim4j_h.vim4j_linear_pack_int8(q.q(), n, k, packed), "vim4j_linear_pack_int8");
            scales = q.scales();
        } else {
            MemorySegment w = floatWeight(source, n, k, arena);
            if (precision == Precision.BF16) {
                check(vim4j_h.vim4j_linear_pack_bf16(w, n, k, packed), "vim4j_linear_pack_bf16");
            } else {
                check(vim4j_h.vim4j_linear_pack(w, n, k, packed), "vim4j_linear_pack");
            }
        }
        MemorySegment b = MemorySegment.NULL;
        if (bias != null) {
            Tensor bt = bias.toF32(arena);
            if (bt.numel() != n) {
                throw new VimException("linear bias '" + bias.name() + "' has " + bt.numel() + " values for " + n + " outputs");
            }
            b = nativeCopy(bt.data(), arena);
        }
        MemorySegment struct = vim4j_linear_weight.allocate(arena);
        vim4j_linear_weight.packed(struct, packed);
        vim4j_linear_weight.bias(struct, b);
        vim4j_linear_weight.n(struct, n);
        vim4j_linear_weight.k(struct, k);
        vim4j_linear_weight.precision(struct, mode);
        vim4j_linear_weight.reserved(struct, 0);
        vim4j_linear_weight.scales(struct, scales);
        return new NativeLinear(packed, b, scales, n, k, precision, struct);
    }

    /** The fp32 weight (n, k) in native memory: the tensor as fp32, or an int8 checkpoint's {@code qw * sw}. */
    private static MemorySegment floatWeight(LinearSource source, int n, int k, Arena arena) {
        if (source.weightScale() == null) {
            return nativeCopy(source.weight().toF32(arena).data(), arena);
        }
        MemorySegment w = arena.allocate(4L * n * k, 64);
        for (int j = 0; j < n; j++) {
            for (int kk = 0; kk < k; kk++) {
                w.setAtIndex(JAVA_FLOAT, (long) j * k + kk, Quantization.dequantized(source, j, k, kk));
            }
        }
        return w;
    }

    /**
     * The {@code vim4j_mixer_weights} struct of a layer, built once in the model's arena, for the fused mixer. Weights
     * this backend cannot fuse (linears prepared elsewhere, heap segments) keep the composition (returned unchanged).
     */
    @Override
    public MixerWeights prepareMixer(MixerWeights w, Arena arena) {
        if (!fusable(w.inProj()) || !fusable(w.outProj()) || !fusable(w.forward()) || !fusable(w.backward())) {
            return w;
        }
        MixerDims d = dims(w);
        checkLinear(w.inProj(), 2 * d.dInner(), d.dModel(), "in_proj");
        checkLinear(w.outProj(), d.dModel(), d.dInner(), "out_proj");
        checkBranch(w.forward(), d, "forward");
        checkBranch(w.backward(), d, "backward");
        MemorySegment s = vim4j_mixer_weights.allocate(arena);
        vim4j_mixer_weights.in_proj(s, ((NativeLinear) w.inProj()).struct());
        writeBranch(vim4j_mixer_weights.forward(s), w.forward());
        writeBranch(vim4j_mixer_weights.backward(s), w.backward());
        vim4j_mixer_weights.out_proj(s, ((NativeLinear) w.outProj()).struct());
        return w.withFused(s);
    }

    /**
     * The {@code vim4j_mixer_buffers} struct of a workspace, built once in its arena. Buffers whose views are not the
     * standard ones of {@link MixerBuffers#allocate} (the fused kernel derives its views from the bases), or that are
     * not native, keep the composition (returned unchanged).
     */
    @Override
    public MixerBuffers prepareBuffers(MixerBuffers b, Arena arena) {
        MixerDims d = b.dims();
        int e = d.dInner(), xd = d.xProjOut();
        long rows = b.rows();
        if (!standardViews(b) || !allNative(b.normed(), b.hidden(), b.xz(), b.delta(), b.y().data(), b.forward().xc(),
                b.forward().xDbl(), b.backward().xc(), b.backward().xDbl())) {
            return b;
        }
        requireFloats(b.normed(), rows * d.dModel(), "normed");
        requireFloats(b.hidden(), rows * d.dModel(), "hidden");
        requireFloats(b.xz(), rows * 2 * e, "xz");
        requireFloats(b.delta(), rows * e, "delta");
        requireFloats(b.y().data(), rows * e, "y");
        for (BranchBuffers br : new BranchBuffers[] {b.forward(), b.backward()}) {
            requireFloats(br.xc(), rows * e, "xc");
            requireFloats(br.xDbl(), rows * xd, "x_dbl");
        }
        MemorySegment s = vim4j_mixer_buffers.allocate(arena);
        MemorySegment dims = vim4j_mixer_buffers.dims(s);
        vim4j_mixer_dims.d_model(dims, d.dModel());
        vim4j_mixer_dims.d_inner(dims, e);
        vim4j_mixer_dims.d_state(dims, d.dState());
        vim4j_mixer_dims.dt_rank(dims, d.dtRank());
        vim4j_mixer_buffers.rows(s, rows);
        vim4j_mixer_buffers.normed(s, b.normed());
        vim4j_mixer_buffers.hidden(s, b.hidden());
        vim4j_mixer_buffers.xz(s, b.xz());
        vim4j_mixer_buffers.delta(s, b.delta());
        vim4j_mixer_buffers.y(s, b.y().data());
        for (int i = 0; i < 2; i++) {
            BranchBuffers br = i == 0 ? b.forward() : b.backward();
            MemorySegment bs = i == 0 ? vim4j_mixer_buffers.forward(s) : vim4j_mixer_buffers.backward(s);
            vim4j_branch_buffers.xc(bs, br.xc());
            vim4j_branch_buffers.x_dbl(bs, br.xDbl());
        }
        return b.withFused(s);
    }

    // -------------------------------------------------------------------------------------------------------------
    // Primitives: bounds checked here, then one downcall each

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight lw, MemorySegment c, long cOff, int ldc) {
        NativeLinear w = cast(lw);
        if (m <= 0) {
            return;
        }
        Scratch s = SCRATCH.get();
        rows(s.a, a, aOff, lda, m, w.inFeatures(), "linear a");
        rows(s.c, c, cOff, ldc, m, w.outFeatures(), "linear c");
        alive(w.packed(), "linear weight");
        check(vim4j_h.vim4j_linear(runtime, s.a, m, w.struct(), s.c), "vim4j_linear");
    }

    @Override
    public void addRmsNorm(MemorySegment residual, MemorySegment hidden, MemorySegment weight, MemorySegment out, int rows,
            int dim, float eps) {
        if (rows <= 0) {
            return;
        }
        if (dim <= 0) {
            throw new IllegalArgumentException("addRmsNorm: dim must be > 0, got " + dim);
        }
        long floats = (long) rows * dim;
        checkFloats(residual, 0, floats, "addRmsNorm residual");
        if (hidden != null) {
            checkFloats(hidden, 0, floats, "addRmsNorm hidden");
        }
        checkFloats(weight, 0, dim, "addRmsNorm weight");
        checkFloats(out, 0, floats, "addRmsNorm out");
        check(vim4j_h.vim4j_add_rms_norm(runtime, residual, hidden == null ? MemorySegment.NULL : hidden, weight, out, rows,
                dim, eps), "vim4j_add_rms_norm");
    }

    @Override
    public void convSilu(Rows x, ConvWeights w, Rows out, int batch, int len, boolean reverse) {
        int channels = w.channels();
        if (batch <= 0 || len <= 0 || channels <= 0) {
            return;
        }
        long n = (long) batch * len;
        Scratch s = SCRATCH.get();
        rows(s.x, x, n, channels, "convSilu x");
        rows(s.out, out, n, channels, "convSilu out");
        pointer(s.conv, vim4j_conv_weights.weight$offset(), w.weight(), 0, (long) channels * w.kernel(), "convSilu weight");
        pointer(s.conv, vim4j_conv_weights.bias$offset(), w.bias(), 0, channels, "convSilu bias");
        vim4j_conv_weights.channels(s.conv, channels);
        vim4j_conv_weights.kernel(s.conv, w.kernel());
        check(vim4j_h.vim4j_conv_silu(runtime, s.x, s.conv, s.out, batch, len, reverse ? 1 : 0), "vim4j_conv_silu");
    }

    @Override
    public void selectiveScan(ScanInputs in, ScanWeights w, Rows out, int batch, int len, ScanMode mode) {
        int channels = w.channels(), states = w.states();
        if (batch <= 0 || len <= 0 || channels <= 0) {
            return;
        }
        long n = (long) batch * len;
        Scratch s = SCRATCH.get();
        rows(s.inU, in.u(), n, channels, "selectiveScan u");
        rows(s.inDelta, in.delta(), n, channels, "selectiveScan delta");
        rows(s.inB, in.b(), n, states, "selectiveScan B");
        rows(s.inC, in.c(), n, states, "selectiveScan C");
        rows(s.inZ, in.z(), n, channels, "selectiveScan z");
        rows(s.out, out, n, channels, "selectiveScan out");
        pointer(s.scan, vim4j_scan_weights.a_t$offset(), w.aT(), 0, (long) states * channels, "selectiveScan aT");
        pointer(s.scan, vim4j_scan_weights.d_skip$offset(), w.dSkip(), 0, channels, "selectiveScan dSkip");
        pointer(s.scan, vim4j_scan_weights.delta_bias$offset(), w.deltaBias(), 0, channels, "selectiveScan deltaBias");
        vim4j_scan_weights.channels(s.scan, channels);
        vim4j_scan_weights.states(s.scan, states);
        int flags = (mode.reverse() ? vim4j_h.VIM4J_SCAN_REVERSE() : 0) | (mode.accumulate() ? vim4j_h.VIM4J_SCAN_ACCUMULATE() : 0);
        check(vim4j_h.vim4j_selective_scan(runtime, s.in, s.scan, s.out, batch, len, flags, mode.outScale()),
                "vim4j_selective_scan");
    }

    @Override
    public void im2col(MemorySegment image, long iOff, PatchGrid g, MemorySegment out, long oOff) {
        checkFloats(image, iOff, g.imageFloats(), "im2col image");
        checkFloats(out, oOff, (long) g.patches() * g.patchInputs(), "im2col out");
        Slices slices = SCRATCH.get().slices;
        check(vim4j_h.vim4j_im2col(runtime, slices.at(image, iOff), g.channels(), g.height(), g.width(), g.patch(), g.stride(),
                slices.at(out, oOff)), "vim4j_im2col");
    }

    /**
     * Yes: a new JVM's first Vim-Tiny forward took 85-97 ms against 19 ms steady (2 threads), most of it creating the
     * FFM downcall handles of each kernel on its first call; the warm-up at load pays that once (README "Cold start").
     */
    @Override
    public boolean warmsUpAtLoad() {
        return true;
    }

    /**
     * Once per image (the position embedding): not worth a downcall. Chunks are copied in bulk to heap arrays and added
     * there: a loop of segment accesses ran ~20 ms in a cold JVM's interpreter (one VarHandle call per float), the
     * array loop well under 1 ms; warmed, both are a few microseconds.
     */
    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        checkFloats(dst, dOff, n, "add dst");
        checkFloats(src, sOff, n, "add src");
        Scratch s = SCRATCH.get();
        float[] d = s.addDst, a = s.addSrc;
        for (long done = 0; done < n; done += d.length) {
            int len = (int) Math.min(d.length, n - done);
            MemorySegment.copy(dst, JAVA_FLOAT, (dOff + done) * FLOAT, d, 0, len);
            MemorySegment.copy(src, JAVA_FLOAT, (sOff + done) * FLOAT, a, 0, len);
            for (int i = 0; i < len; i++) {
                d[i] += a[i];
            }
            MemorySegment.copy(d, 0, dst, JAVA_FLOAT, (dOff + done) * FLOAT, len);
        }
    }

    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        MemorySegment.copy(src, sOff * FLOAT, dst, dOff * FLOAT, n * FLOAT);
    }

    // -------------------------------------------------------------------------------------------------------------
    // The fused mixer layer

    /**
     * One whole mixer layer in one downcall ({@code vim4j_mixer_forward}, on this model's runtime) when both the weights
     * and the buffers were prepared by this backend; the composition of the primitives otherwise, and whenever a
     * {@code probe} wants the intermediate stages. Bit-identical to the composition.
     */
    @Override
    public void mixer(MixerWeights w, MixerBuffers b, int batch, int len, MixerProbe probe) {
        if (probe != null || w.fused().byteSize() != vim4j_mixer_weights.sizeof()
                || b.fused().byteSize() != vim4j_mixer_buffers.sizeof()) {
            Kernels.super.mixer(w, b, batch, len, probe);
            return;
        }
        long rows = (long) batch * len;
        if (batch < 0 || len < 0 || rows > b.rows()) {
            throw new IllegalArgumentException("mixer: batch " + batch + " x len " + len + " outside the workspace's "
                    + b.rows() + " rows");
        }
        if (rows == 0) {
            return;
        }
        requireAlive(w);
        requireAlive(b);
        check(vim4j_h.vim4j_mixer_forward(runtime, w.fused(), b.fused(), batch, len), "vim4j_mixer_forward");
    }

    private static MixerDims dims(MixerWeights w) {
        return new MixerDims(w.dModel(), w.dInner(), w.dState(), w.forward().dtRank());
    }

    private static boolean fusable(LinearWeight w) {
        return w instanceof NativeLinear nl && nl.packed().isNative() && (nl.bias().equals(MemorySegment.NULL)
                || nl.bias().isNative()) && (nl.scales().equals(MemorySegment.NULL) || nl.scales().isNative());
    }

    private static boolean fusable(BranchWeights br) {
        return fusable(br.xProj()) && fusable(br.dtProj()) && allNative(br.conv().weight(), br.conv().bias(),
                br.scan().aT(), br.scan().dSkip(), br.scan().deltaBias());
    }

    private static boolean allNative(MemorySegment... segments) {
        for (MemorySegment s : segments) {
            if (!s.isNative()) {
                return false;
            }
        }
        return true;
    }

    private static void checkBranch(BranchWeights br, MixerDims d, String which) {
        int e = d.dInner(), n = d.dState(), r = d.dtRank();
        ConvWeights conv = br.conv();
        if (conv.channels() != e || conv.kernel() < 1) {
            throw new IllegalArgumentException("mixer " + which + " conv: " + conv.channels() + " channels x " + conv.kernel()
                    + " taps, expected " + e + " channels");
        }
        requireFloats(conv.weight(), (long) e * conv.kernel(), which + " conv weight");
        requireFloats(conv.bias(), e, which + " conv bias");
        checkLinear(br.xProj(), r + 2 * n, e, which + " x_proj");
        checkLinear(br.dtProj(), e, r, which + " dt_proj");
        ScanWeights scan = br.scan();
        if (scan.channels() != e || scan.states() != n) {
            throw new IllegalArgumentException("mixer " + which + " scan: " + scan.channels() + " channels x " + scan.states()
                    + " states, expected " + e + " x " + n);
        }
        requireFloats(scan.aT(), (long) n * e, which + " A^T");
        requireFloats(scan.dSkip(), e, which + " D");
        requireFloats(scan.deltaBias(), e, which + " dt bias");
    }

    private static void writeBranch(MemorySegment s, BranchWeights br) {
        MemorySegment conv = vim4j_branch_weights.conv(s);
        vim4j_conv_weights.weight(conv, br.conv().weight());
        vim4j_conv_weights.bias(conv, br.conv().bias());
        vim4j_conv_weights.channels(conv, br.conv().channels());
        vim4j_conv_weights.kernel(conv, br.conv().kernel());
        vim4j_branch_weights.x_proj(s, ((NativeLinear) br.xProj()).struct());
        vim4j_branch_weights.dt_proj(s, ((NativeLinear) br.dtProj()).struct());
        MemorySegment scan = vim4j_branch_weights.scan(s);
        vim4j_scan_weights.a_t(scan, br.scan().aT());
        vim4j_scan_weights.d_skip(scan, br.scan().dSkip());
        vim4j_scan_weights.delta_bias(scan, br.scan().deltaBias());
        vim4j_scan_weights.channels(scan, br.scan().channels());
        vim4j_scan_weights.states(scan, br.scan().states());
    }

    private static void checkLinear(LinearWeight w, int n, int k, String what) {
        if (w.outFeatures() != n || w.inFeatures() != k) {
            throw new IllegalArgumentException("mixer: " + what + " is (" + w.outFeatures() + ", " + w.inFeatures()
                    + "), expected (" + n + ", " + k + ")");
        }
    }

    /** The views {@link MixerBuffers#allocate} makes, which vim4j_mixer_forward derives from the bases itself. */
    private static boolean standardViews(MixerBuffers b) {
        MixerDims d = b.dims();
        int e = d.dInner(), xd = d.xProjOut(), r = d.dtRank();
        if (!b.y().equals(Rows.of(b.y().data(), e))) {
            return false;
        }
        for (BranchBuffers br : new BranchBuffers[] {b.forward(), b.backward()}) {
            ScanInputs in = br.scan();
            if (!br.x().equals(new Rows(b.xz(), 0, 2 * e)) || !br.conv().equals(Rows.of(br.xc(), e))
                    || !in.u().equals(Rows.of(br.xc(), e)) || !in.delta().equals(Rows.of(b.delta(), e))
                    || !in.b().equals(new Rows(br.xDbl(), r, xd)) || !in.c().equals(new Rows(br.xDbl(), r + d.dState(), xd))
                    || !in.z().equals(new Rows(b.xz(), e, 2 * e))) {
                return false;
            }
        }
        return true;
    }

    /** The segments a fused layer reads through its struct: still alive, and ours to use on this thread. */
    private static void requireAlive(MixerWeights w) {
        alive(((NativeLinear) w.inProj()).packed(), "mixer in_proj");
        alive(((NativeLinear) w.outProj()).packed(), "mixer out_proj");
        requireAlive(w.forward());
        requireAlive(w.backward());
    }

    private static void requireAlive(BranchWeights br) {
        alive(br.conv().weight(), "mixer conv weight");
        alive(((NativeLinear) br.xProj()).packed(), "mixer x_proj");
        alive(((NativeLinear) br.dtProj()).packed(), "mixer dt_proj");
        alive(br.scan().aT(), "mixer A^T");
    }

    private static void requireAlive(MixerBuffers b) {
        alive(b.normed(), "mixer normed");
        alive(b.hidden(), "mixer hidden");
        alive(b.xz(), "mixer xz");
        alive(b.delta(), "mixer delta");
        alive(b.y().data(), "mixer y");
        alive(b.forward().xc(), "mixer xc");
        alive(b.forward().xDbl(), "mixer x_dbl");
        alive(b.backward().xc(), "mixer xc");
        alive(b.backward().xDbl(), "mixer x_dbl");
    }

    // -------------------------------------------------------------------------------------------------------------
    // Struct fields, bounds and liveness

    /** One calling thread's argument structs (a few hundred bytes, freed with the thread) and slice cache. */
    private static final class Scratch {
        /** vim4j_rows: linear's A and C, conv's x, the output of conv and scan. */
        final MemorySegment a, c, x, out;
        /** vim4j_scan_inputs and its five vim4j_rows. */
        final MemorySegment in, inU, inDelta, inB, inC, inZ;
        final MemorySegment conv, scan;
        final Slices slices = new Slices();
        /** add()'s chunks. */
        final float[] addDst = new float[4096], addSrc = new float[4096];

        Scratch() {
            MemorySegment all = Arena.ofAuto().allocate(MemoryLayout.structLayout(vim4j_rows.layout().withName("a"),
                    vim4j_rows.layout().withName("c"), vim4j_rows.layout().withName("x"), vim4j_rows.layout().withName("out"),
                    vim4j_scan_inputs.layout().withName("in"), vim4j_conv_weights.layout().withName("conv"),
                    vim4j_scan_weights.layout().withName("scan")));
            long rows = vim4j_rows.sizeof(), in0 = 4 * rows, conv0 = in0 + vim4j_scan_inputs.sizeof();
            a = all.asSlice(0, rows);
            c = all.asSlice(rows, rows);
            x = all.asSlice(2 * rows, rows);
            out = all.asSlice(3 * rows, rows);
            in = all.asSlice(in0, vim4j_scan_inputs.sizeof());
            inU = vim4j_scan_inputs.u(in);
            inDelta = vim4j_scan_inputs.delta(in);
            inB = vim4j_scan_inputs.b(in);
            inC = vim4j_scan_inputs.c(in);
            inZ = vim4j_scan_inputs.z(in);
            conv = all.asSlice(conv0, vim4j_conv_weights.sizeof());
            scan = all.asSlice(conv0 + vim4j_conv_weights.sizeof(), vim4j_scan_weights.sizeof());
        }
    }

    /** Writes view {@code r} into the {@code vim4j_rows} struct {@code s}, after checking it holds {@code rows x cols}. */
    private static void rows(MemorySegment s, Rows r, long rows, int cols, String what) {
        rows(s, r.data(), r.offset(), r.ld(), rows, cols, what);
    }

    private static void rows(MemorySegment s, MemorySegment data, long offset, int ld, long rows, int cols, String what) {
        if (ld < cols) {
            throw new IllegalArgumentException(what + ": leading dimension " + ld + " < row length " + cols);
        }
        pointer(s, vim4j_rows.data$offset(), data, offset, (rows - 1) * ld + cols, what);
        vim4j_rows.ld(s, ld);
    }

    /**
     * Writes the address of float {@code offset} of {@code base} into the pointer field at {@code field} of struct
     * {@code s}, after checking that {@code floats} floats from there lie inside {@code base} and that it is native memory
     * that is alive and accessible from this thread (the C side cannot check any of that).
     */
    private static void pointer(MemorySegment s, long field, MemorySegment base, long offset, long floats, String what) {
        checkFloats(base, offset, floats, what);
        if (!base.isNative()) {
            throw new IllegalArgumentException(what + ": the native backend needs native memory (Kernels.allocate or place), "
                    + "not a heap segment");
        }
        alive(base, what);
        s.set(JAVA_LONG, field, base.address() + offset * FLOAT);
    }

    private static void alive(MemorySegment base, String what) {
        if (!base.scope().isAlive()) {
            throw new IllegalStateException(what + ": its arena is already closed");
        }
        if (!base.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException(what + ": confined to another thread");
        }
    }

    /**
     * Segments at float offsets for the plain pointer arguments of im2col, made by the calling thread. A slice is a new
     * object the JIT does not reliably scalar-replace, so slices of native segments are kept, keyed by the base
     * segment's identity and the offset: a forward pass repeats the same few (buffer, offset) pairs, so steady-state
     * inference allocates nothing. Heap segments are sliced afresh (a cache would keep the caller's arrays alive).
     * Bounded: the table is cleared when it fills, so it keeps at most {@link #MAX_ENTRIES} segments reachable per
     * calling thread.
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
            long off = floatOffset * FLOAT;
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
            Arrays.fill(bases, null);
            Arrays.fill(slices, null);
            size = 0;
        }

        private static int hash(MemorySegment base, long off) {
            long h = System.identityHashCode(base) * 0x9E3779B97F4A7C15L + off * 0xC2B2AE3D27D4EB4FL;
            return (int) (h ^ (h >>> 29));
        }
    }

    /** {@code n} floats from float offset {@code off} lie inside {@code s}: checked before any native code runs. */
    static void checkFloats(MemorySegment s, long off, long n, String what) {
        if (off < 0 || n < 0 || off > s.byteSize() / FLOAT - n) {
            throw new IndexOutOfBoundsException(what + ": floats [" + off + ", " + off + " + " + n + ") out of a segment of "
                    + s.byteSize() / FLOAT + " floats");
        }
    }

    private static void requireFloats(MemorySegment s, long n, String what) {
        if (s.byteSize() < n * FLOAT) {
            throw new IndexOutOfBoundsException("mixer: " + what + " holds " + s.byteSize() / FLOAT + " floats, needs " + n);
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

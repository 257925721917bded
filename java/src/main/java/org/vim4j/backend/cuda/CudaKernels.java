package org.vim4j.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.bindings.vim4j_cuda_branch_weights;
import org.vim4j.bindings.vim4j_cuda_conv_weights;
import org.vim4j.bindings.vim4j_cuda_h;
import org.vim4j.bindings.vim4j_cuda_linear_weight;
import org.vim4j.bindings.vim4j_cuda_mixer_buffers;
import org.vim4j.bindings.vim4j_cuda_mixer_dims;
import org.vim4j.bindings.vim4j_cuda_mixer_weights;
import org.vim4j.bindings.vim4j_cuda_scan_weights;
import org.vim4j.kernel.BranchBuffers;
import org.vim4j.kernel.BranchWeights;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Execution;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.MixerBuffers;
import org.vim4j.kernel.MixerDims;
import org.vim4j.kernel.MixerProbe;
import org.vim4j.kernel.MixerWeights;
import org.vim4j.kernel.PatchEmbedding;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Quantization;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;
import org.vim4j.tensor.Tensor;

/**
 * The CUDA backend: the {@link Kernels} contract on device memory. Activations live in device memory owned by the
 * session's arena ({@link #allocate}: a segment whose address is a device pointer and whose size is the allocation's,
 * so offsets are bounds-checked, never read by Java); weights are uploaded once into device memory owned by the
 * model's arena. Every primitive is one launch on device pointers. The one forward loop ({@code VimForward}) runs on
 * it through a {@link CudaExecution}: a stream per session, and the forward captured into a CUDA graph per shape and
 * replayed. Whole layers are fused: {@link #embedPatches} is one batched im2col, one GEMM and the token-assembly
 * kernel; {@link #mixer} is one {@code vim4j_cuda_mixer_forward} on argument structs built once per model
 * ({@link #prepareMixer}) and per workspace ({@link #prepareBuffers}).
 *
 * <p>Streams. Kernels called while a {@link CudaExecution} runs a forward on the calling thread enqueue on its stream
 * and return at once; called outside one (the conformance tests, loading) they run on the default stream and are
 * waited for before returning, so the results are visible to any later transfer.
 *
 * <p>Options (system properties, read when a model is loaded): {@code vim4j.cuda.precision=fp32|tf32|bf16} (default
 * fp32: exact fp32 GEMMs, the 1e-4 golden tolerance; tf32 runs the fp32 projections on tensor cores with TF32 inputs
 * and fp32 accumulation; bf16 makes BF16 this backend's default {@link Precision}: the mixers' in_proj, x_proj and
 * out_proj take bf16 weights and bf16-rounded activations, fp32 accumulation, the scan state fp32; each linear weight
 * carries its own mode; {@link org.vim4j.VimOptions#withPrecision} overrides the property; INT8 is refused), and
 * {@code vim4j.cuda.graph=true|false} (default true).
 */
public final class CudaKernels implements Kernels {
    public static final String PRECISION_PROPERTY = "vim4j.cuda.precision";
    public static final String GRAPH_PROPERTY = "vim4j.cuda.graph";
    private static final MemorySegment DEFAULT_STREAM = MemorySegment.NULL;

    /**
     * How the CUDA backend runs a linear layer; the model's {@link Precision} picks it per layer: FP32 layers run the
     * fp32-input mode of {@code -Dvim4j.cuda.precision} (FP32 or TF32), BF16 layers run BF16.
     */
    public enum GemmMode {
        /** fp32 SIMT GEMMs: the exact mode, logits within 1e-4 of the reference. */
        FP32,
        /** tensor cores, TF32 inputs (10-bit mantissa), fp32 accumulation. */
        TF32,
        /** tensor cores, bf16 weights (converted once at load) and bf16-rounded activations, fp32 accumulation. */
        BF16;

        int code() {
            return switch (this) {
                case FP32 -> vim4j_cuda_h.VIM4J_CUDA_PRECISION_FP32();
                case TF32 -> vim4j_cuda_h.VIM4J_CUDA_PRECISION_TF32();
                case BF16 -> vim4j_cuda_h.VIM4J_CUDA_PRECISION_BF16();
            };
        }

        static GemmMode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new VimException("-D" + PRECISION_PROPERTY + "=" + s + ": expected fp32, tf32 or bf16");
            }
        }
    }

    private final int threads;
    private final GemmMode mode;
    private final boolean graphs;

    /** Kernels with the precision and graph options of the system properties. */
    public CudaKernels(int threads) {
        this(threads, GemmMode.parse(System.getProperty(PRECISION_PROPERTY, "fp32")),
                Boolean.parseBoolean(System.getProperty(GRAPH_PROPERTY, "true").trim()));
    }

    public CudaKernels(int threads, GemmMode mode, boolean graphs) {
        CudaLibrary.Status s = CudaLibrary.status();
        if (!s.available()) {
            throw new VimException("backend 'cuda' is unavailable: " + s.reason());
        }
        this.threads = Math.max(1, threads);
        this.mode = mode;
        this.graphs = graphs;
    }

    /** Host threads: the device does the work, so only the caller's. */
    @Override
    public int threads() {
        return threads;
    }

    /** The mode of {@code -Dvim4j.cuda.precision} (or the constructor's). */
    public GemmMode mode() {
        return mode;
    }

    /** BF16 when {@code -Dvim4j.cuda.precision=bf16}: that property is this backend's way to ask for the BF16 mode. */
    @Override
    public Precision defaultPrecision() {
        return mode == GemmMode.BF16 ? Precision.BF16 : Precision.FP32;
    }

    /** The GEMM mode of a layer prepared at {@code precision}; INT8 is refused. */
    GemmMode modeFor(Precision precision) {
        return modeFor(precision, mode);
    }

    /**
     * The GEMM mode of a layer at {@code precision} when {@code -Dvim4j.cuda.precision} is {@code property}: FP32 layers
     * run FP32 or TF32 as the property says, BF16 layers BF16, INT8 is refused with a {@link VimException} naming the
     * alternatives. Static so that the mapping is testable without a device.
     */
    static GemmMode modeFor(Precision precision, GemmMode property) {
        return switch (precision) {
            case FP32 -> property == GemmMode.TF32 ? GemmMode.TF32 : GemmMode.FP32;
            case BF16 -> GemmMode.BF16;
            case INT8 -> throw new VimException("backend 'cuda' cannot run precision int8 (it runs fp32, tf32 and bf16): "
                    + "choose --precision bf16, or an int8-capable CPU backend (native, vector, scalar)");
        };
    }

    public boolean graphs() {
        return graphs;
    }

    /** The device, e.g. "device 0 (NVIDIA H200)". */
    public String device() {
        return CudaLibrary.status().device();
    }

    // -------------------------------------------------------------------------------------------------------------
    // Memory, weights, executions
    // -------------------------------------------------------------------------------------------------------------

    @Override
    public MemorySegment allocate(Arena arena, long floats) {
        return DeviceArena.allocate(arena, Math.multiplyExact(Math.max(floats, 1), 4L));
    }

    /** A device copy of {@code host[0, bytes)} owned by {@code arena} (complete when this returns). */
    private MemorySegment placeBytes(MemorySegment host, long bytes, Arena arena) {
        MemorySegment d = DeviceArena.allocate(arena, Math.max(bytes, 4));
        CudaStream.copy(d, host.asSlice(0, bytes), bytes, DEFAULT_STREAM);
        CudaStream.synchronize(DEFAULT_STREAM);
        return d;
    }

    /** A device copy of {@code host[0, floats)} owned by {@code arena} (complete when this returns). */
    @Override
    public MemorySegment place(MemorySegment host, long floats, Arena arena) {
        MemorySegment d = allocate(arena, floats);
        if (floats <= 0) {
            return d;
        }
        long bytes = floats * Float.BYTES;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment src = host.asSlice(0, bytes);
            if (!src.isNative()) {
                src = tmp.allocate(bytes, 64).copyFrom(src);
            }
            CudaStream.copy(d, src, bytes, DEFAULT_STREAM);
            CudaStream.synchronize(DEFAULT_STREAM);
        }
        return d;
    }

    /**
     * Uploads W (N, K) in PyTorch's layout (fp32, or bf16 bits converted on the host for the BF16 mode; an int8 weight of
     * a quantized checkpoint is dequantized first) and the bias, and builds the layer's argument struct, in {@code arena}.
     */
    @Override
    public LinearWeight prepareLinear(LinearSource source, Precision precision, Arena arena) {
        GemmMode m = modeFor(precision);
        Tensor weight = source.weight(), bias = source.bias();
        int n = source.outFeatures(), k = source.inFeatures();
        MemorySegment dw;
        if (m == GemmMode.BF16) {
            MemorySegment host = arena.allocate(2L * n * k, 64);
            for (int j = 0; j < n; j++) {
                for (int kk = 0; kk < k; kk++) {
                    long i = (long) j * k + kk;
                    host.setAtIndex(ValueLayout.JAVA_SHORT, i, Quantization.toBf16(Quantization.dequantized(source, j, k, kk)));
                }
            }
            dw = placeBytes(host, 2L * n * k, arena);
        } else if (source.weightScale() != null) {
            MemorySegment host = arena.allocate(4L * n * k, 64);
            for (int j = 0; j < n; j++) {
                for (int kk = 0; kk < k; kk++) {
                    host.setAtIndex(ValueLayout.JAVA_FLOAT, (long) j * k + kk, Quantization.dequantized(source, j, k, kk));
                }
            }
            dw = place(host, (long) n * k, arena);
        } else {
            dw = place(weight.toF32(arena).data(), (long) n * k, arena);
        }
        MemorySegment db = MemorySegment.NULL;
        if (bias != null) {
            Tensor bt = bias.toF32(arena);
            if (bt.numel() != n) {
                throw new VimException("linear bias '" + bias.name() + "' has " + bt.numel() + " values for " + n + " outputs");
            }
            db = place(bt.data(), n, arena);
        }
        MemorySegment s = vim4j_cuda_linear_weight.allocate(arena);
        vim4j_cuda_linear_weight.weight(s, dw);
        vim4j_cuda_linear_weight.bias(s, db);
        vim4j_cuda_linear_weight.n(s, n);
        vim4j_cuda_linear_weight.k(s, k);
        vim4j_cuda_linear_weight.precision(s, m.code());
        vim4j_cuda_linear_weight.layout(s, vim4j_cuda_h.VIM4J_CUDA_LAYOUT_ROW_MAJOR());
        return new CudaLinear(dw, db, n, k, m.code(), s);
    }

    /** The mixer's {@code vim4j_cuda_mixer_weights}, built once in the model's {@code arena}. */
    @Override
    public MixerWeights prepareMixer(MixerWeights w, Arena arena) {
        MemorySegment s = vim4j_cuda_mixer_weights.allocate(arena);
        vim4j_cuda_mixer_weights.in_proj(s, cast(w.inProj()).struct());
        branch(vim4j_cuda_mixer_weights.forward(s), w.forward());
        branch(vim4j_cuda_mixer_weights.backward(s), w.backward());
        vim4j_cuda_mixer_weights.out_proj(s, cast(w.outProj()).struct());
        return w.withFused(s);
    }

    private static void branch(MemorySegment s, BranchWeights b) {
        MemorySegment conv = vim4j_cuda_branch_weights.conv(s);
        vim4j_cuda_conv_weights.weight(conv, b.conv().weight());
        vim4j_cuda_conv_weights.bias(conv, b.conv().bias());
        vim4j_cuda_conv_weights.channels(conv, b.conv().channels());
        vim4j_cuda_conv_weights.kernel(conv, b.conv().kernel());
        vim4j_cuda_branch_weights.x_proj(s, cast(b.xProj()).struct());
        vim4j_cuda_branch_weights.dt_proj(s, cast(b.dtProj()).struct());
        MemorySegment scan = vim4j_cuda_branch_weights.scan(s);
        vim4j_cuda_scan_weights.a_t(scan, b.scan().aT());
        vim4j_cuda_scan_weights.d_skip(scan, b.scan().dSkip());
        vim4j_cuda_scan_weights.delta_bias(scan, b.scan().deltaBias());
        vim4j_cuda_scan_weights.channels(scan, b.scan().channels());
        vim4j_cuda_scan_weights.states(scan, b.scan().states());
    }

    /**
     * The workspace's {@code vim4j_cuda_mixer_buffers}, built once in the session's {@code arena}. The fused layer
     * reads the buffers in {@link MixerBuffers#allocate}'s layout (each contiguous, x | z in xz); others are refused.
     */
    @Override
    public MixerBuffers prepareBuffers(MixerBuffers b, Arena arena) {
        MixerDims d = b.dims();
        long rows = b.rows();
        int e = d.dInner();
        requireRows(b.normed(), rows, d.dModel(), "normed");
        requireRows(b.hidden(), rows, d.dModel(), "hidden");
        requireRows(b.xz(), rows, 2L * e, "xz");
        requireRows(b.delta(), rows, e, "delta");
        if (b.y().offset() != 0 || b.y().ld() != e) {
            throw new IllegalArgumentException("fused mixer: y must be contiguous rows of E = " + e + ", got " + b.y());
        }
        requireRows(b.y().data(), rows, e, "y");
        for (BranchBuffers br : new BranchBuffers[] {b.forward(), b.backward()}) {
            requireRows(br.xc(), rows, e, "xc");
            requireRows(br.xDbl(), rows, d.xProjOut(), "x_dbl");
            if (br.x().data() != b.xz() || br.x().offset() != 0 || br.x().ld() != 2 * e) {
                throw new IllegalArgumentException("fused mixer: a branch's x must be the x half of xz, got " + br.x());
            }
        }
        MemorySegment s = vim4j_cuda_mixer_buffers.allocate(arena);
        MemorySegment dims = vim4j_cuda_mixer_buffers.dims(s);
        vim4j_cuda_mixer_dims.d_model(dims, d.dModel());
        vim4j_cuda_mixer_dims.d_inner(dims, e);
        vim4j_cuda_mixer_dims.d_state(dims, d.dState());
        vim4j_cuda_mixer_dims.dt_rank(dims, d.dtRank());
        vim4j_cuda_mixer_buffers.rows(s, rows);
        vim4j_cuda_mixer_buffers.normed(s, b.normed());
        vim4j_cuda_mixer_buffers.hidden(s, b.hidden());
        vim4j_cuda_mixer_buffers.xz(s, b.xz());
        vim4j_cuda_mixer_buffers.delta(s, b.delta());
        vim4j_cuda_mixer_buffers.y(s, b.y().data());
        vim4j_cuda_mixer_buffers.xc_f(s, b.forward().xc());
        vim4j_cuda_mixer_buffers.xc_b(s, b.backward().xc());
        vim4j_cuda_mixer_buffers.x_dbl_f(s, b.forward().xDbl());
        vim4j_cuda_mixer_buffers.x_dbl_b(s, b.backward().xDbl());
        return b.withFused(s);
    }

    private static void requireRows(MemorySegment buf, long rows, long width, String what) {
        if (buf.byteSize() < Math.multiplyExact(Math.multiplyExact(rows, width), 4L)) {
            throw new IllegalArgumentException("fused mixer: buffer " + what + " holds " + buf.byteSize() / 4 + " floats, not "
                    + rows + " rows of " + width);
        }
    }

    /** A stream, pinned staging and graphs for one session, freed with {@code arena}. */
    @Override
    public Execution newExecution(Arena arena, long maxInputFloats) {
        return new CudaExecution(arena, maxInputFloats, graphs);
    }

    /** The whole batch at once: {@link #embedPatches} unfolds every image with one launch. */
    @Override
    public int patchImagesAtOnce(int maxBatch) {
        return maxBatch;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Whole layers
    // -------------------------------------------------------------------------------------------------------------

    /**
     * im2col of all {@code batch} images (one launch), one GEMM for all their patches into the first rows of
     * {@code tokens}, those rows moved into {@code patches} (free once the GEMM has read it), then the token assembly
     * (class token at M/2, plus the position embedding) back into {@code tokens}: four launches. Where the embedded
     * rows do not fit in {@code patches} (D greater than C*p*p), the GEMMs go per image straight into place.
     */
    @Override
    public void embedPatches(PatchEmbedding w, MemorySegment images, PatchGrid grid, int batch, MemorySegment posEmbed,
            MemorySegment patches, MemorySegment tokens) {
        if (batch <= 0) {
            return;
        }
        CudaLinear proj = cast(w.proj());
        int d = proj.outFeatures(), m = grid.patches(), cpp = grid.patchInputs(), len = grid.tokens();
        long rows = (long) batch * m;
        MemorySegment stream = stream();
        Cuda.check(vim4j_cuda_h.vim4j_cuda_im2col(at(images, 0, batch, grid.imageFloats(), grid.imageFloats()), batch,
                CallArgs.ofThread().grid(grid), at(patches, 0, rows, cpp, cpp), stream), "im2col");
        at(tokens, 0, (long) batch * len, d, d);
        at(posEmbed, 0, len, d, d);
        if (rows * d * Float.BYTES <= patches.byteSize() && rows <= Integer.MAX_VALUE) {
            Cuda.check(vim4j_cuda_h.vim4j_cuda_linear(patches, cpp, (int) rows, proj.struct(), tokens, d, stream),
                    "patch embedding");
            CudaStream.copy(patches, tokens, rows * d * Float.BYTES, stream);
            Cuda.check(vim4j_cuda_h.vim4j_cuda_embed_tokens(patches, w.clsToken(), posEmbed, tokens, batch, m, d, stream),
                    "embed tokens");
        } else {
            int cls = grid.cls();
            for (int b = 0; b < batch; b++) {
                long seq = (long) b * len * d, img = (long) b * m * cpp;
                linear(patches, img, cpp, cls, proj, tokens, seq, d);
                linear(patches, img + (long) cls * cpp, cpp, m - cls, proj, tokens, seq + (long) (cls + 1) * d, d);
                copy(w.clsToken(), 0, tokens, seq + (long) cls * d, d);
                add(tokens, seq, posEmbed, 0, (long) len * d);
            }
        }
        finish();
    }

    /** The fused layer ({@code vim4j_cuda_mixer_forward}); the composed primitives when a probe watches. */
    @Override
    public void mixer(MixerWeights w, MixerBuffers b, int batch, int len, MixerProbe probe) {
        if (probe != null || w.fused().address() == 0 || b.fused().address() == 0) {
            Kernels.super.mixer(w, b, batch, len, probe);
            return;
        }
        Cuda.check(vim4j_cuda_h.vim4j_cuda_mixer_forward(w.fused(), b.fused(), batch, len, stream()), "mixer layer");
        finish();
    }

    // -------------------------------------------------------------------------------------------------------------
    // Primitives: one launch each
    // -------------------------------------------------------------------------------------------------------------

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight lw, MemorySegment c, long cOff, int ldc) {
        CudaLinear w = cast(lw);
        if (m <= 0) {
            return;
        }
        Cuda.check(vim4j_cuda_h.vim4j_cuda_linear(at(a, aOff, m, lda, w.inFeatures()), lda, m, w.struct(),
                at(c, cOff, m, ldc, w.outFeatures()), ldc, stream()), "linear");
        finish();
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
        Cuda.check(vim4j_cuda_h.vim4j_cuda_add_rms_norm(at(residual, 0, rows, dim, dim),
                hidden == null ? MemorySegment.NULL : at(hidden, 0, rows, dim, dim), at(weight, 0, 1, dim, dim),
                at(out, 0, rows, dim, dim), rows, dim, eps, stream()), "addRmsNorm");
        finish();
    }

    @Override
    public void convSilu(Rows x, ConvWeights w, Rows out, int batch, int len, boolean reverse) {
        if (batch <= 0 || len <= 0 || w.channels() <= 0) {
            return;
        }
        long rows = (long) batch * len;
        CallArgs args = CallArgs.ofThread();
        Cuda.check(vim4j_cuda_h.vim4j_cuda_conv_silu(CallArgs.rows(args.x, x, rows, w.channels()), args.conv(w),
                CallArgs.rows(args.out, out, rows, w.channels()), batch, len, reverse ? 1 : 0, stream()), "convSilu");
        finish();
    }

    @Override
    public void selectiveScan(ScanInputs in, ScanWeights w, Rows out, int batch, int len, ScanMode mode) {
        if (batch <= 0 || len <= 0 || w.channels() <= 0) {
            return;
        }
        long rows = (long) batch * len;
        CallArgs args = CallArgs.ofThread();
        Cuda.check(vim4j_cuda_h.vim4j_cuda_selective_scan(args.scanInputs(in, rows, w.channels(), w.states()),
                args.scanWeights(w), CallArgs.rows(args.out, out, rows, w.channels()), batch, len, args.scanMode(mode),
                stream()), "selectiveScan");
        finish();
    }

    @Override
    public void im2col(MemorySegment image, long iOff, PatchGrid grid, MemorySegment out, long oOff) {
        Cuda.check(vim4j_cuda_h.vim4j_cuda_im2col(at(image, iOff, 1, grid.imageFloats(), grid.imageFloats()), 1,
                CallArgs.ofThread().grid(grid), at(out, oOff, grid.patches(), grid.patchInputs(), grid.patchInputs()),
                stream()), "im2col");
        finish();
    }

    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        if (n <= 0) {
            return;
        }
        Cuda.check(vim4j_cuda_h.vim4j_cuda_add(at(dst, dOff, 1, n, n), at(src, sOff, 1, n, n), n, stream()), "add");
        finish();
    }

    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        if (n <= 0) {
            return;
        }
        CudaStream.copy(at(dst, dOff, 1, n, n), at(src, sOff, 1, n, n), n * Float.BYTES, stream());
        finish();
    }

    // -------------------------------------------------------------------------------------------------------------
    // Helpers
    // -------------------------------------------------------------------------------------------------------------

    /** The stream of the execution running on this thread, else the default stream. */
    private static MemorySegment stream() {
        CudaExecution e = CudaExecution.current();
        return e == null ? DEFAULT_STREAM : e.stream();
    }

    /** Outside an execution, waits for the default stream, so the result is there for any later transfer. */
    private static void finish() {
        if (CudaExecution.current() == null) {
            CudaStream.synchronize(DEFAULT_STREAM);
        }
    }

    /**
     * {@code buf} from float {@code off}, after checking that {@code rows} rows of {@code width} floats at stride
     * {@code ld} lie inside it (a device pointer past its allocation would fault the device, not throw here).
     */
    static MemorySegment at(MemorySegment buf, long off, long rows, long ld, long width) {
        long end = rows <= 0 ? off : off + (rows - 1) * ld + width;
        if (off < 0 || end * Float.BYTES > buf.byteSize()) {
            throw new IndexOutOfBoundsException("floats [" + off + ", " + end + ") (" + rows + " rows of " + width
                    + ", stride " + ld + ") outside a buffer of " + buf.byteSize() / Float.BYTES + " floats");
        }
        return off == 0 ? buf : buf.asSlice(off * Float.BYTES);
    }

    static CudaLinear cast(LinearWeight w) {
        if (w instanceof CudaLinear c) {
            return c;
        }
        throw new IllegalArgumentException("linear weight was not prepared by the CUDA backend: "
                + (w == null ? "null" : w.getClass().getName()));
    }
}

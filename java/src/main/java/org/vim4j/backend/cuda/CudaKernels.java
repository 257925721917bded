package org.vim4j.kernel.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

import org.vim4j.VimException;
import org.vim4j.bindings.vim4j_cuda_h;
import org.vim4j.kernel.BackendKind;
import org.vim4j.kernel.KernelThreads;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.model.DeviceForward;
import org.vim4j.model.DeviceSession;
import org.vim4j.model.VimWeights;
import org.vim4j.tensor.Tensor;

/**
 * The CUDA backend. Two paths:
 * <ul>
 * <li>the whole forward on the device ({@link DeviceForward}): weights uploaded once per model, one stream, a device
 *     workspace and pinned transfer buffers per session, the fused mixer layer, and a CUDA graph per input shape
 *     ({@link CudaSession}). {@code VimSession} takes it for every run that does not observe intermediate stages;</li>
 * <li>the {@link Kernels} primitives on host segments, each staging its operands to the device and back
 *     ({@link Staging}): correct but slow, for the conformance tests and for runs that observe every stage (the
 *     per-stage golden test).</li>
 * </ul>
 * Options (system properties, read when a model is loaded): {@code vim4j.cuda.precision=fp32|tf32} (default fp32:
 * exact fp32 GEMMs, the 1e-4 golden tolerance; tf32 runs the projections on tensor cores with TF32 inputs and fp32
 * accumulation) and {@code vim4j.cuda.graph=true|false} (default true: replay a captured graph per shape).
 */
public final class CudaKernels implements Kernels, DeviceForward {
    public static final String PRECISION_PROPERTY = "vim4j.cuda.precision";
    public static final String GRAPH_PROPERTY = "vim4j.cuda.graph";
    private static final MemorySegment DEFAULT_STREAM = MemorySegment.NULL;

    /** GEMM precision of the CUDA backend. */
    public enum Precision {
        /** fp32 SIMT GEMMs: the exact mode, logits within 1e-4 of the reference. */
        FP32,
        /** tensor cores, TF32 inputs (10-bit mantissa), fp32 accumulation. */
        TF32;

        int code() {
            return this == FP32 ? vim4j_cuda_h.VIM4J_CUDA_PRECISION_FP32() : vim4j_cuda_h.VIM4J_CUDA_PRECISION_TF32();
        }

        static Precision parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new VimException("-D" + PRECISION_PROPERTY + "=" + s + ": expected fp32 or tf32");
            }
        }
    }

    private final KernelThreads threads;
    private final Precision precision;
    private final boolean graphs;
    private Arena modelArena;               // the arena prepareLinear was given: the model's (see deviceWeights)
    private volatile DeviceWeights weights; // uploaded on the first session, freed with the model arena

    public CudaKernels(KernelThreads threads) {
        this(threads, Precision.parse(System.getProperty(PRECISION_PROPERTY, "fp32")),
                Boolean.parseBoolean(System.getProperty(GRAPH_PROPERTY, "true").trim()));
    }

    public CudaKernels(KernelThreads threads, Precision precision, boolean graphs) {
        CudaLibrary.Status s = CudaLibrary.status();
        if (!s.available()) {
            throw new VimException("backend 'cuda' is unavailable: " + s.reason());
        }
        this.threads = threads;
        this.precision = precision;
        this.graphs = graphs;
    }

    @Override
    public BackendKind kind() {
        return BackendKind.CUDA;
    }

    /** Host threads: the device does the work; the pool is kept only for the interface. */
    @Override
    public int threads() {
        return threads.size();
    }

    public Precision precision() {
        return precision;
    }

    public boolean graphs() {
        return graphs;
    }

    /** The device, e.g. "device 0 (NVIDIA H200)". */
    public String device() {
        return CudaLibrary.status().device();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Weights and the device forward
    // ---------------------------------------------------------------------------------------------------------

    /** Uploads W (N, K) as it is (PyTorch layout) and the bias into device memory owned by {@code arena}. */
    @Override
    public LinearWeight prepareLinear(Tensor weight, Tensor bias, Arena arena) {
        synchronized (this) {
            modelArena = arena; // VimWeights.place hands every layer the model's arena
        }
        Tensor w = weight.toF32(arena);
        int n = Math.toIntExact(w.dim(0));
        if (n <= 0 || w.numel() % n != 0) {
            throw new VimException("linear weight '" + weight.name() + "': cannot view " + java.util.Arrays.toString(w.shape())
                    + " as (N, K)");
        }
        int k = Math.toIntExact(w.numel() / n);
        MemorySegment dw = upload(w.data(), (long) n * k, arena);
        MemorySegment db = MemorySegment.NULL;
        if (bias != null) {
            Tensor bt = bias.toF32(arena);
            if (bt.numel() != n) {
                throw new VimException("linear bias '" + bias.name() + "' has " + bt.numel() + " values for " + n + " outputs");
            }
            db = upload(bt.data(), n, arena);
        }
        return new CudaLinear(dw, db, n, k);
    }

    /** A device copy of the first {@code floats} floats of {@code host}, owned by {@code owner} (synchronous). */
    static MemorySegment upload(MemorySegment host, long floats, Arena owner) {
        MemorySegment d = DeviceArena.allocate(owner, floats * 4);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment src = host;
            if (!host.isNative()) {
                src = tmp.allocate(floats * 4, 64);
                MemorySegment.copy(host, 0, src, 0, floats * 4);
            }
            CudaStream.copy(d, src, floats * 4, DEFAULT_STREAM);
            CudaStream.synchronize(DEFAULT_STREAM);
        }
        return d;
    }

    /** The model's device weights, uploaded once (the first session), in the model's arena. */
    DeviceWeights deviceWeights(VimWeights w) {
        DeviceWeights dw = weights;
        if (dw == null) {
            synchronized (this) {
                dw = weights;
                if (dw == null) {
                    if (modelArena == null) {
                        throw new IllegalStateException("CUDA backend: no model arena (weights were not placed by this backend)");
                    }
                    dw = DeviceWeights.upload(w, modelArena);
                    weights = dw;
                }
            }
        }
        return dw;
    }

    @Override
    public DeviceSession openSession(VimWeights w, Arena sessionArena, int maxBatch, int maxTokens) {
        return new CudaSession(deviceWeights(w), sessionArena, maxBatch, maxTokens, precision.code(), graphs);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Primitives on host segments (staged)
    // ---------------------------------------------------------------------------------------------------------

    /** Floats a strided range of {@code rows} rows of {@code width} floats, row stride {@code ld}, spans. */
    private static long span(long rows, long ld, long width) {
        return rows <= 0 ? 0 : (rows - 1) * ld + width;
    }

    private static CudaLinear cast(LinearWeight w) {
        if (w instanceof CudaLinear c) {
            return c;
        }
        throw new IllegalArgumentException("linear weight was not prepared by the CUDA backend: " + w);
    }

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight lw, MemorySegment c, long cOff, int ldc) {
        CudaLinear w = cast(lw);
        if (m <= 0) {
            return;
        }
        int n = w.outFeatures(), k = w.inFeatures();
        try (Staging s = new Staging()) {
            MemorySegment da = s.in(a, aOff, span(m, lda, k));
            MemorySegment dc = s.inOut(c, cOff, span(m, ldc, n));
            Cuda.check(vim4j_cuda_h.vim4j_cuda_linear(da, lda, m, w.weight(), w.bias(), n, k, dc, ldc, precision.code(),
                    DEFAULT_STREAM), "linear");
            s.finish();
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
        try (Staging s = new Staging()) {
            MemorySegment dr = s.inOut(residual, rOff, floats);
            MemorySegment dh = hidden == null ? MemorySegment.NULL : s.in(hidden, hOff, floats);
            MemorySegment dw = s.in(weight, 0, dim);
            MemorySegment dout = s.out(out, oOff, floats);
            Cuda.check(vim4j_cuda_h.vim4j_cuda_add_rms_norm(dr, dh, dw, dout, rows, dim, eps, DEFAULT_STREAM), "addRmsNorm");
            s.finish();
        }
    }

    @Override
    public void convSilu(MemorySegment x, long xOff, int ldx, MemorySegment w, MemorySegment bias, MemorySegment out,
            long oOff, int ldo, int batch, int len, int channels, int kernel, boolean reverse) {
        if (batch <= 0 || len <= 0 || channels <= 0) {
            return;
        }
        long rows = (long) batch * len;
        try (Staging s = new Staging()) {
            MemorySegment dx = s.in(x, xOff, span(rows, ldx, channels));
            MemorySegment dw = s.in(w, 0, (long) channels * kernel);
            MemorySegment db = s.in(bias, 0, channels);
            MemorySegment dout = s.inOut(out, oOff, span(rows, ldo, channels));
            Cuda.check(vim4j_cuda_h.vim4j_cuda_conv_silu(dx, ldx, dw, db, dout, ldo, batch, len, channels, kernel,
                    reverse ? 1 : 0, DEFAULT_STREAM), "convSilu");
            s.finish();
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
        long lo = Math.min(bOff, cOff);
        try (Staging s = new Staging()) {
            MemorySegment du = s.in(u, uOff, span(rows, ldu, channels));
            MemorySegment dd = s.in(delta, dOff, span(rows, ldd, channels));
            MemorySegment da = s.in(aT, 0, (long) states * channels);
            MemorySegment dbc = s.in(bc, lo, Math.max(bOff, cOff) - lo + span(rows, ldbc, states));
            MemorySegment ds = s.in(dSkip, 0, channels);
            MemorySegment dbias = s.in(deltaBias, 0, channels);
            MemorySegment dz = s.in(z, zOff, span(rows, ldz, channels));
            MemorySegment dout = s.inOut(out, oOff, span(rows, ldo, channels));
            Cuda.check(vim4j_cuda_h.vim4j_cuda_selective_scan(du, ldu, dd, ldd, da, dbc.asSlice((bOff - lo) * 4),
                    dbc.asSlice((cOff - lo) * 4), ldbc, ds, dbias, dz, ldz, dout, ldo, batch, len, channels, states,
                    reverse ? 1 : 0, outScale, accumulate ? 1 : 0, DEFAULT_STREAM), "selectiveScan");
            s.finish();
        }
    }

    @Override
    public void im2col(MemorySegment image, long iOff, int channels, int height, int width, int patch, int stride,
            MemorySegment out, long oOff) {
        int gh = (height - patch) / stride + 1, gw = (width - patch) / stride + 1;
        long floats = (long) gh * gw * channels * patch * patch;
        try (Staging s = new Staging()) {
            MemorySegment di = s.in(image, iOff, (long) channels * height * width);
            MemorySegment dout = s.out(out, oOff, floats);
            Cuda.check(vim4j_cuda_h.vim4j_cuda_im2col(di, 1, channels, height, width, patch, stride, dout, DEFAULT_STREAM),
                    "im2col");
            s.finish();
        }
    }

    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        if (n <= 0) {
            return;
        }
        try (Staging s = new Staging()) {
            MemorySegment dd = s.inOut(dst, dOff, n);
            MemorySegment ds = s.in(src, sOff, n);
            Cuda.check(vim4j_cuda_h.vim4j_cuda_add(dd, ds, n, DEFAULT_STREAM), "add");
            s.finish();
        }
    }

    /** A host-to-host copy: nothing for the device to do on this path. */
    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        MemorySegment.copy(src, sOff * 4, dst, dOff * 4, n * 4);
    }
}

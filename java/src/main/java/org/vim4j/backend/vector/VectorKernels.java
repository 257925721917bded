package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.Precision;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearSource;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;

/**
 * The Java Vector API backend: SIMD kernels on {@link VectorLanes#F}, multi-threaded on the JVM's shared
 * {@link KernelThreads} pool with this model's limit (at most {@link #threads()} threads per loop, the caller included;
 * closing the kernels ends the model's use of the pool, whose workers serve the other models).
 *
 * <p>Steady-state calls allocate nothing: each op keeps one mutable task object per calling thread
 * (thread-local, so concurrent sessions never share one) that the pool runs, and per-thread scratch
 * lives in {@link Scratch}. Each op's loop structure and the reasons for it are in its own class.
 */
public final class VectorKernels implements Kernels {
    private static final ThreadLocal<GemmKernel.Task> GEMM = ThreadLocal.withInitial(GemmKernel.Task::new);
    private static final ThreadLocal<QuantGemmKernel.Task> QUANT_GEMM =
            ThreadLocal.withInitial(QuantGemmKernel.Task::new);
    private static final ThreadLocal<ScanKernel.Task> SCAN = ThreadLocal.withInitial(ScanKernel.Task::new);
    private static final ThreadLocal<ConvKernel.Task> CONV = ThreadLocal.withInitial(ConvKernel.Task::new);
    private static final ThreadLocal<NormKernel.Task> NORM = ThreadLocal.withInitial(NormKernel.Task::new);
    private static final ThreadLocal<AddKernel.Task> ADD = ThreadLocal.withInitial(AddKernel.Task::new);
    private static final ThreadLocal<Im2colKernel.Task> IM2COL = ThreadLocal.withInitial(Im2colKernel.Task::new);

    private final KernelThreads threads;
    private final KernelTier tier;

    /**
     * Kernels using at most {@code threads} threads (the caller included) of the JVM's shared pool, on this JVM's
     * {@link KernelTier#resolved() tier}.
     */
    public VectorKernels(int threads) {
        this(threads, KernelTier.resolved());
    }

    /** Kernels on the given tier: both compute the same bits; PLAIN is the fast one without C2 (KernelTier). */
    public VectorKernels(int threads, KernelTier tier) {
        this.threads = KernelThreads.shared(threads);
        this.tier = tier;
    }

    /** The code that runs this instance's FP32 kernels. */
    public KernelTier tier() {
        return tier;
    }

    /** Width of the vectors in use (forced by {@code -Dvim4j.vectorBits}, else the CPU's preferred). */
    public static int vectorBits() {
        return VectorLanes.F.vectorBitSize();
    }

    @Override
    public int threads() {
        return threads.size();
    }

    @Override
    public MemorySegment allocate(Arena arena, long floats) {
        return arena.allocate(Math.multiplyExact(Math.max(floats, 1), (long) Float.BYTES), 64);
    }

    @Override
    public MemorySegment place(MemorySegment host, long floats, Arena arena) {
        return host;
    }

    /**
     * FP32: {@link PackedLinear} (an int8 source of a quantized checkpoint is dequantized, {@code q * scale}); BF16 and
     * INT8: {@link QuantLinear}, the weights kept as bf16 or int8 bytes with their scales.
     */
    @Override
    public LinearWeight prepareLinear(LinearSource source, Precision precision, Arena arena) {
        if (precision == Precision.FP32) {
            return PackedLinear.pack(source, arena);
        }
        return QuantLinear.pack(source, precision, arena);
    }

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight w, MemorySegment c, long cOff, int ldc) {
        if (w instanceof PackedLinear packed) {
            GEMM.get().run(threads, tier, a, aOff, lda, m, packed, c, cOff, ldc);
        } else if (w instanceof QuantLinear quant) {
            QUANT_GEMM.get().run(threads, tier, a, aOff, lda, m, quant, c, cOff, ldc);
        } else {
            throw new IllegalArgumentException("linear weight was prepared by another backend: " + w.getClass().getName());
        }
    }

    @Override
    public void addRmsNorm(MemorySegment residual, MemorySegment hidden, MemorySegment weight, MemorySegment out, int rows,
            int dim, float eps) {
        NORM.get().run(threads, tier, residual, hidden, weight, out, rows, dim, eps);
    }

    @Override
    public void convSilu(Rows x, ConvWeights w, Rows out, int batch, int len, boolean reverse) {
        CONV.get().run(threads, tier, x, w, out, batch, len, reverse);
    }

    @Override
    public void selectiveScan(ScanInputs in, ScanWeights w, Rows out, int batch, int len, ScanMode mode) {
        SCAN.get().run(threads, tier, in, w, out, batch, len, mode);
    }

    @Override
    public void im2col(MemorySegment image, long iOff, PatchGrid grid, MemorySegment out, long oOff) {
        IM2COL.get().run(threads, tier, image, iOff, grid, out, oOff);
    }

    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        ADD.get().run(threads, tier, dst, dOff, src, sOff, n);
    }

    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        // A bulk copy is already a vectorised memmove; nothing to gain from doing it by hand.
        MemorySegment.copy(src, JAVA_FLOAT, sOff * Float.BYTES, dst, JAVA_FLOAT, dOff * Float.BYTES, n);
    }

    /** Ends this model's use of the shared pool; later loops run on the caller's thread. */
    @Override
    public void close() {
        threads.close();
    }
}

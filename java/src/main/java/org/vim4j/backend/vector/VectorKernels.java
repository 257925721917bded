package org.vim4j.kernel.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.BackendKind;
import org.vim4j.kernel.KernelThreads;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.tensor.Tensor;

/**
 * The Java Vector API backend: SIMD kernels on {@link VectorLanes#F}, multi-threaded through the
 * model's {@link KernelThreads}.
 *
 * <p>Steady-state calls allocate nothing: each op keeps one mutable task object per calling thread
 * (thread-local, so concurrent sessions never share one) that the pool runs, and per-thread scratch
 * lives in {@link Scratch}. Each op's loop structure and the reasons for it are in its own class.
 */
public final class VectorKernels implements Kernels {
    private static final ThreadLocal<GemmKernel.Task> GEMM = ThreadLocal.withInitial(GemmKernel.Task::new);
    private static final ThreadLocal<ScanKernel.Task> SCAN = ThreadLocal.withInitial(ScanKernel.Task::new);
    private static final ThreadLocal<ConvKernel.Task> CONV = ThreadLocal.withInitial(ConvKernel.Task::new);
    private static final ThreadLocal<NormKernel.Task> NORM = ThreadLocal.withInitial(NormKernel.Task::new);
    private static final ThreadLocal<AddKernel.Task> ADD = ThreadLocal.withInitial(AddKernel.Task::new);
    private static final ThreadLocal<Im2colKernel.Task> IM2COL = ThreadLocal.withInitial(Im2colKernel.Task::new);

    private final KernelThreads threads;

    public VectorKernels(KernelThreads threads) {
        this.threads = threads;
    }

    /** Width of the vectors in use (forced by {@code -Dvim4j.vectorBits}, else the CPU's preferred). */
    public static int vectorBits() {
        return VectorLanes.F.vectorBitSize();
    }

    @Override
    public BackendKind kind() {
        return BackendKind.VECTOR;
    }

    @Override
    public int threads() {
        return threads.size();
    }

    @Override
    public LinearWeight prepareLinear(Tensor weight, Tensor bias, Arena arena) {
        return PackedLinear.pack(weight, bias, arena);
    }

    @Override
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight w, MemorySegment c, long cOff, int ldc) {
        if (!(w instanceof PackedLinear packed)) {
            throw new IllegalArgumentException("linear weight was prepared by another backend: " + w.getClass().getName());
        }
        GEMM.get().run(threads, a, aOff, lda, m, packed, c, cOff, ldc);
    }

    @Override
    public void addRmsNorm(MemorySegment residual, long rOff, MemorySegment hidden, long hOff, MemorySegment weight,
            MemorySegment out, long oOff, int rows, int dim, float eps) {
        NORM.get().run(threads, residual, rOff, hidden, hOff, weight, out, oOff, rows, dim, eps);
    }

    @Override
    public void convSilu(MemorySegment x, long xOff, int ldx, MemorySegment w, MemorySegment bias, MemorySegment out,
            long oOff, int ldo, int batch, int len, int channels, int kernel, boolean reverse) {
        CONV.get().run(threads, x, xOff, ldx, w, bias, out, oOff, ldo, batch, len, channels, kernel, reverse);
    }

    @Override
    public void selectiveScan(MemorySegment u, long uOff, int ldu, MemorySegment delta, long dOff, int ldd,
            MemorySegment aT, MemorySegment bc, long bOff, long cOff, int ldbc, MemorySegment dSkip,
            MemorySegment deltaBias, MemorySegment z, long zOff, int ldz, MemorySegment out, long oOff, int ldo,
            int batch, int len, int channels, int states, boolean reverse, float outScale, boolean accumulate) {
        SCAN.get().run(threads, u, uOff, ldu, delta, dOff, ldd, aT, bc, bOff, cOff, ldbc, dSkip, deltaBias, z, zOff,
                ldz, out, oOff, ldo, batch, len, channels, states, reverse, outScale, accumulate);
    }

    @Override
    public void im2col(MemorySegment image, long iOff, int channels, int height, int width, int patch, int stride,
            MemorySegment out, long oOff) {
        IM2COL.get().run(threads, image, iOff, channels, height, width, patch, stride, out, oOff);
    }

    @Override
    public void add(MemorySegment dst, long dOff, MemorySegment src, long sOff, long n) {
        ADD.get().run(threads, dst, dOff, src, sOff, n);
    }

    @Override
    public void copy(MemorySegment src, long sOff, MemorySegment dst, long dOff, long n) {
        // A bulk copy is already a vectorised memmove; nothing to gain from doing it by hand.
        MemorySegment.copy(src, JAVA_FLOAT, sOff * Float.BYTES, dst, JAVA_FLOAT, dOff * Float.BYTES, n);
    }
}

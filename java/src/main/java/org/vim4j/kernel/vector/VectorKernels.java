package org.vim4j.kernel.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.BackendKind;
import org.vim4j.kernel.KernelThreads;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.kernel.scalar.ScalarKernels;
import org.vim4j.tensor.Tensor;

/** TEMPORARY placeholder (being replaced by the Vector API kernels): delegates to the scalar kernels. */
public final class VectorKernels implements Kernels {
    private final ScalarKernels s = new ScalarKernels();
    private final KernelThreads threads;

    public VectorKernels(KernelThreads threads) {
        this.threads = threads;
    }

    public static int vectorBits() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    public BackendKind kind() { return BackendKind.VECTOR; }
    public int threads() { return threads.size(); }
    public LinearWeight prepareLinear(Tensor w, Tensor b, Arena a) { return s.prepareLinear(w, b, a); }
    public void linear(MemorySegment a, long aOff, int lda, int m, LinearWeight w, MemorySegment c, long cOff, int ldc) { s.linear(a, aOff, lda, m, w, c, cOff, ldc); }
    public void addRmsNorm(MemorySegment r, long rOff, MemorySegment h, long hOff, MemorySegment w, MemorySegment o, long oOff, int rows, int dim, float eps) { s.addRmsNorm(r, rOff, h, hOff, w, o, oOff, rows, dim, eps); }
    public void convSilu(MemorySegment x, long xOff, int ldx, MemorySegment w, MemorySegment b, MemorySegment o, long oOff, int ldo, int batch, int len, int ch, int k, boolean rev) { s.convSilu(x, xOff, ldx, w, b, o, oOff, ldo, batch, len, ch, k, rev); }
    public void selectiveScan(MemorySegment u, long uOff, int ldu, MemorySegment d, long dOff, int ldd, MemorySegment aT, MemorySegment bc, long bOff, long cOff, int ldbc, MemorySegment dS, MemorySegment db, MemorySegment z, long zOff, int ldz, MemorySegment o, long oOff, int ldo, int batch, int len, int ch, int st, boolean rev, float sc, boolean acc) { s.selectiveScan(u, uOff, ldu, d, dOff, ldd, aT, bc, bOff, cOff, ldbc, dS, db, z, zOff, ldz, o, oOff, ldo, batch, len, ch, st, rev, sc, acc); }
    public void im2col(MemorySegment i, long iOff, int c, int h, int w, int p, int s2, MemorySegment o, long oOff) { s.im2col(i, iOff, c, h, w, p, s2, o, oOff); }
    public void add(MemorySegment d, long dOff, MemorySegment src, long sOff, long n) { s.add(d, dOff, src, sOff, n); }
    public void copy(MemorySegment src, long sOff, MemorySegment d, long dOff, long n) { s.copy(src, sOff, d, dOff, n); }
}

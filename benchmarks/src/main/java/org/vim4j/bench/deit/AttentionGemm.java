package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C[i, j] (+)= sum_p A[i, p] * B[p, j]} with every matrix row-major in a segment (offsets and strides in floats):
 * the two products of attention, Q·Kᵀ (Kᵀ materialised once per head) and P·V. The projections do not come here:
 * they go through each backend's {@code Kernels.linear}. Attention's operands change with every image, so they
 * cannot use {@code prepareLinear}'s one-time weight packing, hence this unpacked kernel.
 *
 * <p>Vector path: 4 rows x 2 vectors of C in 8 registers, B streamed row by row, A broadcast; 1-row tails, and
 * scalar columns past the last whole vector. Scalar path: the plain triple loop (the SCALAR backend's baseline, and the tests' oracle).
 */
final class AttentionGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector: DeiT pads its token count to a multiple of this. */
    static final int V = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private AttentionGemm() {
    }

    static void nn(boolean simd, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
            MemorySegment c, long cOff, int ldc, int m, int n, int k, boolean accumulate) {
        if (!simd) {
            scalar(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k, accumulate);
            return;
        }
        // No masked vectors: masked tails fell back to allocating Java code in C2. Callers pad their column counts to
        // whole vectors (DeiT pads L); any remaining columns go through the scalar loop.
        int nv = n - n % V;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int j = 0;
            for (; j + 2 * V <= nv; j += 2 * V) {
                block4x2(a, aOff + (long) i * lda, lda, b, bOff + j, ldb, c, cOff + (long) i * ldc + j, ldc, k, accumulate);
            }
            if (j < nv) {
                block4x1(a, aOff + (long) i * lda, lda, b, bOff + j, ldb, c, cOff + (long) i * ldc + j, ldc, k, accumulate);
            }
        }
        for (; i < m; i++) {
            for (int j = 0; j < nv; j += V) {
                block1x1(a, aOff + (long) i * lda, b, bOff + j, ldb, c, cOff + (long) i * ldc + j, k, accumulate);
            }
        }
        if (nv < n) {
            scalar(a, aOff, lda, b, bOff + nv, ldb, c, cOff + nv, ldc, m, n - nv, k, accumulate);
        }
    }

    private static void block4x2(MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
            MemorySegment c, long cOff, int ldc, int k, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        long a0 = aOff, a1 = aOff + lda, a2 = aOff + 2L * lda, a3 = aOff + 3L * lda;
        for (int p = 0; p < k; p++) {
            long bp = (bOff + (long) p * ldb) * 4;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bp, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bp + 4L * V, LE);
            FloatVector x = FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, a0 + p));
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, a1 + p));
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, a2 + p));
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, a3 + p));
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
        }
        store(c, cOff, c00, accumulate);
        store(c, cOff + V, c01, accumulate);
        store(c, cOff + ldc, c10, accumulate);
        store(c, cOff + ldc + V, c11, accumulate);
        store(c, cOff + 2L * ldc, c20, accumulate);
        store(c, cOff + 2L * ldc + V, c21, accumulate);
        store(c, cOff + 3L * ldc, c30, accumulate);
        store(c, cOff + 3L * ldc + V, c31, accumulate);
    }

    private static void block4x1(MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
            MemorySegment c, long cOff, int ldc, int k, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0; p < k; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bOff + (long) p * ldb) * 4, LE);
            c0 = b0.fma(FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, aOff + p)), c0);
            c1 = b0.fma(FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, aOff + lda + p)), c1);
            c2 = b0.fma(FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, aOff + 2L * lda + p)), c2);
            c3 = b0.fma(FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, aOff + 3L * lda + p)), c3);
        }
        store(c, cOff, c0, accumulate);
        store(c, cOff + ldc, c1, accumulate);
        store(c, cOff + 2L * ldc, c2, accumulate);
        store(c, cOff + 3L * ldc, c3, accumulate);
    }

    private static void block1x1(MemorySegment a, long aOff, MemorySegment b, long bOff, int ldb, MemorySegment c,
            long cOff, int k, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bOff + (long) p * ldb) * 4, LE);
            c0 = b0.fma(FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, aOff + p)), c0);
        }
        store(c, cOff, c0, accumulate);
    }

    private static void store(MemorySegment c, long off, FloatVector v, boolean accumulate) {
        if (accumulate) {
            v = v.add(FloatVector.fromMemorySegment(S, c, off * 4, LE));
        }
        v.intoMemorySegment(c, off * 4, LE);
    }

    private static void scalar(MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
            MemorySegment c, long cOff, int ldc, int m, int n, int k, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    s += a.getAtIndex(JAVA_FLOAT, aOff + (long) i * lda + p) * b.getAtIndex(JAVA_FLOAT, bOff + (long) p * ldb + j);
                }
                long ci = cOff + (long) i * ldc + j;
                c.setAtIndex(JAVA_FLOAT, ci, accumulate ? c.getAtIndex(JAVA_FLOAT, ci) + s : s);
            }
        }
    }
}

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
    /** Panel of B kept hot while all row blocks of A pass over it: KC rows x NC columns (32 KiB). */
    private static final int KC = 128, NC = 128;
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
        // Cache blocking: a KC x NC panel of B (32 KiB) is reused by every 4-row block of A before moving on, instead of
        // streaming all of B (1.5 MiB per head at 1248x1248) once per 4 rows.
        for (int kk = 0; kk < k; kk += KC) {
            int kc = Math.min(KC, k - kk);
            boolean acc = accumulate || kk > 0;
            for (int jj = 0; jj < nv; jj += NC) {
                int jEnd = Math.min(nv, jj + NC);
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    long ai = aOff + (long) i * lda + kk, ci = cOff + (long) i * ldc;
                    int j = jj;
                    for (; j + 2 * V <= jEnd; j += 2 * V) {
                        block4x2(a, ai, lda, b, bOff + (long) kk * ldb + j, ldb, c, ci + j, ldc, kc, acc);
                    }
                    if (j < jEnd) {
                        block4x1(a, ai, lda, b, bOff + (long) kk * ldb + j, ldb, c, ci + j, ldc, kc, acc);
                    }
                }
                for (; i < m; i++) {
                    for (int j = jj; j < jEnd; j += V) {
                        block1x1(a, aOff + (long) i * lda + kk, b, bOff + (long) kk * ldb + j, ldb, c, cOff + (long) i * ldc + j, kc,
                                acc);
                    }
                }
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
        // Stores written out here, not in a helper: a vector passed to a call C2 does not inline gets boxed (allocated).
        long o0 = cOff * 4, o1 = (cOff + ldc) * 4, o2 = (cOff + 2L * ldc) * 4, o3 = (cOff + 3L * ldc) * 4, v4 = 4L * V;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, o0, LE));
            c01 = c01.add(FloatVector.fromMemorySegment(S, c, o0 + v4, LE));
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, o1, LE));
            c11 = c11.add(FloatVector.fromMemorySegment(S, c, o1 + v4, LE));
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, o2, LE));
            c21 = c21.add(FloatVector.fromMemorySegment(S, c, o2 + v4, LE));
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, o3, LE));
            c31 = c31.add(FloatVector.fromMemorySegment(S, c, o3 + v4, LE));
        }
        c00.intoMemorySegment(c, o0, LE);
        c01.intoMemorySegment(c, o0 + v4, LE);
        c10.intoMemorySegment(c, o1, LE);
        c11.intoMemorySegment(c, o1 + v4, LE);
        c20.intoMemorySegment(c, o2, LE);
        c21.intoMemorySegment(c, o2 + v4, LE);
        c30.intoMemorySegment(c, o3, LE);
        c31.intoMemorySegment(c, o3 + v4, LE);
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
        long o0 = cOff * 4, o1 = (cOff + ldc) * 4, o2 = (cOff + 2L * ldc) * 4, o3 = (cOff + 3L * ldc) * 4;
        if (accumulate) {
            c0 = c0.add(FloatVector.fromMemorySegment(S, c, o0, LE));
            c1 = c1.add(FloatVector.fromMemorySegment(S, c, o1, LE));
            c2 = c2.add(FloatVector.fromMemorySegment(S, c, o2, LE));
            c3 = c3.add(FloatVector.fromMemorySegment(S, c, o3, LE));
        }
        c0.intoMemorySegment(c, o0, LE);
        c1.intoMemorySegment(c, o1, LE);
        c2.intoMemorySegment(c, o2, LE);
        c3.intoMemorySegment(c, o3, LE);
    }

    private static void block1x1(MemorySegment a, long aOff, MemorySegment b, long bOff, int ldb, MemorySegment c,
            long cOff, int k, boolean accumulate) {
        FloatVector c0 = FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bOff + (long) p * ldb) * 4, LE);
            c0 = b0.fma(FloatVector.broadcast(S, a.getAtIndex(JAVA_FLOAT, aOff + p)), c0);
        }
        if (accumulate) {
            c0 = c0.add(FloatVector.fromMemorySegment(S, c, cOff * 4, LE));
        }
        c0.intoMemorySegment(c, cOff * 4, LE);
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

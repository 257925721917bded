package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The plain-Java twin of {@link GemmKernel} ({@link KernelTier#PLAIN}) on the same packed weights and the same task
 * split. Bit-identical: the SIMD microkernels give every output element one chain of fused multiply-adds
 * {@code c = fma(w[k], a[k], c)} over k in order, from the bias (or zero), carried through C between K blocks; here
 * each element runs that same chain in one pass over K.
 *
 * <p>Written for C1: a task copies its rows of A and one panel at a time into arrays (bulk copies), then a 4 x 4
 * register block of scalar accumulators walks K. Measured in a cold JVM under C1 on Vim-Tiny's shapes: about 5 ms per
 * block's projections on 2 threads, against 40-70 ms for the SIMD kernels before C2 has compiled them.
 */
final class PlainGemm {
    private PlainGemm() {
    }

    /** Rows [r0, r1) of {@code C = A W^T + bias}, panels [p0, p1) of {@code w}. */
    static void run(MemorySegment a, long aOff, int lda, PackedLinear w, MemorySegment c, long cOff, int ldc,
            int r0, int r1, int p0, int p1) {
        int k = w.inFeatures(), n = w.outFeatures(), nr = w.panelWidth();
        int rows = r1 - r0, blockedRows = (rows + 3) & ~3;
        Scratch s = Scratch.get();
        float[] ap = s.packA(blockedRows * k);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(a, JAVA_FLOAT_UNALIGNED, (aOff + (long) (r0 + r) * lda) * Float.BYTES, ap, r * k, k);
        }
        Arrays.fill(ap, rows * k, blockedRows * k, 0f); // rows past the last compute zeros that are never stored
        float[] bp = s.panel(k * nr);
        float[] init = s.tileRow(nr);
        float[] tile = s.plainRows(blockedRows * nr);
        MemorySegment bias = w.bias();
        for (int p = p0; p < p1; p++) {
            MemorySegment.copy(w.panels(), JAVA_FLOAT, w.panelOffset(p, 0), bp, 0, k * nr);
            int col0 = p * nr, cols = Math.min(nr, n - col0);
            if (bias != null) {
                MemorySegment.copy(bias, JAVA_FLOAT, (long) col0 * Float.BYTES, init, 0, nr);
            } else {
                Arrays.fill(init, 0, nr, 0f);
            }
            // nr is a multiple of 4 (whole vectors of at least 4 lanes); columns past n have zero weights and bias
            for (int j = 0; j < cols; j += 4) {
                for (int r = 0; r < rows; r += 4) {
                    block4x4(ap, r * k, k, bp, j, nr, init, tile, r * nr + j, nr);
                }
            }
            storeRows(tile, nr, c, cOff + (long) r0 * ldc + col0, ldc, rows, cols);
        }
    }

    /** Rows x cols of {@code tile} (row stride ts) into C at {@code cAt} (row stride ldc), one bulk copy per row. */
    static void storeRows(float[] tile, int ts, MemorySegment c, long cAt, int ldc, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(tile, r * ts, c, JAVA_FLOAT_UNALIGNED, (cAt + (long) r * ldc) * Float.BYTES, cols);
        }
    }

    /**
     * Rows {@code a0 + i*k} (i &lt; 4) of A times columns j..j+3 of the panel {@code bp} (row stride nr), from the
     * initial values {@code init[j..j+3]}, into {@code out[at + i*ld + q]}. The tile is an array: storing into the
     * segment element by element cost a fifth of a cold forward in C1.
     */
    static void block4x4(float[] ap, int a0, int k, float[] bp, int j, int nr, float[] init, float[] out, int at, int ld) {
        float c00 = init[j], c01 = init[j + 1], c02 = init[j + 2], c03 = init[j + 3];
        float c10 = c00, c11 = c01, c12 = c02, c13 = c03;
        float c20 = c00, c21 = c01, c22 = c02, c23 = c03;
        float c30 = c00, c31 = c01, c32 = c02, c33 = c03;
        int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int kk = 0, bo = j; kk < k; kk++, bo += nr) {
            float b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
            float x = ap[a0 + kk];
            c00 = Math.fma(b0, x, c00);
            c01 = Math.fma(b1, x, c01);
            c02 = Math.fma(b2, x, c02);
            c03 = Math.fma(b3, x, c03);
            x = ap[a1 + kk];
            c10 = Math.fma(b0, x, c10);
            c11 = Math.fma(b1, x, c11);
            c12 = Math.fma(b2, x, c12);
            c13 = Math.fma(b3, x, c13);
            x = ap[a2 + kk];
            c20 = Math.fma(b0, x, c20);
            c21 = Math.fma(b1, x, c21);
            c22 = Math.fma(b2, x, c22);
            c23 = Math.fma(b3, x, c23);
            x = ap[a3 + kk];
            c30 = Math.fma(b0, x, c30);
            c31 = Math.fma(b1, x, c31);
            c32 = Math.fma(b2, x, c32);
            c33 = Math.fma(b3, x, c33);
        }
        out[at] = c00;
        out[at + 1] = c01;
        out[at + 2] = c02;
        out[at + 3] = c03;
        at += ld;
        out[at] = c10;
        out[at + 1] = c11;
        out[at + 2] = c12;
        out[at + 3] = c13;
        at += ld;
        out[at] = c20;
        out[at + 1] = c21;
        out[at + 2] = c22;
        out[at + 3] = c23;
        at += ld;
        out[at] = c30;
        out[at + 1] = c31;
        out[at + 2] = c32;
        out[at + 3] = c33;
    }
}

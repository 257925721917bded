package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.BYTES;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;


/**
 * {@code C = A * W^T + bias} on packed weights ({@link PackedLinear}): register-tiled microkernels of
 * 6 rows x 2 vectors, or 4 rows x 3 vectors for weights whose N fits 3-vector panels with less padding
 * (x_proj's N = 44 at 16 lanes: 48 instead of 64 columns). Both hold 12 vector accumulators + the B vectors
 * + 1 broadcast, which fits the 16 (AVX2) and 32 (AVX-512) vector registers without spills. Per k step the
 * 6x2 kernel does 2 vector loads, 6 broadcasts and 12 FMAs. (Measured alternatives on Vim shapes: 8x2 no
 * faster, 12x2 spilled, 4x3 everywhere 6 % slower on the big shapes, A read unpacked from the segment
 * 10 % slower, B panels in a heap {@code float[]} instead of the arena no faster.) About 110 GFLOP/s on
 * one AVX-512 core for the Vim-Tiny projections.
 *
 * <p>Work is split into tasks of (row chunk x panel chunk). A task packs its rows of A, one K block at a
 * time, into its thread's scratch: rows zero-padded to whole micro-blocks (so M tails need no special
 * kernel) with the constant row stride {@link #KC_MAX}, which lets the kernel address all its rows from
 * one index register. Then, BLIS order: per panel (KC x NR floats, kept in L1), sweep the chunk's
 * micro-blocks. With 2 threads the rows are cut finely enough (12-row chunks at M = 197) for the pool's
 * dynamic scheduling to balance; panels are split only when rows are too few (the head's M = 1), since
 * each panel chunk re-packs its rows. (Packing all of A once per call in a separate parallel phase was
 * measured slower on 2 threads: 110 vs 147 GFLOP/s on out_proj, from the extra dispatch and the packed
 * copy moving between the cores.) Products too small to amortise a dispatch run on the calling thread.
 * Tiles cut by the M or N edge run the same unmasked kernel on a per-thread tile and copy the valid
 * part, which keeps masks (and their code size) out of the kernels.
 */
final class GemmKernel {
    /** Accumulator vectors per microkernel (6x2 or 4x3): sizes the edge tile. */
    static final int TILE_VECTORS = 12;
    /** K block: a B panel block (KC x NR floats, 32 KiB for 2 x 512-bit) stays in the 48 KiB L1 while reused. */
    static final int KC_MAX = 256;
    /** Most micro-blocks per task: the rows that reuse one B panel block from L1. */
    static final int ROW_BLOCKS = 4;
    /** With more than one thread, aim for at least this many row tasks per thread (dynamic balancing). */
    static final int ROW_TASKS_PER_THREAD = 8;
    /** Below this many flops (2*M*K*N) the product runs on the calling thread: a dispatch would cost more. */
    static final long SERIAL_FLOPS = 1L << 17;

    private static final long PANEL6X2_ROW_BYTES = 2L * LANES * Float.BYTES;
    private static final long PANEL4X3_ROW_BYTES = 3L * LANES * Float.BYTES;

    private GemmKernel() {
    }

    /** Micro-blocks per row task on {@code t} threads: enough row tasks per thread to balance, at most ROW_BLOCKS. */
    static int rowBlocksPerTask(int blocks, int t) {
        return t == 1 ? ROW_BLOCKS : Math.max(1, Math.min(ROW_BLOCKS, blocks / (ROW_TASKS_PER_THREAD * t)));
    }

    /** Panels per task: the panels split further when there are too few row tasks to keep {@code t} threads busy. */
    static int panelsPerTask(int panels, int rowTasks, int t) {
        int pt = t == 1 ? 1 : Math.min(panels, Math.max(1, (4 * t + rowTasks - 1) / rowTasks));
        return (panels + pt - 1) / pt;
    }

    /** Rows per micro-block for panels of {@code vectors} vectors. */
    static int rowsFor(int vectors) {
        return vectors == 3 ? 4 : 6;
    }

    /** One call's arguments and plan; one instance per calling thread, reused, so dispatch allocates nothing. */
    static final class Task implements ParallelTask {
        private MemorySegment a;
        private long aOff;
        private int lda;
        private int m;
        private PackedLinear w;
        private MemorySegment c;
        private long cOff;
        private int ldc;
        private int mr;
        private int nr;
        private int blocks;
        private int kcStep;
        private int rowBlocks;
        private int panelTasks;
        private int panelsPerTask;
        private boolean plain;

        void run(KernelThreads threads, KernelTier tier, MemorySegment a, long aOff, int lda, int m, PackedLinear w,
                MemorySegment c, long cOff, int ldc) {
            if (m <= 0) {
                return;
            }
            this.plain = tier == KernelTier.PLAIN;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
            this.m = m;
            this.w = w;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            mr = rowsFor(w.vectors());
            nr = w.panelWidth();
            int k = w.inFeatures(), panels = w.panelCount();
            int kBlocks = (k + KC_MAX - 1) / KC_MAX;
            kcStep = (k + kBlocks - 1) / kBlocks; // equal K blocks: no tiny last block
            blocks = (m + mr - 1) / mr;
            boolean parallel = threads.size() > 1 && 2L * m * k * w.outFeatures() >= SERIAL_FLOPS
                    && Confinement.shareable(a) && Confinement.shareable(c)
                    && Confinement.shareable(w.panels()) && Confinement.shareable(w.bias());
            int t = parallel ? threads.size() : 1;
            rowBlocks = rowBlocksPerTask(blocks, t);
            int rowTasks = (blocks + rowBlocks - 1) / rowBlocks;
            panelsPerTask = panelsPerTask(panels, rowTasks, t);
            panelTasks = (panels + panelsPerTask - 1) / panelsPerTask;
            try {
                Parallel.run(parallel ? threads : null, this, rowTasks * panelTasks);
            } finally {
                this.a = null; // don't keep caller memory reachable from a thread-local
                this.c = null;
                this.w = null;
            }
        }

        /** Rows of row chunk {@code index / panelTasks} times panels of chunk {@code index % panelTasks}. */
        @Override
        public void run(int index) {
            int rt = index / panelTasks, pt = index % panelTasks;
            int b0 = rt * rowBlocks, b1 = Math.min(blocks, b0 + rowBlocks);
            int p0 = pt * panelsPerTask, p1 = Math.min(w.panelCount(), p0 + panelsPerTask);
            if (plain) {
                PlainGemm.run(a, aOff, lda, w, c, cOff, ldc, b0 * mr, Math.min(m, b1 * mr), p0, p1);
                return;
            }
            int k = w.inFeatures(), n = w.outFeatures();
            boolean wide = w.vectors() == 3;
            Scratch s = Scratch.get();
            float[] ap = s.packA((b1 - b0) * mr * KC_MAX);
            MemorySegment tile = s.tile();
            MemorySegment bias = w.bias();
            MemorySegment panels = w.panels();
            long cStride = (long) ldc * Float.BYTES, tileStride = (long) nr * Float.BYTES;
            for (int k0 = 0; k0 < k; k0 += kcStep) {
                int kc = Math.min(kcStep, k - k0);
                pack(ap, b0, b1, k0, kc);
                boolean first = k0 == 0;
                MemorySegment initBias = first ? bias : null;
                for (int p = p0; p < p1; p++) {
                    int cols = Math.min(nr, n - p * nr);
                    long bOff = w.panelOffset(p, k0);
                    long biasOff = (long) p * nr * Float.BYTES;
                    for (int b = b0; b < b1; b++) {
                        int rows = Math.min(mr, m - b * mr);
                        int a0 = (b - b0) * mr * KC_MAX;
                        long cTile = cOff + (long) b * mr * ldc + (long) p * nr;
                        boolean full = rows == mr && cols == nr;
                        // An edge tile runs the same full-size kernel on a private tile; the valid part is copied.
                        MemorySegment dst = full ? c : tile;
                        long d0 = full ? cTile * Float.BYTES : 0, ds = full ? cStride : tileStride;
                        if (!full && !first) {
                            copyTile(c, cTile, ldc, tile, 0, nr, rows, cols);
                        }
                        if (wide) {
                            micro4x3(ap, a0, kc, panels, bOff, dst, d0, ds, !first, initBias, biasOff);
                        } else {
                            micro6x2(ap, a0, kc, panels, bOff, dst, d0, ds, !first, initBias, biasOff);
                        }
                        if (!full) {
                            copyTile(tile, 0, nr, c, cTile, ldc, rows, cols);
                        }
                    }
                }
            }
        }

        /**
         * Copies columns [k0, k0+kc) of the rows of micro-blocks [b0, b1) into {@code ap}: row r of the chunk at
         * {@code ap[r * KC_MAX ...]}, rows past m zero.
         */
        private void pack(float[] ap, int b0, int b1, int k0, int kc) {
            MemorySegment as = a; // local: see ScanKernel.stage()
            int bound = F.loopBound(kc);
            for (int r = 0, row = b0 * mr; row < b1 * mr; r++, row++) {
                int dst = r * KC_MAX;
                if (row >= m) {
                    Arrays.fill(ap, dst, dst + kc, 0f);
                    continue;
                }
                long src = (aOff + (long) row * lda + k0) * Float.BYTES;
                int i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector.fromMemorySegment(F, as, src + (long) i * Float.BYTES, ORDER).intoArray(ap, dst + i);
                }
                for (; i < kc; i++) {
                    ap[dst + i] = as.get(JAVA_FLOAT_UNALIGNED, src + (long) i * Float.BYTES);
                }
            }
        }
    }

    private static void copyTile(MemorySegment src, long sOff, int lds, MemorySegment dst, long dOff, int ldd,
            int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(src, JAVA_FLOAT, (sOff + (long) r * lds) * Float.BYTES,
                    dst, JAVA_FLOAT, (dOff + (long) r * ldd) * Float.BYTES, cols);
        }
    }

    /**
     * The 6 x 2-vector microkernel over kc steps on a full tile of {@code dst} (row stride {@code ds} bytes);
     * row r of A is {@code ap[a0 + r*KC_MAX + k]}. Accumulators start from dst itself ({@code load}: a later K
     * block), from the bias, or from zero, and are stored back unmasked. Everything is in this one method,
     * with no helper taking vectors: a helper that C2 declines to inline (NodeCountInliningCutoff, seen with
     * masked stores here) boxes its vector arguments, which allocated megabytes per call.
     */
    private static void micro6x2(float[] ap, int a0, int kc, MemorySegment bp, long bOff, MemorySegment dst, long d0,
            long ds, boolean load, MemorySegment bias, long biasOff) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load) {
            c00 = FloatVector.fromMemorySegment(F, dst, d0 + 0 * ds, ORDER);
            c01 = FloatVector.fromMemorySegment(F, dst, d0 + 0 * ds + BYTES, ORDER);
            c10 = FloatVector.fromMemorySegment(F, dst, d0 + 1 * ds, ORDER);
            c11 = FloatVector.fromMemorySegment(F, dst, d0 + 1 * ds + BYTES, ORDER);
            c20 = FloatVector.fromMemorySegment(F, dst, d0 + 2 * ds, ORDER);
            c21 = FloatVector.fromMemorySegment(F, dst, d0 + 2 * ds + BYTES, ORDER);
            c30 = FloatVector.fromMemorySegment(F, dst, d0 + 3 * ds, ORDER);
            c31 = FloatVector.fromMemorySegment(F, dst, d0 + 3 * ds + BYTES, ORDER);
            c40 = FloatVector.fromMemorySegment(F, dst, d0 + 4 * ds, ORDER);
            c41 = FloatVector.fromMemorySegment(F, dst, d0 + 4 * ds + BYTES, ORDER);
            c50 = FloatVector.fromMemorySegment(F, dst, d0 + 5 * ds, ORDER);
            c51 = FloatVector.fromMemorySegment(F, dst, d0 + 5 * ds + BYTES, ORDER);
        } else {
            FloatVector i0, i1;
            if (bias != null) {
                i0 = FloatVector.fromMemorySegment(F, bias, biasOff, ORDER);
                i1 = FloatVector.fromMemorySegment(F, bias, biasOff + BYTES, ORDER);
            } else {
                i0 = FloatVector.zero(F);
                i1 = i0;
            }
            c00 = i0;
            c01 = i1;
            c10 = i0;
            c11 = i1;
            c20 = i0;
            c21 = i1;
            c30 = i0;
            c31 = i1;
            c40 = i0;
            c41 = i1;
            c50 = i0;
            c51 = i1;
        }
        long bo = bOff;
        for (int k = a0; k < a0 + kc; k++, bo += PANEL6X2_ROW_BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, bp, bo, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(F, bp, bo + BYTES, ORDER);
            FloatVector x = FloatVector.broadcast(F, ap[k]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, ap[k + KC_MAX]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, ap[k + 2 * KC_MAX]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, ap[k + 3 * KC_MAX]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, ap[k + 4 * KC_MAX]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, ap[k + 5 * KC_MAX]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        c00.intoMemorySegment(dst, d0 + 0 * ds, ORDER);
        c01.intoMemorySegment(dst, d0 + 0 * ds + BYTES, ORDER);
        c10.intoMemorySegment(dst, d0 + 1 * ds, ORDER);
        c11.intoMemorySegment(dst, d0 + 1 * ds + BYTES, ORDER);
        c20.intoMemorySegment(dst, d0 + 2 * ds, ORDER);
        c21.intoMemorySegment(dst, d0 + 2 * ds + BYTES, ORDER);
        c30.intoMemorySegment(dst, d0 + 3 * ds, ORDER);
        c31.intoMemorySegment(dst, d0 + 3 * ds + BYTES, ORDER);
        c40.intoMemorySegment(dst, d0 + 4 * ds, ORDER);
        c41.intoMemorySegment(dst, d0 + 4 * ds + BYTES, ORDER);
        c50.intoMemorySegment(dst, d0 + 5 * ds, ORDER);
        c51.intoMemorySegment(dst, d0 + 5 * ds + BYTES, ORDER);
    }

    /** The 4 x 3-vector variant for weights whose N wastes less in 3-vector panels (x_proj: N = 44). */
    private static void micro4x3(float[] ap, int a0, int kc, MemorySegment bp, long bOff, MemorySegment dst, long d0,
            long ds, boolean load, MemorySegment bias, long biasOff) {
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        if (load) {
            c00 = FloatVector.fromMemorySegment(F, dst, d0 + 0 * ds, ORDER);
            c01 = FloatVector.fromMemorySegment(F, dst, d0 + 0 * ds + BYTES, ORDER);
            c02 = FloatVector.fromMemorySegment(F, dst, d0 + 0 * ds + 2 * BYTES, ORDER);
            c10 = FloatVector.fromMemorySegment(F, dst, d0 + 1 * ds, ORDER);
            c11 = FloatVector.fromMemorySegment(F, dst, d0 + 1 * ds + BYTES, ORDER);
            c12 = FloatVector.fromMemorySegment(F, dst, d0 + 1 * ds + 2 * BYTES, ORDER);
            c20 = FloatVector.fromMemorySegment(F, dst, d0 + 2 * ds, ORDER);
            c21 = FloatVector.fromMemorySegment(F, dst, d0 + 2 * ds + BYTES, ORDER);
            c22 = FloatVector.fromMemorySegment(F, dst, d0 + 2 * ds + 2 * BYTES, ORDER);
            c30 = FloatVector.fromMemorySegment(F, dst, d0 + 3 * ds, ORDER);
            c31 = FloatVector.fromMemorySegment(F, dst, d0 + 3 * ds + BYTES, ORDER);
            c32 = FloatVector.fromMemorySegment(F, dst, d0 + 3 * ds + 2 * BYTES, ORDER);
        } else {
            FloatVector i0, i1, i2;
            if (bias != null) {
                i0 = FloatVector.fromMemorySegment(F, bias, biasOff, ORDER);
                i1 = FloatVector.fromMemorySegment(F, bias, biasOff + BYTES, ORDER);
                i2 = FloatVector.fromMemorySegment(F, bias, biasOff + 2 * BYTES, ORDER);
            } else {
                i0 = FloatVector.zero(F);
                i1 = i0;
                i2 = i0;
            }
            c00 = i0;
            c01 = i1;
            c02 = i2;
            c10 = i0;
            c11 = i1;
            c12 = i2;
            c20 = i0;
            c21 = i1;
            c22 = i2;
            c30 = i0;
            c31 = i1;
            c32 = i2;
        }
        long bo = bOff;
        for (int k = a0; k < a0 + kc; k++, bo += PANEL4X3_ROW_BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, bp, bo, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(F, bp, bo + BYTES, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(F, bp, bo + 2 * BYTES, ORDER);
            FloatVector x = FloatVector.broadcast(F, ap[k]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            c02 = b2.fma(x, c02);
            x = FloatVector.broadcast(F, ap[k + KC_MAX]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            c12 = b2.fma(x, c12);
            x = FloatVector.broadcast(F, ap[k + 2 * KC_MAX]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            c22 = b2.fma(x, c22);
            x = FloatVector.broadcast(F, ap[k + 3 * KC_MAX]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            c32 = b2.fma(x, c32);
        }
        c00.intoMemorySegment(dst, d0 + 0 * ds, ORDER);
        c01.intoMemorySegment(dst, d0 + 0 * ds + BYTES, ORDER);
        c02.intoMemorySegment(dst, d0 + 0 * ds + 2 * BYTES, ORDER);
        c10.intoMemorySegment(dst, d0 + 1 * ds, ORDER);
        c11.intoMemorySegment(dst, d0 + 1 * ds + BYTES, ORDER);
        c12.intoMemorySegment(dst, d0 + 1 * ds + 2 * BYTES, ORDER);
        c20.intoMemorySegment(dst, d0 + 2 * ds, ORDER);
        c21.intoMemorySegment(dst, d0 + 2 * ds + BYTES, ORDER);
        c22.intoMemorySegment(dst, d0 + 2 * ds + 2 * BYTES, ORDER);
        c30.intoMemorySegment(dst, d0 + 3 * ds, ORDER);
        c31.intoMemorySegment(dst, d0 + 3 * ds + BYTES, ORDER);
        c32.intoMemorySegment(dst, d0 + 3 * ds + 2 * BYTES, ORDER);
    }
}

package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.BYTES;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import org.vim4j.Precision;
import org.vim4j.kernel.Quantization;

/**
 * {@code C = A * W^T + bias} for {@link QuantLinear} weights at BF16 or INT8 (docs/precision.md), on the fp32 FMA
 * units: the 6 x 2-vector register tile of {@link GemmKernel}, the weights widened to fp32 in registers as they are
 * loaded (bf16: the 16 bits shifted up; int8: sign-extended and converted), so memory holds the small format only.
 *
 * <p>BF16: the rows of A are rounded to bf16 while they are packed; a bf16 x bf16 product has at most 16 significant
 * bits, so each FMA rounds only the sum, which is fp32 as the definition asks.
 *
 * <p>INT8: each row of A is quantized per token while packed (amax, then {@code rint(a * (127 / amax))} clamped to
 * +-127, held as small integral floats). The products of two such values are integers of magnitude at most
 * {@code 127 * 127}, and any sum of {@link #INT8_CHUNK} of them stays below 2^24, where every integer is an fp32
 * value: the fp32 FMA chain is then exact integer arithmetic, in any order. For K up to one chunk (every Vim-Tiny and
 * Vim-Small projection) the fp32 sum is {@code (float) acc} itself and the epilogue runs in registers; for longer K
 * each chunk's sums are converted to int32 and added to the tile's int32 sums. Either way the dot product is exactly
 * the definition's int32 {@code acc}, computed at fp32 FMA speed (the Vector API has no int8 dot-product instruction; widening to int32 and
 * multiplying takes two instructions per product instead of one). The epilogue is then
 * {@code (float) acc * (sa * sw) + bias}, without fused multiply-add, as the definition orders it.
 *
 * <p>Unlike the fp32 GEMM there is no K blocking: each task packs its rows over the whole of K (a bf16 panel row is
 * half, an int8 one a quarter, of an fp32 one, so a panel of Vim-Base's K = 1536 still fits L2). A tile goes
 * straight into C when it is whole, else through the per-thread tile, whose valid part is copied out (which keeps the
 * kernels unmasked). The split into (row chunk x panel chunk) tasks is the fp32 GEMM's.
 */
final class QuantGemmKernel {
    /** Rows per micro-block. */
    static final int MR = 6;
    /** 1024 * 127 * 127 = 16,516,096 &lt; 2^24 = 16,777,216: the chunk's fp32 sums of int8 products are exact. */
    static final int INT8_CHUNK = 1024;

    /** bf16 lanes of one float vector. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    /** int8 lanes: LANES bytes, at least 64 bits (the smallest shape; the 128-bit tier uses half of it). */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final long TILE_ROW_BYTES = (long) QuantLinear.NR * Float.BYTES;
    /** Adding then subtracting 1.5 * 2^23 rounds an fp32 of magnitude below 2^22 to an integer, half to even. */
    private static final float RINT_MAGIC = 12582912f;

    private QuantGemmKernel() {
    }

    /** One call's arguments and plan; one instance per calling thread, reused, so dispatch allocates nothing. */
    static final class Task implements ParallelTask {
        private MemorySegment a;
        private long aOff;
        private int lda;
        private int m;
        private QuantLinear w;
        private MemorySegment c;
        private long cOff;
        private int ldc;
        private int blocks;
        private int rowBlocks;
        private int panelTasks;
        private int panelsPerTask;
        private boolean plain;

        void run(KernelThreads threads, KernelTier tier, MemorySegment a, long aOff, int lda, int m, QuantLinear w, MemorySegment c,
                long cOff, int ldc) {
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
            int panels = w.panelCount();
            blocks = (m + MR - 1) / MR;
            boolean parallel = threads.size() > 1
                    && 2L * m * w.inFeatures() * w.outFeatures() >= GemmKernel.SERIAL_FLOPS
                    && Confinement.shareable(a) && Confinement.shareable(c) && Confinement.shareable(w.panels())
                    && Confinement.shareable(w.bias()) && Confinement.shareable(w.scales());
            int t = parallel ? threads.size() : 1;
            // The plain tier widens each panel once per task: one row chunk per thread keeps that to t times per call.
            rowBlocks = plain ? (blocks + t - 1) / t : GemmKernel.rowBlocksPerTask(blocks, t);
            int rowTasks = (blocks + rowBlocks - 1) / rowBlocks;
            panelsPerTask = GemmKernel.panelsPerTask(panels, rowTasks, t);
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
                PlainQuantGemm.run(a, aOff, lda, w, c, cOff, ldc, b0 * MR, Math.min(m, b1 * MR), p0, p1);
                return;
            }
            int k = w.inFeatures(), n = w.outFeatures();
            boolean int8 = w.precision() == Precision.INT8;
            Scratch s = Scratch.get();
            float[] ap = s.packA((b1 - b0) * MR * k);
            float[] rowScales = s.rowScales((b1 - b0) * MR);
            MemorySegment tile = s.tile();
            MemorySegment panels = w.panels(), bias = w.bias(), scales = w.scales();
            if (int8) {
                packInt8(ap, rowScales, b0, b1, k);
            } else {
                packBf16(ap, b0, b1, k);
            }
            long cStride = (long) ldc * Float.BYTES;
            for (int p = p0; p < p1; p++) {
                int cols = Math.min(QuantLinear.NR, n - p * QuantLinear.NR);
                long bOff = w.panelOffset(p, 0);
                long colOff = (long) p * QuantLinear.NR * Float.BYTES;
                for (int b = b0; b < b1; b++) {
                    int rows = Math.min(MR, m - b * MR);
                    int a0 = (b - b0) * MR * k;
                    long cTile = cOff + (long) b * MR * ldc + (long) p * QuantLinear.NR;
                    // A full tile is written straight into C; an edge tile (or the long-K int8 path) goes through
                    // the per-thread tile and its valid part is copied.
                    boolean longInt8 = int8 && k > INT8_CHUNK;
                    boolean direct = rows == MR && cols == QuantLinear.NR && !longInt8;
                    MemorySegment dst = direct ? c : tile;
                    long d0 = direct ? cTile * Float.BYTES : 0, ds = direct ? cStride : TILE_ROW_BYTES;
                    if (longInt8) {
                        microInt8Chunked(ap, a0, k, panels, bOff, tile);
                        epilogueInt8(tile, rowScales, (b - b0) * MR, rows, scales, bias, colOff);
                    } else if (int8) {
                        microInt8(ap, a0, k, panels, bOff, dst, d0, ds, rowScales, (b - b0) * MR, scales, bias, colOff);
                    } else {
                        microBf16(ap, a0, k, panels, bOff, dst, d0, ds, bias, colOff);
                    }
                    if (!direct) {
                        for (int r = 0; r < rows; r++) {
                            MemorySegment.copy(tile, JAVA_FLOAT, r * TILE_ROW_BYTES,
                                    c, JAVA_FLOAT, (cTile + (long) r * ldc) * Float.BYTES, cols);
                        }
                    }
                }
            }
        }

        /** Rows of blocks [b0, b1) rounded to bf16 into {@code ap[r * k ...]}, rows past m zero. */
        private void packBf16(float[] ap, int b0, int b1, int k) {
            MemorySegment as = a; // local: see ScanKernel.stage()
            int bound = F.loopBound(k);
            for (int r = 0, row = b0 * MR; row < b1 * MR; r++, row++) {
                int dst = r * k;
                if (row >= m) {
                    Arrays.fill(ap, dst, dst + k, 0f);
                    continue;
                }
                long src = (aOff + (long) row * lda) * Float.BYTES;
                int i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector v = FloatVector.fromMemorySegment(F, as, src + (long) i * Float.BYTES, ORDER);
                    // Quantization.toBf16, lane-wise: add 0x7fff plus the kept lsb, drop the low half; a NaN keeps
                    // its high half with the quiet bit set.
                    IntVector bits = v.reinterpretAsInts();
                    IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7fff)
                            .and(0xffff0000);
                    VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(I);
                    rounded = rounded.blend(bits.and(0xffff0000).or(0x00400000), nan);
                    rounded.reinterpretAsFloats().intoArray(ap, dst + i);
                }
                for (; i < k; i++) {
                    ap[dst + i] = Quantization.roundBf16(as.get(JAVA_FLOAT_UNALIGNED, src + (long) i * Float.BYTES));
                }
            }
        }

        /**
         * Rows of blocks [b0, b1) quantized per token into {@code ap[r * k ...]} as integral floats, their scales
         * {@code sa} into {@code rowScales[r]}; rows past m zero.
         */
        private void packInt8(float[] ap, float[] rowScales, int b0, int b1, int k) {
            MemorySegment as = a;
            int bound = F.loopBound(k);
            for (int r = 0, row = b0 * MR; row < b1 * MR; r++, row++) {
                int dst = r * k;
                if (row >= m) {
                    Arrays.fill(ap, dst, dst + k, 0f);
                    rowScales[r] = 0f;
                    continue;
                }
                long src = (aOff + (long) row * lda) * Float.BYTES;
                FloatVector mx = FloatVector.zero(F);
                int i = 0;
                for (; i < bound; i += LANES) {
                    mx = mx.max(FloatVector.fromMemorySegment(F, as, src + (long) i * Float.BYTES, ORDER).abs());
                }
                float amax = mx.reduceLanes(VectorOperators.MAX); // MAX propagates NaN, as Math.max does
                for (; i < k; i++) {
                    amax = Math.max(amax, Math.abs(as.get(JAVA_FLOAT_UNALIGNED, src + (long) i * Float.BYTES)));
                }
                float inv = Quantization.inverseScale(amax);
                rowScales[r] = Quantization.scale(amax);
                for (i = 0; i < bound; i += LANES) {
                    FloatVector q = FloatVector.fromMemorySegment(F, as, src + (long) i * Float.BYTES, ORDER).mul(inv);
                    // |q| <= 127 (up to rounding) or NaN (an infinite a times inv = 0): rint by the magic constant,
                    // clamp, and NaN to 0 as the scalar (byte) cast does.
                    q = q.add(RINT_MAGIC).sub(RINT_MAGIC).max(-Quantization.INT8_MAX).min(Quantization.INT8_MAX);
                    q = q.blend(0f, q.test(VectorOperators.IS_NAN));
                    q.intoArray(ap, dst + i);
                }
                for (; i < k; i++) {
                    ap[dst + i] = Quantization.quantize(as.get(JAVA_FLOAT_UNALIGNED, src + (long) i * Float.BYTES), inv);
                }
            }
        }
    }

    /**
     * The 6 x 2 microkernel on bf16 panels over all of K into the tile (row stride NR floats); row r of A is
     * {@code ap[a0 + r*k + kk]}. Everything is in this one method: a helper taking vectors that C2 declines to inline
     * boxes them (see {@link GemmKernel}).
     */
    private static void microBf16(float[] ap, int a0, int k, MemorySegment bp, long bOff, MemorySegment dst, long d0,
            long ds, MemorySegment bias, long biasOff) {
        FloatVector i0, i1;
        if (bias != null) {
            i0 = FloatVector.fromMemorySegment(F, bias, biasOff, ORDER);
            i1 = FloatVector.fromMemorySegment(F, bias, biasOff + BYTES, ORDER);
        } else {
            i0 = FloatVector.zero(F);
            i1 = i0;
        }
        FloatVector c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1, c40 = i0,
                c41 = i1, c50 = i0, c51 = i1;
        long bo = bOff, step = 2L * LANES * Short.BYTES, half = (long) LANES * Short.BYTES;
        int r1 = k, r2 = 2 * k, r3 = 3 * k, r4 = 4 * k, r5 = 5 * k;
        for (int kk = a0; kk < a0 + k; kk++, bo += step) {
            FloatVector b0 = ((IntVector) ShortVector.fromMemorySegment(S, bp, bo, ORDER)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector b1 = ((IntVector) ShortVector.fromMemorySegment(S, bp, bo + half, ORDER)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector x = FloatVector.broadcast(F, ap[kk]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, ap[kk + r1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, ap[kk + r2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, ap[kk + r3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, ap[kk + r4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, ap[kk + r5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        c00.intoMemorySegment(dst, d0, ORDER);
        c01.intoMemorySegment(dst, d0 + BYTES, ORDER);
        c10.intoMemorySegment(dst, d0 + ds, ORDER);
        c11.intoMemorySegment(dst, d0 + ds + BYTES, ORDER);
        c20.intoMemorySegment(dst, d0 + 2 * ds, ORDER);
        c21.intoMemorySegment(dst, d0 + 2 * ds + BYTES, ORDER);
        c30.intoMemorySegment(dst, d0 + 3 * ds, ORDER);
        c31.intoMemorySegment(dst, d0 + 3 * ds + BYTES, ORDER);
        c40.intoMemorySegment(dst, d0 + 4 * ds, ORDER);
        c41.intoMemorySegment(dst, d0 + 4 * ds + BYTES, ORDER);
        c50.intoMemorySegment(dst, d0 + 5 * ds, ORDER);
        c51.intoMemorySegment(dst, d0 + 5 * ds + BYTES, ORDER);
    }

    /**
     * The 6 x 2 microkernel on int8 panels for K &lt;= {@link #INT8_CHUNK}: the fp32 sums are then the exact int32
     * {@code acc} already (as floats, which {@code (float) acc} is), so the epilogue {@code acc * (sa * sw) + bias}
     * is applied in registers and the results stored into {@code dst} (row stride {@code ds} bytes). Without a bias
     * nothing is added: {@code -0.0 + 0} would lose the sign the oracle keeps.
     */
    private static void microInt8(float[] ap, int a0, int k, MemorySegment bp, long bOff, MemorySegment dst, long d0,
            long ds, float[] rowScales, int r0, MemorySegment scales, MemorySegment bias, long colOff) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z,
                c50 = z, c51 = z;
        long bo = bOff, step = 2L * LANES;
        int r1 = k, r2 = 2 * k, r3 = 3 * k, r4 = 4 * k, r5 = 5 * k;
        for (int kk = a0; kk < a0 + k; kk++, bo += step) {
            FloatVector b0 = (FloatVector) ByteVector.fromMemorySegment(B, bp, bo, ORDER)
                    .convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromMemorySegment(B, bp, bo + LANES, ORDER)
                    .convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, ap[kk]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, ap[kk + r1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, ap[kk + r2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, ap[kk + r3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, ap[kk + r4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, ap[kk + r5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        FloatVector s0 = FloatVector.fromMemorySegment(F, scales, colOff, ORDER);
        FloatVector s1 = FloatVector.fromMemorySegment(F, scales, colOff + BYTES, ORDER);
        c00 = c00.mul(s0.mul(rowScales[r0]));
        c01 = c01.mul(s1.mul(rowScales[r0]));
        c10 = c10.mul(s0.mul(rowScales[r0 + 1]));
        c11 = c11.mul(s1.mul(rowScales[r0 + 1]));
        c20 = c20.mul(s0.mul(rowScales[r0 + 2]));
        c21 = c21.mul(s1.mul(rowScales[r0 + 2]));
        c30 = c30.mul(s0.mul(rowScales[r0 + 3]));
        c31 = c31.mul(s1.mul(rowScales[r0 + 3]));
        c40 = c40.mul(s0.mul(rowScales[r0 + 4]));
        c41 = c41.mul(s1.mul(rowScales[r0 + 4]));
        c50 = c50.mul(s0.mul(rowScales[r0 + 5]));
        c51 = c51.mul(s1.mul(rowScales[r0 + 5]));
        if (bias != null) {
            FloatVector i0 = FloatVector.fromMemorySegment(F, bias, colOff, ORDER);
            FloatVector i1 = FloatVector.fromMemorySegment(F, bias, colOff + BYTES, ORDER);
            c00 = c00.add(i0);
            c01 = c01.add(i1);
            c10 = c10.add(i0);
            c11 = c11.add(i1);
            c20 = c20.add(i0);
            c21 = c21.add(i1);
            c30 = c30.add(i0);
            c31 = c31.add(i1);
            c40 = c40.add(i0);
            c41 = c41.add(i1);
            c50 = c50.add(i0);
            c51 = c51.add(i1);
        }
        c00.intoMemorySegment(dst, d0, ORDER);
        c01.intoMemorySegment(dst, d0 + BYTES, ORDER);
        c10.intoMemorySegment(dst, d0 + ds, ORDER);
        c11.intoMemorySegment(dst, d0 + ds + BYTES, ORDER);
        c20.intoMemorySegment(dst, d0 + 2 * ds, ORDER);
        c21.intoMemorySegment(dst, d0 + 2 * ds + BYTES, ORDER);
        c30.intoMemorySegment(dst, d0 + 3 * ds, ORDER);
        c31.intoMemorySegment(dst, d0 + 3 * ds + BYTES, ORDER);
        c40.intoMemorySegment(dst, d0 + 4 * ds, ORDER);
        c41.intoMemorySegment(dst, d0 + 4 * ds + BYTES, ORDER);
        c50.intoMemorySegment(dst, d0 + 5 * ds, ORDER);
        c51.intoMemorySegment(dst, d0 + 5 * ds + BYTES, ORDER);
    }

    /**
     * The 6 x 2 microkernel on int8 panels for K > {@link #INT8_CHUNK}: the int32 sums {@code acc} of the tile, chunk
     * by chunk of {@link #INT8_CHUNK} k steps (exact fp32 sums, converted and added in int32).
     */
    private static void microInt8Chunked(float[] ap, int a0, int k, MemorySegment bp, long bOff, MemorySegment tile) {
        tile.fill((byte) 0);
        long bo = bOff, step = 2L * LANES, rs = TILE_ROW_BYTES;
        int r1 = k, r2 = 2 * k, r3 = 3 * k, r4 = 4 * k, r5 = 5 * k;
        for (int k0 = 0; k0 < k; k0 += INT8_CHUNK) {
            int end = a0 + Math.min(k, k0 + INT8_CHUNK);
            FloatVector z = FloatVector.zero(F);
            FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z,
                    c50 = z, c51 = z;
            for (int kk = a0 + k0; kk < end; kk++, bo += step) {
                FloatVector b0 = (FloatVector) ByteVector.fromMemorySegment(B, bp, bo, ORDER)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector b1 = (FloatVector) ByteVector.fromMemorySegment(B, bp, bo + LANES, ORDER)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector x = FloatVector.broadcast(F, ap[kk]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                x = FloatVector.broadcast(F, ap[kk + r1]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                x = FloatVector.broadcast(F, ap[kk + r2]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                x = FloatVector.broadcast(F, ap[kk + r3]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                x = FloatVector.broadcast(F, ap[kk + r4]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                x = FloatVector.broadcast(F, ap[kk + r5]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
            }
            // Exact integers: the conversion loses nothing.
            ((IntVector) c00.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, 0, ORDER))
                    .intoMemorySegment(tile, 0, ORDER);
            ((IntVector) c01.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, BYTES, ORDER))
                    .intoMemorySegment(tile, BYTES, ORDER);
            ((IntVector) c10.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, rs, ORDER))
                    .intoMemorySegment(tile, rs, ORDER);
            ((IntVector) c11.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromMemorySegment(I, tile, rs + BYTES, ORDER)).intoMemorySegment(tile, rs + BYTES, ORDER);
            ((IntVector) c20.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, 2 * rs, ORDER))
                    .intoMemorySegment(tile, 2 * rs, ORDER);
            ((IntVector) c21.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromMemorySegment(I, tile, 2 * rs + BYTES, ORDER))
                    .intoMemorySegment(tile, 2 * rs + BYTES, ORDER);
            ((IntVector) c30.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, 3 * rs, ORDER))
                    .intoMemorySegment(tile, 3 * rs, ORDER);
            ((IntVector) c31.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromMemorySegment(I, tile, 3 * rs + BYTES, ORDER))
                    .intoMemorySegment(tile, 3 * rs + BYTES, ORDER);
            ((IntVector) c40.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, 4 * rs, ORDER))
                    .intoMemorySegment(tile, 4 * rs, ORDER);
            ((IntVector) c41.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromMemorySegment(I, tile, 4 * rs + BYTES, ORDER))
                    .intoMemorySegment(tile, 4 * rs + BYTES, ORDER);
            ((IntVector) c50.convert(VectorOperators.F2I, 0)).add(IntVector.fromMemorySegment(I, tile, 5 * rs, ORDER))
                    .intoMemorySegment(tile, 5 * rs, ORDER);
            ((IntVector) c51.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromMemorySegment(I, tile, 5 * rs + BYTES, ORDER))
                    .intoMemorySegment(tile, 5 * rs + BYTES, ORDER);
        }
    }

    /** The tile's int32 sums to {@code (float) acc * (sa * sw) + bias}, in place, for its valid rows. */
    private static void epilogueInt8(MemorySegment tile, float[] rowScales, int r0, int rows, MemorySegment scales,
            MemorySegment bias, long colOff) {
        for (int r = 0; r < rows; r++) {
            float sa = rowScales[r0 + r];
            for (int v = 0; v < 2; v++) {
                long t = r * TILE_ROW_BYTES + (long) v * BYTES;
                FloatVector acc = (FloatVector) IntVector.fromMemorySegment(I, tile, t, ORDER)
                        .convert(VectorOperators.I2F, 0);
                FloatVector out = acc.mul(FloatVector.fromMemorySegment(F, scales, colOff + (long) v * BYTES, ORDER)
                        .mul(sa));
                if (bias != null) {
                    out = out.add(FloatVector.fromMemorySegment(F, bias, colOff + (long) v * BYTES, ORDER));
                }
                out.intoMemorySegment(tile, t, ORDER);
            }
        }
    }
}

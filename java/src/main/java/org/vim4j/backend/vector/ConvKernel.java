package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import org.vim4j.kernel.ConvWeights;
import org.vim4j.kernel.Rows;


/**
 * Depthwise causal conv1d + bias + SiLU, vectorised across channels (a vector is LANES consecutive
 * channels of one token, so loads are contiguous in the token-major layout). The per-channel taps
 * {@code w[e*K + k]} are strided in memory, so each task first transposes its block's taps into a
 * thread-local {@code K x LANES} array. The reverse direction reads {@code x[t + (K-1) - k]} by
 * indexing, never a flipped copy. A task is one (sequence, channel block); channel tails are scalar.
 */
final class ConvKernel {
    private ConvKernel() {
    }

    /** One call's arguments; one instance per calling thread, reused. */
    static final class Task implements ParallelTask {
        MemorySegment x, w, bias, out;
        long xOff, oOff;
        int ldx, ldo, len, channels, kernel, blocks, perBatch;
        boolean reverse, plain;

        void run(KernelThreads threads, KernelTier tier, Rows in, ConvWeights cw, Rows o, int batch, int len,
                boolean reverse) {
            int channels = cw.channels();
            if (batch <= 0 || len <= 0 || channels <= 0) {
                return;
            }
            // Unpacked once per call into fields of this reused task: the hot loops read plain fields.
            this.x = in.data();
            this.xOff = in.offset();
            this.ldx = in.ld();
            this.w = cw.weight();
            this.bias = cw.bias();
            this.out = o.data();
            this.oOff = o.offset();
            this.ldo = o.ld();
            this.len = len;
            this.channels = channels;
            this.kernel = cw.kernel();
            this.reverse = reverse;
            this.plain = tier == KernelTier.PLAIN;
            blocks = channels / LANES;
            perBatch = blocks + (channels % LANES == 0 ? 0 : 1);
            try {
                boolean shared = Confinement.shareable(x) && Confinement.shareable(w) && Confinement.shareable(bias)
                        && Confinement.shareable(out);
                Parallel.run(shared ? threads : null, this, batch * perBatch);
            } finally {
                this.x = this.w = this.bias = this.out = null;
            }
        }

        @Override
        public void run(int index) {
            int b = index / perBatch, blk = index % perBatch;
            if (blk < blocks && plain) {
                plainBlock(b, blk * LANES);
            } else if (blk < blocks) {
                vectorBlock(b, blk * LANES);
            } else {
                scalarTail(b, blocks * LANES);
            }
        }

        /** One (sequence, channel block): transpose its taps, then convolve. */
        private void vectorBlock(int b, int e0) {
            int kn = kernel, n = len;
            float[] taps = Scratch.get().taps(kn * LANES);
            for (int k = 0; k < kn; k++) {
                for (int j = 0; j < LANES; j++) {
                    taps[k * LANES + j] = w.getAtIndex(JAVA_FLOAT_UNALIGNED, (long) (e0 + j) * kn + k);
                }
            }
            convolve(taps, e0, (xOff + (long) b * n * ldx + e0) * Float.BYTES, (oOff + (long) b * n * ldo + e0) * Float.BYTES);
        }

        /**
         * The time loop, kept small and in one piece on purpose. Splitting off the first/last K-1 steps into
         * their own loop made that loop's SiLU a lukewarm call site that C2 sometimes declined to inline, and
         * the exp inside then boxed vectors (hundreds of KB per call, depending on compile order). Here the
         * tap bounds test is a well-predicted branch.
         */
        private void convolve(float[] taps, int e0, long xb, long ob) {
            // Fields copied to locals: C2 must assume a store to a segment may change a field, so fields read
            // in the loop would be reloaded (and their segment class re-checked) on every iteration.
            MemorySegment xs = x, os = out;
            int kn = kernel, n = len;
            long xRow = (long) ldx * Float.BYTES, oRow = (long) ldo * Float.BYTES;
            // Tap k reads (K-1-k) steps back in scan order: x[t - (K-1-k)] forward, x[t + (K-1-k)] reverse.
            int dir = reverse ? 1 : -1;
            FloatVector bv = FloatVector.fromMemorySegment(F, bias, (long) e0 * Float.BYTES, ORDER);
            for (int t = 0; t < n; t++) {
                FloatVector acc = bv;
                int src = t + dir * (kn - 1);
                for (int k = 0; k < kn; k++, src -= dir) {
                    if (src >= 0 && src < n) {
                        acc = FloatVector.fromMemorySegment(F, xs, xb + src * xRow, ORDER)
                                .fma(FloatVector.fromArray(F, taps, k * LANES), acc);
                    }
                }
                VectorMath.silu(acc).intoMemorySegment(os, ob + t * oRow, ORDER);
            }
        }

        /**
         * The plain-Java twin of {@link #vectorBlock} ({@link KernelTier#PLAIN}), bit-identical: per channel the same
         * chain {@code acc = fma(x, tap, acc)} from the bias over the taps in order, then SiLU's lane twin. The block's
         * rows are copied into an array first (bulk copies), which C1 reads far faster than single segment loads.
         */
        private void plainBlock(int b, int e0) {
            int kn = kernel, n = len;
            Scratch scratch = Scratch.get();
            float[] r = scratch.plainRows(2 * n * LANES), taps = scratch.taps(kn);
            long xs = xOff + (long) b * n * ldx + e0, os = oOff + (long) b * n * ldo + e0;
            for (int t = 0; t < n; t++) {
                MemorySegment.copy(x, JAVA_FLOAT_UNALIGNED, (xs + (long) t * ldx) * Float.BYTES, r, t * LANES, LANES);
            }
            int dir = reverse ? 1 : -1, outAt = n * LANES;
            for (int j = 0; j < LANES; j++) {
                long e = e0 + j;
                float bj = bias.getAtIndex(JAVA_FLOAT_UNALIGNED, e);
                MemorySegment.copy(w, JAVA_FLOAT_UNALIGNED, e * kn * Float.BYTES, taps, 0, kn);
                for (int t = 0; t < n; t++) {
                    float acc = bj;
                    int src = t + dir * (kn - 1);
                    for (int k = 0; k < kn; k++, src -= dir) {
                        if (src >= 0 && src < n) {
                            acc = Math.fma(r[src * LANES + j], taps[k], acc);
                        }
                    }
                    r[outAt + t * LANES + j] = VectorMath.siluLane(acc);
                }
            }
            for (int t = 0; t < n; t++) {
                MemorySegment.copy(r, outAt + t * LANES, out, JAVA_FLOAT_UNALIGNED, (os + (long) t * ldo) * Float.BYTES, LANES);
            }
        }

        private void scalarTail(int b, int e0) {
            long xs = xOff + (long) b * len * ldx, os = oOff + (long) b * len * ldo;
            int back = reverse ? -1 : 1;
            for (int t = 0; t < len; t++) {
                for (int e = e0; e < channels; e++) {
                    float acc = bias.getAtIndex(JAVA_FLOAT_UNALIGNED, e);
                    for (int k = 0; k < kernel; k++) {
                        int src = t - back * (kernel - 1 - k);
                        if (src >= 0 && src < len) {
                            acc += w.getAtIndex(JAVA_FLOAT_UNALIGNED, (long) e * kernel + k)
                                    * x.getAtIndex(JAVA_FLOAT_UNALIGNED, xs + (long) src * ldx + e);
                        }
                    }
                    out.setAtIndex(JAVA_FLOAT_UNALIGNED, os + (long) t * ldo + e, VectorMath.silu(acc));
                }
            }
        }
    }
}

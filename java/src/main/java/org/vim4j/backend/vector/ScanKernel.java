package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.vim4j.backend.vector.VectorLanes.F;
import static org.vim4j.backend.vector.VectorLanes.LANES;
import static org.vim4j.backend.vector.VectorLanes.ORDER;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import org.vim4j.kernel.Rows;
import org.vim4j.kernel.ScanInputs;
import org.vim4j.kernel.ScanMode;
import org.vim4j.kernel.ScanWeights;


/**
 * The fused selective scan (docs/vim-spec.md §2.2), vectorised across channels: one vector holds
 * {@code LANES} consecutive channels, which are independent recurrences sharing B[t, n] and C[t, n]
 * (so those are scalar broadcasts). A task owns one sequence and {@link #GROUP} channel vectors and walks
 * time once; the (batch, channels, len, states) tensors of the math are never materialised.
 *
 * <p>Time is processed in chunks of {@link #CHUNK} steps, in three passes over per-thread scratch that
 * stays in L1: (1) dt = softplus(delta + bias) and dt*u, (2) the recurrence, state by state over the
 * chunk's steps with h_n in registers, (3) D skip, SiLU(z) gate,
 * scale and store. The passes are separate on purpose: fused into one loop, the method exceeded C2's
 * inlining budget, the exp polynomial stayed a call and vectors were boxed (measured 6x slower and
 * hundreds of MB allocated per forward). Between chunks h lives in a small {@code float[]} (states x
 * width); within a chunk only one state's vectors are carried through the step loop (an unrolled 16-state
 * body boxed vectors, docs/machine-limits.md §4, and so did 2 or 4 states carried at once). Its exp is {@link VectorMath#exp2NonPositive}
 * with log2(e) folded into A once per task. Channels past the last full vector run a scalar loop. The
 * reverse direction indexes t = len-1-step; no flipped copy is made.
 */
final class ScanKernel {
    /** Time steps staged per pass: 3 * 64 * LANES floats = 12 KiB at 512-bit, comfortably L1. */
    static final int CHUNK = 64;
    /** Channel vectors per task and per recurrence step (see {@link Task#recurState2}). */
    static final int GROUP = 2;
    /**
     * Channel vectors per task of the plain tier ({@link PlainScan}): its per-row copies cost the same whatever their
     * width, so wider groups copy less often; 4 keeps 6 tasks per Vim-Tiny sequence (384 channels) for 2 threads.
     */
    static final int PLAIN_GROUP = 4;

    private ScanKernel() {
    }

    /** One call's arguments; one instance per calling thread, reused. */
    static final class Task implements ParallelTask {
        MemorySegment u, delta, aT, bc, dSkip, deltaBias, z, out;
        long uOff, dOff, bOff, cOff, zOff, oOff;
        int ldu, ldd, ldbc, ldz, ldo, len, channels, states, blocks, perBatch, group;
        boolean reverse, accumulate, plain;
        float outScale;

        void run(KernelThreads threads, KernelTier tier, ScanInputs in, ScanWeights w, Rows o, int batch, int len,
                ScanMode mode) {
            int channels = w.channels();
            if (batch <= 0 || len <= 0 || channels <= 0) {
                return;
            }
            if (in.b().data() != in.c().data() || in.b().ld() != in.c().ld()) {
                // The recurrence reads B and C from one x_dbl row (Mamba's layout), as the contract's mixer lays them.
                throw new IllegalArgumentException("vector scan: B and C must be columns of one buffer with one row stride");
            }
            // The hot loops read plain fields of this reused task (C2 keeps them in registers), unpacked once per call.
            this.plain = tier == KernelTier.PLAIN;
            this.u = in.u().data();
            this.uOff = in.u().offset();
            this.ldu = in.u().ld();
            this.delta = in.delta().data();
            this.dOff = in.delta().offset();
            this.ldd = in.delta().ld();
            this.aT = w.aT();
            this.bc = in.b().data();
            this.bOff = in.b().offset();
            this.cOff = in.c().offset();
            this.ldbc = in.b().ld();
            this.dSkip = w.dSkip();
            this.deltaBias = w.deltaBias();
            this.z = in.z().data();
            this.zOff = in.z().offset();
            this.ldz = in.z().ld();
            this.out = o.data();
            this.oOff = o.offset();
            this.ldo = o.ld();
            this.len = len;
            this.channels = channels;
            this.states = w.states();
            this.reverse = mode.reverse();
            this.outScale = mode.outScale();
            this.accumulate = mode.accumulate();
            blocks = channels / LANES;
            group = plain ? PLAIN_GROUP : GROUP;
            perBatch = (blocks + group - 1) / group + (channels % LANES == 0 ? 0 : 1);
            try {
                boolean shared = Confinement.shareable(u) && Confinement.shareable(delta) && Confinement.shareable(aT)
                        && Confinement.shareable(bc) && Confinement.shareable(dSkip) && Confinement.shareable(deltaBias)
                        && Confinement.shareable(z) && Confinement.shareable(out);
                Parallel.run(shared ? threads : null, this, batch * perBatch);
            } finally {
                this.u = this.delta = this.aT = this.bc = this.dSkip = this.deltaBias = this.z = this.out = null;
            }
        }

        @Override
        public void run(int index) {
            int b = index / perBatch, g = index % perBatch;
            int blk = g * group;
            if (blk < blocks && plain) {
                PlainScan.group(this, b, blk * LANES, Math.min(group, blocks - blk) * LANES);
            } else if (blk < blocks) {
                vectorGroup(b, blk * LANES, Math.min(GROUP, blocks - blk));
            } else {
                scalarTail(b, blocks * LANES);
            }
        }

        /** Channels [e0, e0 + w*LANES) of sequence b, w = 1 or 2 vectors side by side. */
        private void vectorGroup(int b, int e0, int w) {
            Scratch s = Scratch.get();
            int width = w * LANES;
            float[] h = s.states(states * width);
            float[] rate = s.stateRates(states * width);
            float[] st = s.steps(3 * CHUNK * width);
            for (int n = 0; n < states; n++) {
                for (int j = 0; j < w; j++) {
                    FloatVector.fromMemorySegment(F, aT, ((long) n * channels + e0 + j * LANES) * Float.BYTES, ORDER)
                            .mul(VectorMath.LOG2E).intoArray(rate, n * width + j * LANES);
                }
            }
            Arrays.fill(h, 0, states * width, 0f);
            long seq = (long) b * len;
            // The passes are separate compiled methods, so no vector crosses their boundaries (it would be boxed).
            for (int s0 = 0; s0 < len; s0 += CHUNK) {
                int cn = Math.min(CHUNK, len - s0);
                stage(st, seq, s0, cn, e0, w);
                // Pass 2 runs state by state (see recurState2): the y block starts at zero and each state adds its C_n h_n.
                int yBlock = 2 * CHUNK * width;
                Arrays.fill(st, yBlock, yBlock + cn * width, 0f);
                for (int n = 0; n < states; n++) {
                    if (w == 2) {
                        recurState2(st, h, rate, seq, s0, cn, n);
                    } else {
                        recurState1(st, h, rate, seq, s0, cn, n);
                    }
                }
                gate(st, seq, s0, cn, e0, w);
            }
        }

        private long time(int step) {
            return reverse ? len - 1 - step : step;
        }

        /** Row of step s0 of sequence seq; later steps add {@link #dir()} per step. */
        private long firstRow(long seq, int s0) {
            return seq + time(s0);
        }

        private int dir() {
            return reverse ? -1 : 1;
        }

        /** Pass 1: dt and dt*u of steps [s0, s0+cn); st holds [dt | dt*u | y] blocks of CHUNK x width floats. */
        private void stage(float[] st, long seq, int s0, int cn, int e0, int w) {
            long t0 = firstRow(seq, s0);
            int dt1r = dir();
            // Fields copied to locals: C2 must assume a store may change a field, so fields read in the loop
            // would be reloaded (and their segment class re-checked) on every iteration.
            MemorySegment us = u, ds = delta;
            long uo = uOff, dofs = dOff;
            int lu = ldu, ld = ldd;
            int width = w * LANES;
            for (int j = 0; j < w; j++) {
                int e = e0 + j * LANES;
                FloatVector dBias = FloatVector.fromMemorySegment(F, deltaBias, (long) e * Float.BYTES, ORDER);
                for (int i = 0; i < cn; i++) {
                    long t = t0 + (long) i * dt1r;
                    FloatVector uv = FloatVector.fromMemorySegment(F, us, (uo + t * lu + e) * Float.BYTES, ORDER);
                    FloatVector dv = FloatVector.fromMemorySegment(F, ds, (dofs + t * ld + e) * Float.BYTES, ORDER);
                    FloatVector dt = VectorMath.softplus(dv.add(dBias));
                    dt.intoArray(st, i * width + j * LANES);
                    dt.mul(uv).intoArray(st, (CHUNK + i) * width + j * LANES);
                }
            }
        }

        /**
         * Pass 2, the hot loop, for state n of two vectors of channels over the chunk's steps:
         * {@code h_n = 2^(dt * A_n log2e) * h_n + dt*u * B_n;  y += C_n h_n} (y is the st block pass 3 reads).
         * The loop order is state outer, step inner: h_n and A_n's rate stay in registers for the whole chunk
         * instead of a load and store of h and a load of the rate per state and step (the step-outer order
         * kept them in arrays because a 16-state body unrolled into registers did not compile to registers),
         * and the step loop is one flat body with no inner loop over states. Per step it loads dt, dt*u and
         * the partial y, which are L1-resident in st. Measured 13% faster than the step-outer loop on Vim-Tiny's
         * shape (one thread, AVX-512). Each B_n, C_n broadcast feeds both vectors. Carrying more than one
         * state's vectors through the step loop (2 or 4 states x 2 vectors) made C2 box them (5x slower).
         */
        private void recurState2(float[] st, float[] h, float[] rate, long seq, int s0, int cn, int n) {
            long t0 = firstRow(seq, s0);
            int dt1r = dir();
            MemorySegment bcs = bc; // locals: see stage()
            int lbc = ldbc;
            long bo = bOff + n, co = cOff + n;
            int o = 2 * n * LANES, dus = 2 * CHUNK * LANES, ys = 4 * CHUNK * LANES;
            FloatVector r0 = FloatVector.fromArray(F, rate, o), r1 = FloatVector.fromArray(F, rate, o + LANES);
            FloatVector h0 = FloatVector.fromArray(F, h, o), h1 = FloatVector.fromArray(F, h, o + LANES);
            for (int i = 0; i < cn; i++) {
                long t = t0 + (long) i * dt1r;
                int o0 = 2 * i * LANES;
                FloatVector b = FloatVector.broadcast(F, bcs.get(JAVA_FLOAT_UNALIGNED, (bo + t * lbc) * Float.BYTES));
                FloatVector c = FloatVector.broadcast(F, bcs.get(JAVA_FLOAT_UNALIGNED, (co + t * lbc) * Float.BYTES));
                h0 = FloatVector.fromArray(F, st, dus + o0).fma(b,
                        h0.mul(VectorMath.exp2NonPositive(FloatVector.fromArray(F, st, o0).mul(r0))));
                h1 = FloatVector.fromArray(F, st, dus + o0 + LANES).fma(b,
                        h1.mul(VectorMath.exp2NonPositive(FloatVector.fromArray(F, st, o0 + LANES).mul(r1))));
                h0.fma(c, FloatVector.fromArray(F, st, ys + o0)).intoArray(st, ys + o0);
                h1.fma(c, FloatVector.fromArray(F, st, ys + o0 + LANES)).intoArray(st, ys + o0 + LANES);
            }
            h0.intoArray(h, o);
            h1.intoArray(h, o + LANES);
        }

        /** {@link #recurState2} for one vector of channels (the last vector of an odd count). */
        private void recurState1(float[] st, float[] h, float[] rate, long seq, int s0, int cn, int n) {
            long t0 = firstRow(seq, s0);
            int dt1r = dir();
            MemorySegment bcs = bc; // locals: see stage()
            int lbc = ldbc;
            long bo = bOff + n, co = cOff + n;
            int o = n * LANES, dus = CHUNK * LANES, ys = 2 * CHUNK * LANES;
            FloatVector r0 = FloatVector.fromArray(F, rate, o);
            FloatVector h0 = FloatVector.fromArray(F, h, o);
            for (int i = 0; i < cn; i++) {
                long t = t0 + (long) i * dt1r;
                int o0 = i * LANES;
                FloatVector b = FloatVector.broadcast(F, bcs.get(JAVA_FLOAT_UNALIGNED, (bo + t * lbc) * Float.BYTES));
                FloatVector c = FloatVector.broadcast(F, bcs.get(JAVA_FLOAT_UNALIGNED, (co + t * lbc) * Float.BYTES));
                h0 = FloatVector.fromArray(F, st, dus + o0).fma(b,
                        h0.mul(VectorMath.exp2NonPositive(FloatVector.fromArray(F, st, o0).mul(r0))));
                h0.fma(c, FloatVector.fromArray(F, st, ys + o0)).intoArray(st, ys + o0);
            }
            h0.intoArray(h, o);
        }

        /** Pass 3: out = [out +] outScale * (y + D*u) * silu(z). */
        private void gate(float[] st, long seq, int s0, int cn, int e0, int w) {
            long t0 = firstRow(seq, s0);
            int dt1r = dir();
            MemorySegment us = u, zs = z, os = out; // locals, as in stage()
            long uo = uOff, zo = zOff, oo = oOff;
            int lu = ldu, lz = ldz, lo = ldo;
            boolean acc = accumulate;
            float scale = outScale;
            int width = w * LANES;
            for (int j = 0; j < w; j++) {
                int e = e0 + j * LANES;
                FloatVector dSk = FloatVector.fromMemorySegment(F, dSkip, (long) e * Float.BYTES, ORDER);
                for (int i = 0; i < cn; i++) {
                    long t = t0 + (long) i * dt1r;
                    FloatVector uv = FloatVector.fromMemorySegment(F, us, (uo + t * lu + e) * Float.BYTES, ORDER);
                    FloatVector zv = FloatVector.fromMemorySegment(F, zs, (zo + t * lz + e) * Float.BYTES, ORDER);
                    FloatVector y = FloatVector.fromArray(F, st, (2 * CHUNK + i) * width + j * LANES).add(dSk.mul(uv));
                    FloatVector g = y.mul(scale).mul(VectorMath.silu(zv));
                    long o = (oo + t * lo + e) * Float.BYTES;
                    if (acc) {
                        g = g.add(FloatVector.fromMemorySegment(F, os, o, ORDER));
                    }
                    g.intoMemorySegment(os, o, ORDER);
                }
            }
        }

        /** Channels [e0, channels) of sequence b, one at a time (only when channels % LANES != 0). */
        private void scalarTail(int b, int e0) {
            float[] h = Scratch.get().states(states);
            long seq = (long) b * len;
            for (int e = e0; e < channels; e++) {
                Arrays.fill(h, 0, states, 0f);
                float db = deltaBias.getAtIndex(JAVA_FLOAT_UNALIGNED, e), ds = dSkip.getAtIndex(JAVA_FLOAT_UNALIGNED, e);
                for (int step = 0; step < len; step++) {
                    long t = seq + time(step);
                    float uu = u.getAtIndex(JAVA_FLOAT_UNALIGNED, uOff + t * ldu + e);
                    float dt = VectorMath.softplus(delta.getAtIndex(JAVA_FLOAT_UNALIGNED, dOff + t * ldd + e) + db);
                    float du = dt * uu;
                    float y = 0f;
                    for (int n = 0; n < states; n++) {
                        float dA = (float) Math.exp(dt * aT.getAtIndex(JAVA_FLOAT_UNALIGNED, (long) n * channels + e));
                        h[n] = dA * h[n] + du * bc.getAtIndex(JAVA_FLOAT_UNALIGNED, bOff + t * ldbc + n);
                        y += bc.getAtIndex(JAVA_FLOAT_UNALIGNED, cOff + t * ldbc + n) * h[n];
                    }
                    float g = outScale * (y + ds * uu) * VectorMath.silu(z.getAtIndex(JAVA_FLOAT_UNALIGNED, zOff + t * ldz + e));
                    long o = oOff + t * ldo + e;
                    out.setAtIndex(JAVA_FLOAT_UNALIGNED, o, accumulate ? out.getAtIndex(JAVA_FLOAT_UNALIGNED, o) + g : g);
                }
            }
        }
    }
}

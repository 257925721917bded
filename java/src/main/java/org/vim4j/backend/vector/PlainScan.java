package org.vim4j.backend.vector;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import static org.vim4j.backend.vector.VectorMath.EXP2_MIN_BITS;
import static org.vim4j.backend.vector.VectorMath.P1;
import static org.vim4j.backend.vector.VectorMath.P2;
import static org.vim4j.backend.vector.VectorMath.P3;
import static org.vim4j.backend.vector.VectorMath.P4;
import static org.vim4j.backend.vector.VectorMath.P5;
import static org.vim4j.backend.vector.VectorMath.ROUND_MAGIC;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The plain-Java twin of {@link ScanKernel}'s vector channel groups ({@link KernelTier#PLAIN}); channel tails run the
 * SIMD kernel's own scalar loop on both tiers. Bit-identical, one channel at a time: {@code dt = softplus(delta + bias)}
 * and {@code dt*u} as the lane twins compute them, {@code h_n = fma(dt*u, B_n, h_n * 2^(dt * A_n log2e))},
 * {@code y = fma(h_n, C_n, y)} over n in order from zero, then {@code ((y + D*u) * scale) * silu(z)} [+ out].
 *
 * <p>For C1: a chunk of {@link ScanKernel#CHUNK} steps of the group's rows is copied into one array (bulk copies), each
 * channel runs state by state over the steps, and the exp2 polynomial is written out in the loop (C1 does not inline a
 * method that size; the call measured 1.5x slower).
 */
final class PlainScan {
    /** The exp2 clamp's bound with the sign bit flipped: an unsigned compare as a signed one. */
    private static final int FLIPPED_MIN = EXP2_MIN_BITS ^ Integer.MIN_VALUE;

    private PlainScan() {
    }

    /** Channels [e0, e0 + width) of sequence b, width a whole number of vectors. */
    static void group(ScanKernel.Task t, int b, int e0, int width) {
        int states = t.states, len = t.len, chunk = ScanKernel.CHUNK;
        int dir = t.reverse ? -1 : 1;
        // Per chunk: u, delta, z, out (chunk x width each), then B and C (chunk x states each).
        int uAt = 0, dAt = chunk * width, zAt = 2 * chunk * width, oAt = 3 * chunk * width, bAt = 4 * chunk * width;
        int cAt = bAt + chunk * states;
        Scratch scratch = Scratch.get();
        float[] rows = scratch.plainRows(cAt + chunk * states + 2 * width * states);
        float[] steps = scratch.steps(3 * chunk);
        int rateAt = cAt + chunk * states, hAt = rateAt + width * states;
        for (int j = 0; j < width; j++) {
            for (int n = 0; n < states; n++) {
                rows[rateAt + j * states + n] = t.aT.getAtIndex(JAVA_FLOAT_UNALIGNED, (long) n * t.channels + e0 + j)
                        * VectorMath.LOG2E;
            }
        }
        Arrays.fill(rows, hAt, hAt + width * states, 0f);
        long seq = (long) b * len;
        for (int s0 = 0; s0 < len; s0 += chunk) {
            int cn = Math.min(chunk, len - s0);
            long first = seq + (t.reverse ? len - 1 - s0 : s0);
            for (int i = 0; i < cn; i++) {
                long row = first + (long) i * dir;
                MemorySegment.copy(t.u, JAVA_FLOAT_UNALIGNED, (t.uOff + row * t.ldu + e0) * Float.BYTES, rows, uAt + i * width, width);
                MemorySegment.copy(t.delta, JAVA_FLOAT_UNALIGNED, (t.dOff + row * t.ldd + e0) * Float.BYTES, rows, dAt + i * width, width);
                MemorySegment.copy(t.z, JAVA_FLOAT_UNALIGNED, (t.zOff + row * t.ldz + e0) * Float.BYTES, rows, zAt + i * width, width);
                MemorySegment.copy(t.bc, JAVA_FLOAT_UNALIGNED, (t.bOff + row * t.ldbc) * Float.BYTES, rows, bAt + i * states, states);
                MemorySegment.copy(t.bc, JAVA_FLOAT_UNALIGNED, (t.cOff + row * t.ldbc) * Float.BYTES, rows, cAt + i * states, states);
                if (t.accumulate) {
                    MemorySegment.copy(t.out, JAVA_FLOAT_UNALIGNED, (t.oOff + row * t.ldo + e0) * Float.BYTES, rows, oAt + i * width, width);
                }
            }
            for (int j = 0; j < width; j++) {
                int e = e0 + j;
                float db = t.deltaBias.getAtIndex(JAVA_FLOAT_UNALIGNED, e), ds = t.dSkip.getAtIndex(JAVA_FLOAT_UNALIGNED, e);
                channel(rows, cn, width, j, states, uAt, dAt, zAt, oAt, bAt, cAt, rateAt + j * states, hAt + j * states,
                        db, ds, t.outScale, t.accumulate, steps);
            }
            for (int i = 0; i < cn; i++) {
                long row = first + (long) i * dir;
                MemorySegment.copy(rows, oAt + i * width, t.out, JAVA_FLOAT_UNALIGNED, (t.oOff + row * t.ldo + e0) * Float.BYTES, width);
            }
        }
    }

    /**
     * One channel (column j of the staged rows) over the chunk's cn steps; its states h and rates at hAt, rAt. As the
     * SIMD kernel: dt and dt*u for the chunk first, then state by state over the steps (h_n and its rate stay in
     * registers; measured 2x faster under C1 than steps outer with the states in an array), then the gate.
     */
    private static void channel(float[] r, int cn, int width, int j, int states, int uAt, int dAt, int zAt, int oAt,
            int bAt, int cAt, int rAt, int hAt, float deltaBias, float dSkip, float scale, boolean accumulate,
            float[] steps) {
        int duAt = ScanKernel.CHUNK, yAt = 2 * ScanKernel.CHUNK;
        for (int i = 0; i < cn; i++) {
            float dt = VectorMath.softplusLane(r[dAt + i * width + j] + deltaBias);
            steps[i] = dt;
            steps[duAt + i] = dt * r[uAt + i * width + j];
            steps[yAt + i] = 0f;
        }
        int n = 0;
        for (; n + 1 < states; n += 2) { // two states per pass: one load of dt, dt*u and y serves both chains
            float h0 = r[hAt + n], rate0 = r[rAt + n], h1 = r[hAt + n + 1], rate1 = r[rAt + n + 1];
            for (int i = 0, bo = bAt + n, co = cAt + n; i < cn; i++, bo += states, co += states) {
                float dt = steps[i], du = steps[duAt + i];
                // exp2NonPositive(dt * rate) of both states, written out (see the class comment)
                int b0 = Float.floatToRawIntBits(dt * rate0), b1 = Float.floatToRawIntBits(dt * rate1);
                float x0 = Float.intBitsToFloat((b0 ^ Integer.MIN_VALUE) < FLIPPED_MIN ? b0 : EXP2_MIN_BITS);
                float x1 = Float.intBitsToFloat((b1 ^ Integer.MIN_VALUE) < FLIPPED_MIN ? b1 : EXP2_MIN_BITS);
                float t0 = x0 + ROUND_MAGIC, t1 = x1 + ROUND_MAGIC;
                float f0 = x0 - (t0 - ROUND_MAGIC), f1 = x1 - (t1 - ROUND_MAGIC);
                float p0 = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(f0, P5, P4), f0, P3), f0, P2), f0, P1), f0, 1f);
                float p1 = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(f1, P5, P4), f1, P3), f1, P2), f1, P1), f1, 1f);
                float d0 = Float.intBitsToFloat(Float.floatToRawIntBits(p0) + (Float.floatToRawIntBits(t0) << 23));
                float d1 = Float.intBitsToFloat(Float.floatToRawIntBits(p1) + (Float.floatToRawIntBits(t1) << 23));
                h0 = Math.fma(du, r[bo], h0 * d0);
                h1 = Math.fma(du, r[bo + 1], h1 * d1);
                steps[yAt + i] = Math.fma(h1, r[co + 1], Math.fma(h0, r[co], steps[yAt + i]));
            }
            r[hAt + n] = h0;
            r[hAt + n + 1] = h1;
        }
        for (; n < states; n++) {
            float h = r[hAt + n], rate = r[rAt + n];
            for (int i = 0, bo = bAt + n, co = cAt + n; i < cn; i++, bo += states, co += states) {
                int bits = Float.floatToRawIntBits(steps[i] * rate);
                float x = Float.intBitsToFloat((bits ^ Integer.MIN_VALUE) < FLIPPED_MIN ? bits : EXP2_MIN_BITS);
                float t = x + ROUND_MAGIC, f = x - (t - ROUND_MAGIC);
                float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(f, P5, P4), f, P3), f, P2), f, P1), f, 1f);
                h = Math.fma(steps[duAt + i], r[bo], h * Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(t) << 23)));
                steps[yAt + i] = Math.fma(h, r[co], steps[yAt + i]);
            }
            r[hAt + n] = h;
        }
        for (int i = 0; i < cn; i++) {
            int at = i * width + j;
            float g = (steps[yAt + i] + dSkip * r[uAt + at]) * scale * VectorMath.siluLane(r[zAt + at]);
            r[oAt + at] = accumulate ? g + r[oAt + at] : g;
        }
    }
}

package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * DeiT's exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, in place. erf uses Abramowitz &amp; Stegun 7.1.26
 * ({@code 1 - t(a1 + t(a2 + ... )) e^{-u^2}}, {@code t = 1/(1 + p|u|)}, absolute error below 1.5e-7), which is far below
 * fp32 GEMM rounding and needs one exp per element; the scalar path evaluates the same formula so both agree.
 */
final class Gelu {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f,
            A4 = -1.453152027f, A5 = 1.061405429f, INV_SQRT2 = 0.70710678f;

    private Gelu() {
    }

    static void inPlace(boolean simd, MemorySegment x, long off, long n) {
        long j = 0;
        if (simd) {
            for (long end = n - n % V; j < end; j += V) {
                long o = (off + j) * 4;
                FloatVector v = FloatVector.fromMemorySegment(S, x, o, LE);
                FloatVector u = v.mul(INV_SQRT2), au = u.abs();
                FloatVector t = au.fma(P, 1f);
                t = FloatVector.broadcast(S, 1f).div(t);
                FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(S, A3)).fma(t, FloatVector.broadcast(S, A2))
                        .fma(t, FloatVector.broadcast(S, A1)).mul(t);
                FloatVector e = au.mul(au).neg().lanewise(VectorOperators.EXP);
                FloatVector erfAbs = poly.mul(e).neg().add(1f);
                FloatVector erf = erfAbs.blend(erfAbs.neg(), u.compare(VectorOperators.LT, 0f));
                v.mul(0.5f).mul(erf.add(1f)).intoMemorySegment(x, o, LE);
            }
        }
        for (; j < n; j++) {
            float v = x.getAtIndex(JAVA_FLOAT, off + j);
            x.setAtIndex(JAVA_FLOAT, off + j, gelu(v));
        }
    }

    static float gelu(float v) {
        float u = v * INV_SQRT2, au = Math.abs(u);
        float t = 1f / (1f + P * au);
        float poly = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
        float erf = 1f - poly * (float) Math.exp(-au * au);
        return 0.5f * v * (1f + (u < 0 ? -erf : erf));
    }
}

package org.vim4j.backend.vector;

import static org.vim4j.backend.vector.VectorLanes.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector transcendentals for the kernels (exp2, SiLU, softplus), written with plain vector arithmetic, and
 * scalar twins for channel tails.
 *
 * <p>Why not {@code lanewise(EXP)} / {@code LOG1P}: those are calls into SVML stubs, and a call makes C2
 * spill every live vector register around it. In the scan's innermost loop that measured 2x slower
 * (docs/machine-limits.md §4), and even once per (token, channel) in the scan's other passes the SVML exp +
 * log1p + exp cost 7 ms of a 23 ms Vim-Tiny scan budget; these inline versions cost a fraction of that.
 * Every method is small so C2 always inlines it (a vector that crosses a non-inlined call is boxed).
 *
 * <p>Accuracy: exp2 about 2e-7 relative; softplus and SiLU about 3e-7 relative (VectorMathTest).
 */
final class VectorMath {
    /** 1.5 * 2^23: adding it rounds a float of magnitude {@code < 2^22} to the nearest integer. */
    static final float ROUND_MAGIC = 12582912f;
    /** Clamp range of exp2: p * 2^k must stay a normal float for the exponent trick. */
    static final int EXP2_MIN_BITS = Float.floatToRawIntBits(-125f);
    private static final int EXP2_MAX_BITS = Float.floatToRawIntBits(126f);
    // Minimax fit (relative error, weighted by 1/2^f) of 2^f on [-0.5, 0.5] with the constant term fixed
    // at 1, computed for this project: approximation error 9.1e-8, about 2e-7 after fp32 rounding.
    static final float P1 = 0.6931470036506653f;
    static final float P2 = 0.24022242426872253f;
    static final float P3 = 0.05550733581185341f;
    static final float P4 = 0.009671512991189957f;
    static final float P5 = 0.001326472731307149f;

    static final float LOG2E = 1.4426950408889634f;
    static final float SOFTPLUS_THRESHOLD = 20f;
    // 2 atanh(s)/s ~ 2 + G1 z + G2 z^2 + G3 z^3 + G4 z^4, z = s^2 in [0, 1/9]: minimax for relative error,
    // computed for this project (the same coefficients as the native tiers' vsoftplus).
    private static final float G1 = 0x1.5554e0p-1f;
    private static final float G2 = 0x1.99dae6p-2f;
    private static final float G3 = 0x1.1e510cp-2f;
    private static final float G4 = 0x1.208bd0p-2f;

    private VectorMath() {
    }

    /**
     * {@code 2^x} for {@code x <= 0} (callers fold log2(e) into their operand, so {@code exp(y) = 2^(y*log2e)}).
     *
     * <p>The clamp to {@code x >= -125} (results below 2^-125 come out as about 2^-125, far below anything
     * that matters next to fp32 state) is an unsigned integer min on the bit patterns: for negative floats a
     * larger magnitude is a larger unsigned pattern, so {@code umin(bits(x), bits(-125))} is the clamp in one
     * {@code vpminud}. {@code FloatVector.max} would compile to six instructions because it must honour
     * Java's NaN and -0.0 rules. Non-negative x (never passed by the scan) sort below every negative
     * pattern, pass unclamped, and still give 2^x up to x = 127.
     */
    static FloatVector exp2NonPositive(FloatVector x) {
        return exp2Core(x.reinterpretAsInts().lanewise(VectorOperators.UMIN, EXP2_MIN_BITS).reinterpretAsFloats());
    }

    /** {@code 2^x} for any x, clamped to [2^-125, 2^126]: the unsigned min clamps negatives, a signed min positives. */
    static FloatVector exp2(FloatVector x) {
        IntVector b = x.reinterpretAsInts().lanewise(VectorOperators.UMIN, EXP2_MIN_BITS);
        return exp2Core(b.lanewise(VectorOperators.MIN, EXP2_MAX_BITS).reinterpretAsFloats());
    }

    /**
     * 2^x for x in [-125, 126]: round to nearest with the magic-number add, a degree-5 polynomial on the
     * fraction in [-0.5, 0.5], and the integer part added straight into the exponent bits. About 11 ops.
     */
    private static FloatVector exp2Core(FloatVector x) {
        FloatVector t = x.add(ROUND_MAGIC);
        FloatVector f = x.sub(t.sub(ROUND_MAGIC));
        FloatVector p = f.fma(P5, P4);
        p = p.fma(f, FloatVector.broadcast(F, P3));
        p = p.fma(f, FloatVector.broadcast(F, P2));
        p = p.fma(f, FloatVector.broadcast(F, P1));
        p = p.fma(f, FloatVector.broadcast(F, 1f));
        // t's low mantissa bits hold round(x); shifting left by 23 drops the magic number's bits and leaves
        // round(x) << 23 (two's complement), which added to p's bits scales p by 2^round(x).
        return p.reinterpretAsInts().add(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
    }

    /** Scalar twin of {@link #exp2NonPositive(FloatVector)}: one lane's bits (the polynomial's test, the plain-Java tier). */
    static float exp2NonPositive(float x) {
        int b = Float.floatToRawIntBits(x);
        float xc = Float.intBitsToFloat(Integer.compareUnsigned(b, EXP2_MIN_BITS) < 0 ? b : EXP2_MIN_BITS);
        float t = xc + ROUND_MAGIC;
        float f = xc - (t - ROUND_MAGIC);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(f, P5, P4), f, P3), f, P2), f, P1), f, 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(t) << 23));
    }

    /** Scalar twin of {@link #exp2(FloatVector)}: one lane's bits. */
    static float exp2(float x) {
        int b = Float.floatToRawIntBits(x);
        b = Integer.compareUnsigned(b, EXP2_MIN_BITS) < 0 ? b : EXP2_MIN_BITS;
        float xc = Float.intBitsToFloat(Math.min(b, EXP2_MAX_BITS));
        float t = xc + ROUND_MAGIC;
        float f = xc - (t - ROUND_MAGIC);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(f, P5, P4), f, P3), f, P2), f, P1), f, 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(t) << 23));
    }

    /** Scalar twin of {@link #silu(FloatVector)}, bit for bit one lane of it (the plain-Java tier, {@link KernelTier}). */
    static float siluLane(float v) {
        return v / (exp2(v * -LOG2E) + 1f);
    }

    /** Scalar twin of {@link #softplus(FloatVector)}, bit for bit one lane of it (the plain-Java tier). */
    static float softplusLane(float v) {
        float q = exp2NonPositive(Math.abs(v) * -LOG2E);
        float s = q / (q + 2f);
        float s2 = s * s;
        float p = Math.fma(s2, G4, G3);
        p = Math.fma(p, s2, G2);
        p = Math.fma(p, s2, G1);
        p = Math.fma(p, s2, 2f);
        return Math.fma(p, s, Float.intBitsToFloat(Math.max(Float.floatToRawIntBits(v), 0)));
    }

    /** {@code v * sigmoid(v) = v / (1 + 2^(-v log2e))}. */
    static FloatVector silu(FloatVector v) {
        return v.div(exp2(v.mul(-LOG2E)).add(1f));
    }

    /**
     * {@code log1p(e^v)} (Mamba's threshold at 20 needs no test: above it log1p(q), under 2.1e-9, is below half an ulp
     * of v, so the fused sum below rounds to v exactly). Evaluated as {@code max(v, 0) + log1p(q)} with
     * {@code q = e^-|v|} in (0, 1], so exp never overflows, and {@code log1p(q) = 2 atanh(s) = s g(s^2)} with
     * {@code s = q / (2 + q)} in (0, 1/3] (no {@code 1 + q}, which would lose q's low bits when q is small; 2 + q
     * loses them too, but s keeps q's relative accuracy). g is a degree-4 minimax fit of 2 atanh(s)/s on
     * s^2 in [0, 1/9] (fit error below 1e-8; the fp32 evaluation of log1p(q) stays within 2.2e-7 relative, the
     * rounding of s being the floor). No blend between two ranges of q, so about 7 fewer ops than a short
     * series on a reduced range.
     */
    static FloatVector softplus(FloatVector v) {
        FloatVector q = exp2NonPositive(v.abs().mul(-LOG2E));
        FloatVector s = q.div(q.add(2f));
        FloatVector s2 = s.mul(s);
        FloatVector p = s2.fma(G4, G3);
        p = p.fma(s2, FloatVector.broadcast(F, G2));
        p = p.fma(s2, FloatVector.broadcast(F, G1));
        p = p.fma(s2, FloatVector.broadcast(F, 2f));
        // max(v, 0) as a signed integer max on the bits: negative floats are negative ints (-0.0 too)
        return p.fma(s, v.reinterpretAsInts().max(0).reinterpretAsFloats());
    }

    /** Scalar SiLU for channel tails, the reference's formula. */
    static float silu(float v) {
        return (float) (v / (1.0 + Math.exp(-v)));
    }

    /** Scalar softplus for channel tails, the reference's formula. */
    static float softplus(float v) {
        return v > SOFTPLUS_THRESHOLD ? v : (float) Math.log1p(Math.exp(v));
    }
}

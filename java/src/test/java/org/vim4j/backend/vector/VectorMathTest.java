package org.vim4j.backend.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;

import org.junit.jupiter.api.Test;

/**
 * Accuracy of the scan's exp polynomial, which the conformance tolerances (1e-5) are too loose to pin
 * down: it must stay within a few ulp of 2^x over the whole clamped range, or logits drift.
 */
class VectorMathTest {
    private static final double MAX_REL = 3e-7;

    @Test
    void exp2PolynomialIsAccurateOverTheClampedRange() {
        int lanes = VectorLanes.LANES;
        float[] x = new float[lanes];
        float[] y = new float[lanes];
        double worst = 0;
        // Dense in the range that matters (dt*A*log2e in [-30, 0]), coarser down to the clamp.
        for (int i = 0; i <= 300_000; i += lanes) {
            for (int j = 0; j < lanes; j++) {
                int idx = i + j;
                x[j] = Math.max(-125f, idx <= 200_000 ? -30f * idx / 200_000 : -30f - 95f * (idx - 200_000) / 100_000);
            }
            VectorMath.exp2NonPositive(FloatVector.fromArray(VectorLanes.F, x, 0)).intoArray(y, 0);
            for (int j = 0; j < lanes; j++) {
                double want = Math.pow(2, x[j]);
                double rel = Math.abs(y[j] - want) / want;
                worst = Math.max(worst, rel);
                assertEquals(y[j], VectorMath.exp2NonPositive(x[j]), 0f, "scalar twin differs at " + x[j]);
            }
        }
        assertTrue(worst <= MAX_REL, "exp2 max relative error " + worst);
    }

    @Test
    void exp2ClampsFarBelowRangeInsteadOfProducingGarbage() {
        float[] x = new float[VectorLanes.LANES];
        java.util.Arrays.fill(x, -1000f);
        x[0] = Float.NEGATIVE_INFINITY;
        float[] y = new float[x.length];
        VectorMath.exp2NonPositive(FloatVector.fromArray(VectorLanes.F, x, 0)).intoArray(y, 0);
        for (float v : y) {
            assertTrue(v >= 0f && v < 1e-37f, "exp2(-inf or -1000) = " + v);
        }
        assertEquals(1f, VectorMath.exp2NonPositive(0f), 0f);
    }

    @Test
    void softplusAndSiluMatchTheReferenceFormulas() {
        int lanes = VectorLanes.LANES;
        float[] x = new float[lanes];
        float[] sp = new float[lanes];
        float[] si = new float[lanes];
        for (int i = 0; i < 4000; i += lanes) {
            for (int j = 0; j < lanes; j++) {
                x[j] = -100f + 0.05f * (i + j); // crosses the softplus threshold at 20
            }
            FloatVector v = FloatVector.fromArray(VectorLanes.F, x, 0);
            VectorMath.softplus(v).intoArray(sp, 0);
            VectorMath.silu(v).intoArray(si, 0);
            for (int j = 0; j < lanes; j++) {
                // Relative 4e-7, plus the rounding of the exp argument x*log2e (about 7e-8 |x|, it matters only for
                // large |x|), plus absolute 1e-30: below x = -88 e^-x overflows fp32 and the reference's
                // double formula gives about -1e-37 where fp32 gives 0; both are zero to any consumer.
                double rel = 4e-7 + 8e-8 * Math.abs(x[j]);
                assertEquals(VectorMath.softplus(x[j]), sp[j], rel * Math.abs(VectorMath.softplus(x[j])) + 1e-30,
                        "softplus(" + x[j] + ")");
                assertEquals(VectorMath.silu(x[j]), si[j], rel * Math.abs(VectorMath.silu(x[j])) + 1e-30,
                        "silu(" + x[j] + ")");
            }
        }
    }
}

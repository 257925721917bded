package org.vim4j.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.backend.scalar.ScalarKernels;
import org.vim4j.tensor.DType;
import org.vim4j.tensor.Tensor;

/** The reference arithmetic of docs/precision.md, checked on values worked out by hand. */
class QuantizationTest {

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaN() {
        // 1 + 2^-8 is halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even mantissa (1).
        assertEquals(1f, Quantization.roundBf16(1f + 0x1p-8f));
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        assertEquals(1f + 0x1p-6f, Quantization.roundBf16(1f + 3 * 0x1p-8f));
        assertEquals(1f + 0x1p-7f, Quantization.roundBf16(1f + 0x1p-7f + 0x1p-10f));
        assertTrue(Float.isNaN(Quantization.roundBf16(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, Quantization.roundBf16(Float.POSITIVE_INFINITY));
        assertEquals(-0f, Quantization.roundBf16(-0f));
        assertEquals(Float.POSITIVE_INFINITY, Quantization.roundBf16(Float.MAX_VALUE), "rounds past the largest bf16");
    }

    @Test
    void int8QuantizesSymmetricallyWithHalfToEven() {
        float inv = Quantization.inverseScale(127f); // 1.0
        assertEquals(2, Quantization.quantize(2.5f, inv));
        assertEquals(-2, Quantization.quantize(-2.5f, inv));
        assertEquals(4, Quantization.quantize(3.5f, inv));
        assertEquals(127, Quantization.quantize(1e9f, inv));
        assertEquals(-127, Quantization.quantize(-1e9f, inv), "-128 never occurs");
        assertEquals(0f, Quantization.inverseScale(0f), "an all-zero row quantizes to zeros");
    }

    @Test
    void scalarLinearComputesEachModeAsDefined() {
        try (Arena arena = Arena.ofConfined()) {
            // W (2, 3), bias (2), one token a (3).
            float[] w = {1f, -2f, 0.5f, 0f, 0f, 0f};
            float[] a = {0.25f, 1f, -4f};
            Tensor wt = Tensor.copyOf(arena, "w", w, 2, 3);
            Tensor bt = Tensor.copyOf(arena, "b", new float[] {0.125f, -1f}, 2);
            MemorySegment in = arena.allocate(JAVA_FLOAT, 3);
            MemorySegment out = arena.allocate(JAVA_FLOAT, 2);
            MemorySegment.copy(a, 0, in, JAVA_FLOAT, 0, 3);
            ScalarKernels k = new ScalarKernels();

            LinearWeight int8 = k.prepareLinear(LinearSource.of(wt, bt), Precision.INT8, arena);
            k.linear(in, 0, 3, 1, int8, out, 0, 2);
            // sw = 2/127: qw = [64 (63.5 -> even 64), -127, 32 (31.75)]; sa = 4/127: qa = [8 (7.9375), 32 (31.75), -127].
            int acc = 64 * 8 + (-127) * 32 + 32 * (-127);
            float want = (float) acc * ((4f / 127) * (2f / 127)) + 0.125f;
            assertEquals(want, out.getAtIndex(JAVA_FLOAT, 0));
            assertEquals(-1f, out.getAtIndex(JAVA_FLOAT, 1), "a zero row gives the bias exactly");

            LinearWeight bf16 = k.prepareLinear(LinearSource.of(wt, bt), Precision.BF16, arena);
            k.linear(in, 0, 3, 1, bf16, out, 0, 2);
            assertEquals(0.125f + 0.25f - 2f - 2f, out.getAtIndex(JAVA_FLOAT, 0), "values exact in bf16 stay exact");
        }
    }

    @Test
    void aStoredInt8WeightIsValidated() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor q = Tensor.wrap("q", DType.I8, arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, Byte.MIN_VALUE, (byte) 3), 1, 2);
            Tensor s = Tensor.copyOf(arena, "q_scale", new float[] {0.5f}, 1);
            VimException e = assertThrows(VimException.class,
                    () -> new ScalarKernels().prepareLinear(new LinearSource(q, s, null), Precision.INT8, arena));
            assertTrue(e.getMessage().contains("-128"), e.getMessage());
        }
    }

    @Test
    void aWeightThatIsNotAnNByKMatrixIsRefusedByEveryCpuBackend() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor empty = Tensor.wrap("w", DType.F32, arena.allocate(0), 0, 3);
            for (Kernels k : new Kernels[] {new ScalarKernels(), new org.vim4j.backend.vector.VectorKernels(1)}) {
                for (Precision p : Precision.values()) {
                    VimException e = assertThrows(VimException.class,
                            () -> k.prepareLinear(LinearSource.of(empty, null), p, arena), k + " " + p);
                    assertTrue(e.getMessage().contains("cannot view [0, 3] as (N, K)"), e.getMessage());
                }
            }
        }
    }
}

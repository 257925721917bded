package org.vim4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.backend.cuda.CudaKernels.GemmMode;

/**
 * How the CUDA backend maps the model's {@link Precision} to its GEMM modes (docs/precision.md), without a device:
 * fp32 layers follow {@code -Dvim4j.cuda.precision} (fp32 or tf32), bf16 layers run bf16 GEMMs, int8 is refused with a
 * message that names what to do instead.
 */
class CudaPrecisionMappingTest {
    @Test
    void fp32LayersFollowTheCudaProperty() {
        assertEquals(GemmMode.FP32, CudaKernels.modeFor(Precision.FP32, GemmMode.FP32));
        assertEquals(GemmMode.TF32, CudaKernels.modeFor(Precision.FP32, GemmMode.TF32));
        // -Dvim4j.cuda.precision=bf16 makes BF16 the default precision; a model asked to run FP32 still runs fp32.
        assertEquals(GemmMode.FP32, CudaKernels.modeFor(Precision.FP32, GemmMode.BF16));
    }

    @Test
    void bf16LayersRunBf16Gemms() {
        for (GemmMode property : GemmMode.values()) {
            assertEquals(GemmMode.BF16, CudaKernels.modeFor(Precision.BF16, property));
        }
    }

    @Test
    void int8IsRefusedWithTheAlternatives() {
        for (GemmMode property : GemmMode.values()) {
            VimException e = assertThrows(VimException.class, () -> CudaKernels.modeFor(Precision.INT8, property));
            assertTrue(e.getMessage().contains("cannot run precision int8"), e.getMessage());
            assertTrue(e.getMessage().contains("--precision bf16"), e.getMessage());
        }
    }

    @Test
    void thePropertyNamesItsChoices() {
        assertEquals(GemmMode.BF16, GemmMode.parse(" bf16 "));
        assertEquals(GemmMode.TF32, GemmMode.parse("TF32"));
        VimException e = assertThrows(VimException.class, () -> GemmMode.parse("int8"));
        assertTrue(e.getMessage().contains("expected fp32, tf32 or bf16"), e.getMessage());
    }
}

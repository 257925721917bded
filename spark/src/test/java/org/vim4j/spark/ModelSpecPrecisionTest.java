package org.vim4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vim4j.Precision;
import org.vim4j.VimException;
import org.vim4j.VimModel;

/**
 * The precision param: auto, the model precisions fp32 | bf16 | int8 (VimOptions.withPrecision) and CUDA's tf32, with
 * the combinations that cannot run refused on the driver with a message naming what to do.
 */
class ModelSpecPrecisionTest {
    static ModelSpec spec(String backend, String precision) {
        return new ModelSpec("", null, backend, 1, precision);
    }

    @Test
    void modelPrecisionsMapToVimOptions() {
        assertNull(spec("vector", null).options().precision());
        assertEquals("auto", spec("vector", " ").precision());
        assertEquals(Precision.FP32, spec("vector", "fp32").options().precision());
        assertEquals(Precision.BF16, spec("vector", "BF16").options().precision());
        assertEquals(Precision.INT8, spec("native", "int8").options().precision());
        assertEquals(Precision.BF16, spec("cuda", "bf16").options().precision());
        // tf32 is an fp32 model whose fp32 GEMMs CUDA runs on tensor cores.
        assertEquals(Precision.FP32, spec("cuda", "tf32").options().precision());
        assertEquals(Precision.FP32, spec("auto", "tf32").options().precision());
    }

    @Test
    void impossibleCombinationsAreRefused() {
        String m = assertThrows(VimException.class, () -> spec("vector", "int4")).getMessage();
        assertTrue(m.contains("precision must be auto, fp32, bf16, int8 or tf32, got 'int4'"), m);
        m = assertThrows(VimException.class, () -> spec("vector", "tf32")).getMessage();
        assertTrue(m.contains("precision tf32 needs the cuda backend"), m);
        m = assertThrows(VimException.class, () -> spec("cuda", "int8")).getMessage();
        assertTrue(m.contains("precision int8 does not run on the cuda backend") && m.contains("choose bf16"), m);
        assertThrows(IllegalArgumentException.class, () -> new VimImageClassifier().setPrecision("int4"));
        assertEquals("auto", new VimImageClassifier().getPrecision());
        assertEquals("int8", new VimImageClassifier().setPrecision("int8").getPrecision());
    }

    @Test
    void theEmbeddedModelLoadsAtTheNamedPrecision() {
        for (Precision p : Precision.values()) {
            try (VimModel m = spec("vector", p.label()).load()) {
                assertEquals(p, m.precision());
            }
        }
    }
}

package org.vim4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.VimException;
import org.vim4j.io.StateDict;

class VimConfigInferenceTest {

    @Test
    void recoversEveryPresetFromShapesAlone() {
        for (VimConfig c : new VimConfig[] {VimConfig.tiny(), VimConfig.tinyPlus()}) {
            try (StateDict sd = RandomWeights.create(c, 1)) {
                StateDict bare = new StateDict(sd.source(), java.lang.foreign.Arena.ofShared(), sd.tensors(), Map.of());
                assertEquals(c, VimConfigInference.infer(bare, null, null));
            }
        }
    }

    @Test
    void customSizeUsesMetadataOrHints() {
        VimConfig odd = new VimConfig(18, 6, 3, 3, 24, 3, 8, 4, 2, 2, 7, 1e-5f);
        try (StateDict sd = RandomWeights.create(odd, 3)) {
            assertEquals(odd, VimConfigInference.infer(sd, null, null)); // vim4j.img_size/stride metadata
            assertEquals(odd, VimConfigInference.infer(sd, 18, null));
            VimException e = assertThrows(VimException.class, () -> VimConfigInference.infer(sd, 21, 3));
            assertTrue(e.getMessage().contains("5x5 patch grid"), e.getMessage());
        }
    }

    @Test
    void stateGuessesFallBackToStrideEqualsPatch() {
        assertArrayEquals(new int[] {224, 16}, VimConfigInference.resolveImageAndStride(Map.of(), null, null, 16, 14, "x"));
        assertArrayEquals(new int[] {224, 8}, VimConfigInference.resolveImageAndStride(Map.of(), null, null, 16, 27, "x"));
        // A training checkpoint's args.input_size that does not fit the grid is ignored, not trusted.
        assertArrayEquals(new int[] {16, 4},
                VimConfigInference.resolveImageAndStride(Map.of("args.input_size", "224"), null, null, 4, 4, "x"));
        assertArrayEquals(new int[] {384, 16},
                VimConfigInference.resolveImageAndStride(Map.of("args.input_size", "384"), null, null, 16, 24, "x"));
    }
}

package org.vim4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.vim4j.VimConfig;
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

    /** A state dict of {@code c}'s tensors with {@code edit} applied (shapes only: data is an unreadable address). */
    private static StateDict hostile(VimConfig c, java.util.function.Consumer<java.util.SequencedMap<String, org.vim4j.tensor.Tensor>> edit,
            Map<String, String> meta) {
        try (StateDict sd = RandomWeights.create(c, 1)) {
            java.util.SequencedMap<String, org.vim4j.tensor.Tensor> t = new java.util.LinkedHashMap<>();
            sd.tensors().forEach((k, v) -> t.put(k, shape(k, v.shape())));
            edit.accept(t);
            return new StateDict(null, java.lang.foreign.Arena.ofShared(), t, meta);
        }
    }

    private static org.vim4j.tensor.Tensor shape(String name, long... dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        // Only the shape is read by inference: a huge tensor needs no memory behind it.
        return org.vim4j.tensor.Tensor.wrap(name, org.vim4j.tensor.DType.F32,
                java.lang.foreign.MemorySegment.NULL.reinterpret(Math.multiplyExact(n, 4L)), dims);
    }

    private static void refused(String expect, StateDict sd) {
        long t0 = System.nanoTime();
        VimException e = assertThrows(VimException.class, () -> VimConfigInference.infer(sd, null, null));
        assertTrue(e.getMessage().contains(expect), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "took more than 2 s to refuse: " + e.getMessage());
    }

    @Test
    void hostileShapesAndNamesAreRefusedWithTheLimitNamed() {
        VimConfig c = VimConfig.of(32, 8, 8, 16, 2, 4);
        // One stray layer index is a gap, not ten million layers to plan.
        refused("layers.9999999.norm.weight", hostile(c, t -> t.put("layers.9999999.norm.weight", shape("x", 16)), Map.of()));
        refused("without gaps", hostile(c, t -> t.put("layers.7.norm.weight", shape("x", 16)), Map.of()));
        refused("layers.99999999999999999999.norm.weight",
                hostile(c, t -> t.put("layers.99999999999999999999.norm.weight", shape("x", 16)), Map.of()));
        // Zero and huge dimensions: no division by zero, no int overflow.
        refused("embed_dim", hostile(c, t -> t.put("patch_embed.proj.weight", shape("p", 0, 3, 8, 8)), Map.of()));
        refused("embed_dim", hostile(c, t -> t.put("patch_embed.proj.weight", shape("p", 1L << 33, 1, 1, 1)), Map.of()));
        refused("patch", hostile(c, t -> t.put("patch_embed.proj.weight", shape("p", 16, 3, 1 << 20, 1 << 20)), Map.of()));
        refused("pos_embed", hostile(c, t -> t.put("pos_embed", shape("q", 1, 0, 16)), Map.of()));
        refused("pos_embed", hostile(c, t -> t.put("pos_embed", shape("q", 1, 1, 16)), Map.of()));
        refused("pos_embed", hostile(c, t -> t.put("pos_embed", shape("q", 1, (1L << 40) + 1, 0)), Map.of()));
        refused("in_proj", hostile(c, t -> t.put("layers.0.mixer.in_proj.weight", shape("i", 33, 16)), Map.of()));
        refused("d_state", hostile(c, t -> t.put("layers.0.mixer.A_log", shape("a", 32, 100_000)), Map.of()));
        refused("classes", hostile(c, t -> t.put("head.weight", shape("h", 0, 16)), Map.of()));
        // Metadata: numbers or a clear refusal, never a NumberFormatException's text.
        refused("vim4j.img_size", hostile(c, t -> { }, Map.of("vim4j.img_size", "99999999999999999999")));
        refused("vim4j.img_size", hostile(c, t -> { }, Map.of("vim4j.img_size", "-5")));
        refused("vim4j.stride", hostile(c, t -> { }, Map.of("vim4j.stride", "0")));
    }
}

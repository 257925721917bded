package org.vim4j.bench.deit;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.vim4j.io.StateDict;
import org.vim4j.io.safetensors.SafetensorsReader;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.tensor.Tensor;

/**
 * The DeiT baseline against PyTorch: {@code tools/deit_reference.py golden} wrote a 2-block, 2-head DeiT
 * with random weights, a batch of 2 images and its logits (26 tokens). Every available backend, both attention variants
 * (also with 4-query and one-vector key blocks, so several query and key blocks and their ragged tails are exercised),
 * must reproduce them. A wrong baseline would make the Vim-vs-DeiT comparison meaningless.
 */
class DeitGoldenTest {
    private static final float TOLERANCE = 1e-4f;

    static List<Arguments> cases() {
        List<Arguments> out = new java.util.ArrayList<>();
        for (BackendKind b : List.of(BackendKind.SCALAR, BackendKind.VECTOR, BackendKind.NATIVE)) {
            if (Backends.isAvailable(b)) {
                out.add(Arguments.of(b, AttentionKind.FULL, 64, 256));
                out.add(Arguments.of(b, AttentionKind.TILED, 4, AttentionGemm.V));
                out.add(Arguments.of(b, AttentionKind.FULL, 5, 256));
                out.add(Arguments.of(b, AttentionKind.TILED, 64, 256));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1} blocks {2}x{3}")
    @MethodSource("cases")
    void matchesPyTorch(BackendKind backend, AttentionKind kind, int queryBlock, int keyBlock) throws Exception {
        Path file = Path.of(DeitGoldenTest.class.getResource("deit-golden.safetensors").toURI());
        try (StateDict sd = SafetensorsReader.read(file)) {
            Map<String, String> meta = sd.metadata();
            DeitConfig c = new DeitConfig(Integer.parseInt(meta.get("img_size")), Integer.parseInt(meta.get("patch")),
                    Integer.parseInt(meta.get("channels")),
                    Integer.parseInt(meta.get("dim")), Integer.parseInt(meta.get("depth")), Integer.parseInt(meta.get("heads")), 4,
                    Integer.parseInt(meta.get("num_classes")));
            Tensor input = sd.get("input"), expected = sd.get("logits");
            int batch = (int) input.dim(0);
            try (DeitModel model = new DeitModel(sd, c, backend, 2);
                    DeitSession session = model.newSession(batch, kind, queryBlock, keyBlock);
                    Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocate(input.numel() * 4, 64);
                for (long i = 0; i < input.numel(); i++) {
                    in.setAtIndex(JAVA_FLOAT, i, input.getFloat(i));
                }
                session.run(in, 0, batch);
                float maxErr = 0, maxAbs = 0;
                for (long i = 0; i < expected.numel(); i++) {
                    float got = session.logits().getAtIndex(JAVA_FLOAT, i);
                    maxErr = Math.max(maxErr, Math.abs(got - expected.getFloat(i)));
                    maxAbs = Math.max(maxAbs, Math.abs(expected.getFloat(i)));
                }
                assertTrue(maxAbs > 0.1f, "fixture logits are not trivially zero");
                assertTrue(maxErr <= TOLERANCE, backend + " " + kind + ": max |logit error| " + maxErr);
                // A second run on the same workspace must give the same answer (no state leaks between runs, e.g. an
                // accumulating buffer not reset). Not bit-exact: a backend may split its GEMMs differently per run.
                float first = session.logits().getAtIndex(JAVA_FLOAT, 3);
                session.run(in, 0, batch);
                assertEquals(first, session.logits().getAtIndex(JAVA_FLOAT, 3), 1e-5f);
            }
        }
    }
}

package org.vim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.vim4j.io.npy.Npy;
import org.vim4j.BackendKind;
import org.vim4j.VimConfig;
import org.vim4j.tensor.Tensor;

/** Official-layout .pth files written by torch.save load straight into a model and give the reference logits. */
class CheckpointLoadingTest {
    static final VimOptions OPTS = VimOptions.defaults().withBackend(BackendKind.SCALAR);

    static float[] logits(Path weights, VimOptions opts) throws IOException {
        Path tiny = GoldenParityTest.golden("tiny");
        try (Arena a = Arena.ofConfined(); VimModel m = VimModel.load(weights, opts)) {
            Tensor x = Npy.read(tiny.resolve("input.npy"), a);
            try (VimSession s = m.newSession(2, 16, 16)) {
                return s.logits(x.toFloatArray(), 2, 16, 16);
            }
        }
    }

    static float[] expected(Path dir, String file) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return Npy.read(dir.resolve(file), a).toFloatArray();
        }
    }

    @Test
    void trainingContainerGivesModelOrEmaWeights() throws IOException {
        Path pth = GoldenParityTest.golden("pth");
        Path tiny = GoldenParityTest.golden("tiny");
        GoldenParityTest.compare("checkpoint.pth model", expected(tiny, "logits.npy"),
                logits(pth.resolve("checkpoint.pth"), OPTS), 0f, 1e-4f);
        GoldenParityTest.compare("checkpoint.pth model_ema", expected(pth, "ema_logits.npy"),
                logits(pth.resolve("checkpoint.pth"), OPTS.withEntry("model_ema")), 0f, 1e-4f);
        // Another inner folder name: the zip prefix is discovered, not hard-coded.
        GoldenParityTest.compare("best_checkpoint.pth", expected(tiny, "logits.npy"),
                logits(pth.resolve("best_checkpoint.pth"), OPTS), 0f, 1e-4f);
        GoldenParityTest.compare("bare state_dict.pth", expected(tiny, "logits.npy"),
                logits(pth.resolve("state_dict.pth"), OPTS), 0f, 1e-4f);
    }

    @Test
    void configIsInferredFromTheCheckpoint() {
        try (VimModel m = VimModel.load(GoldenParityTest.golden("pth").resolve("checkpoint.pth"), OPTS)) {
            assertEquals(new VimConfig(16, 4, 4, 3, 16, 2, 16, 4, 2, 1, 10, 1e-5f), m.config());
        }
    }

    @Test
    void unknownEntryAndWrongFilesAreClearErrors() {
        Path pth = GoldenParityTest.golden("pth");
        VimException e = assertThrows(VimException.class,
                () -> VimModel.load(pth.resolve("checkpoint.pth"), OPTS.withEntry("teacher")));
        assertTrue(e.getMessage().contains("teacher"), e.getMessage());
        e = assertThrows(VimException.class, () -> VimModel.load(pth.resolve("legacy.pth"), OPTS));
        assertTrue(e.getMessage().toLowerCase().contains("legacy"), e.getMessage());
        // A real checkpoint of the wrong architecture: lists what is missing/unexpected/mis-shaped.
        e = assertThrows(VimException.class, () -> VimModel.load(pth.resolve("fp16.pth"), OPTS));
        assertTrue(e.getMessage().contains("fp16.pth"), e.getMessage());
    }
}

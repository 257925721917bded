package org.vim4j.model;

import java.lang.foreign.MemorySegment;

import org.vim4j.VimConfig;
import org.vim4j.kernel.Kernels;
import org.vim4j.kernel.MixerProbe;
import org.vim4j.kernel.PatchGrid;
import org.vim4j.kernel.Stage;

/**
 * The Vim forward pass (docs/vim-spec.md §2), written as the spec reads and nothing else: every operation is a
 * {@link Kernels} call on workspace buffers, so this one loop runs on every backend, on the host or on a device (where
 * the session records it into a graph). Whole-layer operations are the backend's to fuse.
 */
public final class VimForward {
    private VimForward() {
    }

    /**
     * Runs {@code batch} NCHW images of {@code grid}'s size from {@code input} (as {@code Execution.input} gave it).
     * Results stay in the workspace: logits in {@code ws.logits}, final-normed tokens in {@code ws.normed}.
     */
    public static void run(Kernels k, VimWeights w, Workspace ws, MemorySegment input, int batch, PatchGrid grid,
            StageObserver obs) {
        VimConfig c = w.config;
        int d = c.embedDim(), len = grid.tokens(), rows = batch * len;

        // 1-3. Patch embedding, the class token spliced in at M/2, position embedding.
        k.embedPatches(w.patchEmbed, input, grid, batch, ws.posEmbed, ws.patches, ws.residual);
        if (obs != null) {
            obs.observe(Stage.EMBED, -1, ws.residual, rows, d);
        }

        // 4. Blocks: residual += hidden; h = RMSNorm(residual); hidden = Mixer(h).
        for (int l = 0; l < c.depth(); l++) {
            BlockWeights bw = w.blocks[l];
            k.addRmsNorm(ws.residual, l == 0 ? null : ws.hidden, bw.norm(), ws.normed, rows, d, c.normEps());
            if (obs != null && l > 0) { // the add above completed block l-1
                obs.observe(Stage.BLOCK_OUTPUT, l - 1, ws.residual, rows, d);
            }
            k.mixer(bw.mixer(), ws.mixer, batch, len, obs == null ? null : probe(obs, l));
        }

        // 5-7. Final add + norm, middle class token to the head (rows cls, cls+L, ... via the row stride).
        k.addRmsNorm(ws.residual, ws.hidden, w.normF, ws.normed, rows, d, c.normEps());
        if (obs != null) {
            obs.observe(Stage.BLOCK_OUTPUT, c.depth() - 1, ws.residual, rows, d);
            obs.observe(Stage.FINAL, -1, ws.normed, rows, d);
        }
        k.linear(ws.normed, (long) grid.cls() * d, len * d, batch, w.head, ws.logits, 0, c.numClasses());
    }

    private static MixerProbe probe(StageObserver obs, int layer) {
        return (stage, data, rows, cols) -> obs.observe(stage, layer, data, rows, cols);
    }
}

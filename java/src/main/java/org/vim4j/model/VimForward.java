package org.vim4j.model;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.Kernels;

/**
 * The Vim forward pass (vim-spec.md §2), written as the spec reads and nothing else: every operation is
 * a {@link Kernels} call on workspace buffers, so the same loop runs on every backend.
 */
public final class VimForward {
    private VimForward() {
    }

    /**
     * Runs {@code batch} NCHW images from {@code input} (starting at float {@code inOff}). Results stay in the
     * workspace: logits in {@code ws.logits}, final-normed tokens in {@code ws.normed}.
     */
    public static void run(Kernels k, VimWeights w, Workspace ws, MemorySegment input, long inOff, int batch, int gh, int gw,
            int height, int width, StageObserver obs) {
        VimConfig c = w.config;
        int d = c.embedDim();
        int m = gh * gw, len = m + 1, cls = m / 2;
        long imageFloats = (long) c.channels() * height * width;
        long seqFloats = (long) len * d;

        // 1-3. Patch embedding, the class token spliced in at M/2, position embedding.
        for (int b = 0; b < batch; b++) {
            long seq = b * seqFloats;
            k.im2col(input, inOff + b * imageFloats, c.channels(), height, width, c.patchSize(), c.stride(), ws.patches, 0);
            k.linear(ws.patches, 0, c.patchInputs(), cls, w.patchEmbed, ws.residual, seq, d);
            k.linear(ws.patches, (long) cls * c.patchInputs(), c.patchInputs(), m - cls, w.patchEmbed, ws.residual,
                    seq + (long) (cls + 1) * d, d);
            k.copy(w.clsToken, 0, ws.residual, seq + (long) cls * d, d);
            k.add(ws.residual, seq, ws.posEmbed, 0, seqFloats);
        }

        int rows = batch * len;
        if (obs != null) {
            obs.observe(StageObserver.Stage.EMBED, -1, ws.residual, rows, d);
        }

        // 4. Blocks: residual += hidden; h = RMSNorm(residual); hidden = Mixer(h).
        for (int l = 0; l < c.depth(); l++) {
            BlockWeights bw = w.blocks[l];
            k.addRmsNorm(ws.residual, 0, l == 0 ? null : ws.hidden, 0, bw.norm(), ws.normed, 0, rows, d, c.normEps());
            if (obs != null && l > 0) { // the add above completed block l-1
                obs.observe(StageObserver.Stage.BLOCK_OUTPUT, l - 1, ws.residual, rows, d);
            }
            mixer(k, c, bw, ws, batch, len, l, obs);
        }

        // 5-7. Final add + norm, middle class token to the head (rows cls, cls+L, ... via the row stride).
        k.addRmsNorm(ws.residual, 0, ws.hidden, 0, w.normF, ws.normed, 0, rows, d, c.normEps());
        if (obs != null) {
            obs.observe(StageObserver.Stage.BLOCK_OUTPUT, c.depth() - 1, ws.residual, rows, d);
            obs.observe(StageObserver.Stage.FINAL, -1, ws.normed, rows, d);
        }
        k.linear(ws.normed, (long) cls * d, len * d, batch, w.head, ws.logits, 0, c.numClasses());
    }

    /** Bimamba-v2 mixer (vim-spec.md §2.1): hidden = out_proj((S_fwd + flip(S_bwd(flip))) / 2). */
    private static void mixer(Kernels k, VimConfig c, BlockWeights bw, Workspace ws, int batch, int len, int layer,
            StageObserver obs) {
        // A backend that fuses the whole layer does so unless a test is watching the intermediates.
        if (obs == null && k instanceof FusedMixer fused && fused.mixerForward(c, bw, ws, batch, len)) {
            return;
        }
        int rows = batch * len;
        int e = c.dInner();
        k.linear(ws.normed, 0, c.embedDim(), rows, bw.inProj(), ws.xz, 0, 2 * e);
        branch(k, c, bw.forward(), ws, batch, len, false);
        if (obs != null) {
            obs.observe(StageObserver.Stage.CONV_FORWARD, layer, ws.xc, rows, e);
            obs.observe(StageObserver.Stage.Y_AFTER_FORWARD, layer, ws.y, rows, e);
        }
        branch(k, c, bw.backward(), ws, batch, len, true);
        if (obs != null) {
            obs.observe(StageObserver.Stage.CONV_BACKWARD, layer, ws.xc, rows, e);
            obs.observe(StageObserver.Stage.Y_AFTER_BACKWARD, layer, ws.y, rows, e);
        }
        k.linear(ws.y, 0, e, rows, bw.outProj(), ws.hidden, 0, c.embedDim());
        if (obs != null) {
            obs.observe(StageObserver.Stage.MIXER, layer, ws.hidden, rows, c.embedDim());
        }
    }

    /** One direction: conv1d+SiLU, x_proj, dt_proj, then the fused scan adding half its output into y. */
    private static void branch(Kernels k, VimConfig c, BranchWeights br, Workspace ws, int batch, int len, boolean reverse) {
        int rows = batch * len;
        int e = c.dInner(), r = c.dtRank(), n = c.dState(), xdbl = c.xProjOut();
        k.convSilu(ws.xz, 0, 2 * e, br.convW(), br.convB(), ws.xc, 0, e, batch, len, e, c.dConv(), reverse);
        k.linear(ws.xc, 0, e, rows, br.xProj(), ws.xDbl, 0, xdbl);
        k.linear(ws.xDbl, 0, xdbl, rows, br.dtProj(), ws.delta, 0, e);
        k.selectiveScan(ws.xc, 0, e, ws.delta, 0, e, br.aT(), ws.xDbl, r, r + n, xdbl, br.dSkip(), br.dtBias(),
                ws.xz, e, 2 * e, ws.y, 0, e, batch, len, e, n, reverse, 0.5f, reverse);
    }
}

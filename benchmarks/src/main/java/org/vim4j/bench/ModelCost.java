package org.vim4j.bench;

import org.vim4j.VimConfig;

/**
 * Analytic work of a Vim forward (per image), split the way the fp32 limit is computed: GEMM multiply-adds run at
 * FMA peak, scan state updates are bound by one exp each (docs/machine-limits.md §5). DeiT's count is in DeitConfig.
 */
final class ModelCost {
    private ModelCost() {
    }

    /** Multiply-adds in the projections (in/x/dt/out), patch embedding and head, for {@code tokens} tokens. */
    static long vimGemmMacs(VimConfig c, int tokens) {
        long l = tokens, d = c.embedDim(), e = c.dInner(), r = c.dtRank(), n = c.dState();
        long perLayer = l * d * 2 * e + 2 * (l * e * (r + 2 * n) + l * r * e) + l * e * d;
        return c.depth() * perLayer + (l - 1) * d * c.patchInputs() + (long) c.numClasses() * d;
    }

    /** State updates of the selective scans (both directions, all layers): each is one exp and about 3 multiply-adds. */
    static long vimScanUpdates(VimConfig c, int tokens) {
        return 2L * c.depth() * tokens * c.dInner() * c.dState();
    }

    /** All multiply-adds: GEMMs, conv1d, and 3 per scan state update (the docs/vim-spec.md §1 convention). */
    static long vimMacs(VimConfig c, int tokens) {
        long conv = 2L * c.depth() * tokens * c.dInner() * c.dConv();
        return vimGemmMacs(c, tokens) + conv + 3 * vimScanUpdates(c, tokens);
    }
}

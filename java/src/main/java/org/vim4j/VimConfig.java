package org.vim4j;

import java.util.Locale;


/**
 * The shape of a Vision Mamba model (docs/vim-spec.md §1). Presets cover the released checkpoints; any other
 * size is a plain constructor call, and {@code org.vim4j.model.VimConfigInference} recovers a checkpoint's config from
 * its tensor shapes.
 *
 * @param imgSize    the (square) training resolution the position embedding was learned for
 * @param patchSize  patch (conv kernel) size
 * @param stride     patch stride; smaller than patchSize for the overlapping "+" models
 * @param channels   image channels (3)
 * @param embedDim   D, the residual width
 * @param depth      number of Vim blocks
 * @param dState     N, SSM state size per channel
 * @param dConv      K, causal conv1d width
 * @param expand     E = expand * D
 * @param dtRank     R, rank of the delta projection
 * @param numClasses classifier outputs
 * @param normEps    RMSNorm epsilon
 */
public record VimConfig(int imgSize, int patchSize, int stride, int channels, int embedDim, int depth, int dState,
        int dConv, int expand, int dtRank, int numClasses, float normEps) {

    public VimConfig {
        positive("imgSize", imgSize);
        positive("patchSize", patchSize);
        positive("stride", stride);
        positive("channels", channels);
        positive("embedDim", embedDim);
        positive("depth", depth);
        positive("dState", dState);
        positive("dConv", dConv);
        positive("expand", expand);
        positive("dtRank", dtRank);
        positive("numClasses", numClasses);
        if (imgSize < patchSize) {
            throw new VimException("config: imgSize " + imgSize + " is smaller than patchSize " + patchSize);
        }
        if (!(normEps > 0)) {
            throw new VimException("config: normEps must be > 0, got " + normEps);
        }
    }

    /** A config with Mamba's defaults (N=16, K=4, expand 2, R=ceil(D/16), eps 1e-5). */
    public static VimConfig of(int imgSize, int patchSize, int stride, int embedDim, int depth, int numClasses) {
        return new VimConfig(imgSize, patchSize, stride, 3, embedDim, depth, 16, 4, 2, (embedDim + 15) / 16,
                numClasses, 1e-5f);
    }

    public static VimConfig tiny() {
        return of(224, 16, 16, 192, 24, 1000);
    }

    /** Vim-Tiny+ : the stride-8 fine-tuned Tiny (overlapping patches, 27x27 grid). */
    public static VimConfig tinyPlus() {
        return of(224, 16, 8, 192, 24, 1000);
    }

    public static VimConfig small() {
        return of(224, 16, 16, 384, 24, 1000);
    }

    public static VimConfig smallPlus() {
        return of(224, 16, 8, 384, 24, 1000);
    }

    public static VimConfig base() {
        return of(224, 16, 16, 768, 24, 1000);
    }

    /** A preset by name: tiny, tiny+, small, small+, base. */
    public static VimConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny", "vim-tiny", "t" -> tiny();
            case "tiny+", "tinyplus", "tiny-plus", "t+" -> tinyPlus();
            case "small", "vim-small", "s" -> small();
            case "small+", "smallplus", "small-plus", "s+" -> smallPlus();
            case "base", "vim-base", "b" -> base();
            default -> throw new VimException("unknown model preset '" + name + "': expected tiny, tiny+, small, small+ or base");
        };
    }

    /** E = expand * D. */
    public int dInner() {
        return expand * embedDim;
    }

    /** Columns of x_proj's output: [dt (R) | B (N) | C (N)]. */
    public int xProjOut() {
        return dtRank + 2 * dState;
    }

    /** Patches along one side of a {@code size}-pixel input: (size - patch) / stride + 1. */
    public int gridSize(int size) {
        if (size < patchSize) {
            throw new VimException("input side " + size + " is smaller than the patch size " + patchSize);
        }
        return (size - patchSize) / stride + 1;
    }

    /** The patch grid the checkpoint's position embedding was learned on. */
    public int nativeGrid() {
        return gridSize(imgSize);
    }

    /** Tokens (patches + the middle class token) at the native resolution. */
    public int nativeTokens() {
        return nativeGrid() * nativeGrid() + 1;
    }

    public int patchInputs() {
        return channels * patchSize * patchSize;
    }

    /** Exact parameter count of the official module for this config. */
    public long parameterCount() {
        long d = embedDim, e = dInner(), n = dState, r = dtRank, k = dConv;
        long perBranch = e * n + e + e * k + e + (r + 2 * n) * e + e * r + e; // A_log, D, conv w+b, x_proj, dt_proj w+b
        long perLayer = 2 * perBranch + 2 * e * d + d * e + d; // + in_proj, out_proj, norm
        long stem = d + (long) nativeTokens() * d + d * patchInputs() + d; // cls, pos, patch w+b
        long head = (long) numClasses * d + numClasses + d; // head w+b, norm_f
        return stem + depth * perLayer + head;
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new VimException("config: " + what + " must be > 0, got " + v);
        }
    }
}

package org.vim4j.bench.deit;

/**
 * Shape of a DeiT (a ViT with a cls token at index 0, Touvron et al. 2021) at one input resolution.
 * DeiT-Tiny is 192 wide with 3 heads, DeiT-Small 384 wide with 6 heads; both 12 blocks, MLP ratio 4, patch 16.
 * The position embedding is sized for {@code imgSize}: the baseline is timed with random weights at every
 * resolution of the sweep, as the paper's high-resolution DeiT is run with an interpolated embedding.
 */
public record DeitConfig(int imgSize, int patch, int channels, int dim, int depth, int heads, int mlpRatio, int numClasses) {
    /** LayerNorm epsilon of DeiT (timm's ViT uses 1e-6, not PyTorch's default 1e-5). */
    public static final float LN_EPS = 1e-6f;

    public DeitConfig {
        if (imgSize < patch) {
            throw new IllegalArgumentException("DeiT input " + imgSize + " must be at least the patch size " + patch);
        }
        if (dim % heads != 0) {
            throw new IllegalArgumentException("dim " + dim + " is not divisible by " + heads + " heads");
        }
    }

    public static DeitConfig tiny(int imgSize) {
        return new DeitConfig(imgSize, 16, 3, 192, 12, 3, 4, 1000);
    }

    public static DeitConfig small(int imgSize) {
        return new DeitConfig(imgSize, 16, 3, 384, 12, 6, 4, 1000);
    }

    public static DeitConfig preset(String name, int imgSize) {
        return switch (name) {
            case "tiny" -> tiny(imgSize);
            case "small" -> small(imgSize);
            default -> throw new IllegalArgumentException("unknown DeiT size '" + name + "': expected tiny or small");
        };
    }

    public int grid() {
        return (imgSize - patch) / patch + 1; // like Conv2d(stride=patch): a ragged border is ignored
    }

    /** Patches plus the cls token. */
    public int tokens() {
        return grid() * grid() + 1;
    }

    public int headDim() {
        return dim / heads;
    }

    public int hidden() {
        return dim * mlpRatio;
    }

    public int patchInputs() {
        return channels * patch * patch;
    }

    public long parameterCount() {
        long d = dim, h = hidden();
        long block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (h * d + h) + (d * h + d);
        return d * patchInputs() + d + d + (long) tokens() * d + depth * block + 2 * d + (long) numClasses * d + numClasses;
    }

    /** Multiply-adds of one image's forward: projections, MLP, both attention products, patch embedding, head. */
    public long macs() {
        long l = tokens(), d = dim, m = l - 1;
        long perBlock = l * d * 3 * d + l * d * d + 2 * l * d * hidden() + 2 * l * l * d;
        return m * d * patchInputs() + depth * perBlock + (long) numClasses * d;
    }
}

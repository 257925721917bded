package org.vim4j.kernel;

/**
 * How a strided {@code patch x patch} Conv2d tiles a {@code channels x height x width} image: a {@code gh x gw} grid
 * of patches (row-major), each flattened to {@code channels*patch*patch} values, plus the class token spliced in at
 * the middle index {@code M/2} of the token sequence.
 */
public record PatchGrid(int channels, int height, int width, int patch, int stride) {
    public PatchGrid {
        if (channels < 1 || patch < 1 || stride < 1 || height < patch || width < patch) {
            throw new IllegalArgumentException("PatchGrid: " + channels + "x" + height + "x" + width + " image, patch "
                    + patch + ", stride " + stride);
        }
    }

    public int gh() {
        return (height - patch) / stride + 1;
    }

    public int gw() {
        return (width - patch) / stride + 1;
    }

    /** M: patches per image. */
    public int patches() {
        return gh() * gw();
    }

    /** L = M + 1: tokens per image, the class token included. */
    public int tokens() {
        return patches() + 1;
    }

    /** Index of the class token in the sequence: M/2. */
    public int cls() {
        return patches() / 2;
    }

    /** Values per flattened patch: C*p*p. */
    public int patchInputs() {
        return channels * patch * patch;
    }

    /** Floats of one input image. */
    public long imageFloats() {
        return (long) channels * height * width;
    }
}

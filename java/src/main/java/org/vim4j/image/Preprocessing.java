package org.vim4j.image;

import org.vim4j.VimException;

/**
 * How an image becomes a model input: optional resize of the shorter side, optional centre crop, then
 * {@code (pixel/255 - mean) / std} per channel, CHW order.
 *
 * @param resizeShorter resize so the shorter side is this many pixels (bicubic, antialiased); 0 = no resize
 * @param cropSize      centre crop to {@code cropSize x cropSize}; 0 = resize straight to {@code size}
 * @param size          final side length when {@code cropSize} is 0 (images are resized to size x size)
 * @param channels      3 (RGB) or 1 (luma, ITU-R 601-2 as PIL's convert('L'))
 * @param mean          per-channel mean (of values in [0, 1])
 * @param std           per-channel standard deviation
 */
public record Preprocessing(int resizeShorter, int cropSize, int size, int channels, float[] mean, float[] std) {

    public Preprocessing {
        if (channels != 1 && channels != 3) {
            throw new VimException("preprocessing: channels must be 1 or 3, got " + channels);
        }
        if (resizeShorter < 0 || cropSize < 0 || (cropSize > 0 ? cropSize : size) < 1) {
            throw new VimException("preprocessing: sizes must be positive (resize " + resizeShorter + ", crop " + cropSize
                    + ", size " + size + ")");
        }
        if (mean.length != channels || std.length != channels) {
            throw new VimException("preprocessing: need " + channels + " mean/std values");
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The official ImageNet evaluation transform (docs/vim-spec.md §6): shorter side 256 bicubic, crop 224. */
    public static Preprocessing imagenet(int crop) {
        return new Preprocessing((int) (crop / 0.875), crop, crop, 3, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f});
    }

    /** A grayscale model's transform: resize to size x size (if needed), one channel, mean/std normalisation. */
    public static Preprocessing grayscale(int size, float mean, float std) {
        return new Preprocessing(0, 0, size, 1, new float[] {mean}, new float[] {std});
    }

    /** Side length of the produced input. */
    public int outputSize() {
        return cropSize > 0 ? cropSize : size;
    }
}

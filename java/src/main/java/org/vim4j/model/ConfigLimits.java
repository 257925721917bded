package org.vim4j.model;

import org.vim4j.VimException;

/**
 * The largest model dimensions vim4j accepts from a checkpoint: far above every released Vim (Base: D=768, depth 24,
 * N=16, 1000 classes, patch 16, 14x14 grid) yet small enough that nothing derived from an attacker's shapes can plan
 * gigabytes before a single weight is read. A checkpoint beyond one is refused with the limit named.
 */
public final class ConfigLimits {
    public static final int MAX_EMBED_DIM = 8192;
    public static final int MAX_DEPTH = 512;
    public static final int MAX_STATES = 256;
    public static final int MAX_CONV = 64;
    public static final int MAX_EXPAND = 16;
    public static final int MAX_CHANNELS = 64;
    public static final int MAX_PATCH = 1024;
    public static final int MAX_GRID = 4096;
    public static final int MAX_CLASSES = 1 << 20;
    public static final int MAX_IMAGE = 1 << 16;

    private ConfigLimits() {
    }

    /** {@code value} if {@code 1 <= value <= max}, else a VimException naming the quantity, where it came from and the limit. */
    static int check(String src, String what, long value, int max) {
        if (value < 1 || value > max) {
            throw new VimException(src + ": " + what + " = " + value + " is outside the supported range 1.." + max);
        }
        return (int) value;
    }
}

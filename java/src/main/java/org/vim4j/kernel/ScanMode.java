package org.vim4j.kernel;

/**
 * Direction and output rule of one scan: t runs {@code 0..len-1}, or {@code len-1..0} with {@code reverse} (read by
 * index: nothing is copied flipped); {@code out = (accumulate ? out : 0) + outScale * y * silu(z)}.
 */
public record ScanMode(boolean reverse, float outScale, boolean accumulate) {
    /** The forward branch of a bimamba-v2 mixer: writes half its output. */
    public static final ScanMode FORWARD_HALF = new ScanMode(false, 0.5f, false);
    /** The backward branch: reads in reverse and adds half its output, completing {@code (y_f + y_b) / 2}. */
    public static final ScanMode BACKWARD_HALF = new ScanMode(true, 0.5f, true);
}

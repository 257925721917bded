package org.vim4j.model;

import java.lang.foreign.MemorySegment;

/**
 * Sees intermediate activations as the forward pass produces them, so a parity failure can be pinned to
 * its stage (tests compare each against the reference's intermediates). Null in production.
 */
public interface StageObserver {
    /** Stage names, in order of appearance. */
    enum Stage {
        /** After cls insertion and position embedding: (B*L, D). */
        EMBED,
        /** Forward branch conv1d + SiLU: (B*L, E), row stride E. */
        CONV_FORWARD,
        /** Backward branch conv1d + SiLU, original token order: (B*L, E). */
        CONV_BACKWARD,
        /** y after the forward branch's scan: half the forward scan output, (B*L, E). */
        Y_AFTER_FORWARD,
        /** y after both scans: (y_f + y_b) / 2, (B*L, E). */
        Y_AFTER_BACKWARD,
        /** Mixer output after out_proj: (B*L, D). */
        MIXER,
        /** The residual stream after the block, x_{l+1} = x_l + mixer_l(norm_l(x_l)): (B*L, D). */
        BLOCK_OUTPUT,
        /** Final-normed tokens: (B*L, D). */
        FINAL
    }

    /** {@code rows} rows of {@code cols} floats, row stride {@code cols}, at float offset 0 of {@code data}. */
    void observe(Stage stage, int layer, MemorySegment data, int rows, int cols);
}

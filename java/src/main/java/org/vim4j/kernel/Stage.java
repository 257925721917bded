package org.vim4j.kernel;

/** Intermediate activations of a forward pass, in order of appearance (tests pin a parity failure to its stage). */
public enum Stage {
    /** After cls insertion and position embedding: (B*L, D). */
    EMBED,
    /** Forward branch conv1d + SiLU: (B*L, E). */
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

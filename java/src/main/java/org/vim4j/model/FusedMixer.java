package org.vim4j.model;

/**
 * A backend that can run a whole bimamba-v2 mixer layer at once (one native downcall or a few device
 * launches) instead of the primitive-by-primitive composition in {@link VimForward}. The forward loop asks;
 * a backend declines (returns false, writing nothing) when it cannot fuse these weights or buffers.
 */
public interface FusedMixer {
    /** hidden = Mixer(normed) for {@code batch * len} rows of the workspace; false if not fused (nothing written). */
    boolean mixerForward(VimConfig c, BlockWeights bw, Workspace ws, int batch, int len);
}

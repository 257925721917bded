package org.vim4j.kernel;

/** The widths of a bimamba-v2 mixer: D (model), E (inner), N (states), R (dt rank); x_proj writes R + 2N columns. */
public record MixerDims(int dModel, int dInner, int dState, int dtRank) {
    public int xProjOut() {
        return dtRank + 2 * dState;
    }
}

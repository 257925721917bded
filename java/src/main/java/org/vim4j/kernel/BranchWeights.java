package org.vim4j.kernel;

/**
 * One SSM branch of a bimamba-v2 mixer (the forward or the reversed direction), placed for a backend.
 *
 * @param conv   conv1d + bias (E, K)
 * @param xProj  x_proj: E -> R + 2N, no bias
 * @param dtProj dt_proj's weight only: R -> E (its bias is the scan's delta bias)
 * @param scan   A^T, D and the dt bias
 */
public record BranchWeights(ConvWeights conv, LinearWeight xProj, LinearWeight dtProj, ScanWeights scan) {
    /** R: the rank of dt_proj, i.e. where B starts in x_proj's output. */
    public int dtRank() {
        return dtProj.inFeatures();
    }
}

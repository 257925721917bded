package org.vim4j.model;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.LinearWeight;

/**
 * One SSM branch of a bimamba-v2 mixer (the forward or the reversed direction), placed for a backend.
 *
 * @param convW   conv1d weight viewed as (E, K)
 * @param convB   conv1d bias (E)
 * @param xProj   x_proj: E -> R + 2N, no bias
 * @param dtProj  dt_proj weight only: R -> E (its bias is the scan's delta bias)
 * @param dtBias  dt_proj bias (E), added inside the scan before softplus
 * @param aT      -exp(A_log) transposed to (N, E), fp32
 * @param dSkip   D (E)
 */
public record BranchWeights(MemorySegment convW, MemorySegment convB, LinearWeight xProj, LinearWeight dtProj,
        MemorySegment dtBias, MemorySegment aT, MemorySegment dSkip) {
}

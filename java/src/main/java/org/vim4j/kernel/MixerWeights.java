package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * One bimamba-v2 mixer layer placed for a backend. Its dimensions follow from the weights: D = in_proj's inputs,
 * E = out_proj's inputs, N = the scan's states, R = dt_proj's rank, K = the conv's taps.
 *
 * @param fused the backend's prepared argument block for its fused mixer ({@link Kernels#prepareMixer}), or
 *              {@link MemorySegment#NULL} where the backend composes the primitives
 */
public record MixerWeights(LinearWeight inProj, BranchWeights forward, BranchWeights backward, LinearWeight outProj,
        MemorySegment fused) {

    public MixerWeights(LinearWeight inProj, BranchWeights forward, BranchWeights backward, LinearWeight outProj) {
        this(inProj, forward, backward, outProj, MemorySegment.NULL);
    }

    public MixerWeights withFused(MemorySegment args) {
        return new MixerWeights(inProj, forward, backward, outProj, args);
    }

    public int dModel() {
        return inProj.inFeatures();
    }

    public int dInner() {
        return outProj.inFeatures();
    }

    public int dState() {
        return forward.scan().states();
    }

    /** Columns of x_proj's output: R + 2N. */
    public int xProjOut() {
        return forward.xProj().outFeatures();
    }
}

package org.vim4j.model;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.LinearWeight;

/** One Vim block: its RMSNorm weight and bimamba-v2 mixer, placed for a backend. */
public record BlockWeights(MemorySegment norm, LinearWeight inProj, BranchWeights forward, BranchWeights backward,
        LinearWeight outProj) {
}

package org.vim4j.model;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.MixerWeights;

/** One Vim block placed for a backend: its RMSNorm weight and bimamba-v2 mixer. */
public record BlockWeights(MemorySegment norm, MixerWeights mixer) {
}

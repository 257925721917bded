package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A depthwise conv1d over the sequence: {@code weight} viewed as {@code (channels, kernel)} and {@code bias (channels)},
 * in the backend's weight memory.
 */
public record ConvWeights(MemorySegment weight, MemorySegment bias, int channels, int kernel) {
}

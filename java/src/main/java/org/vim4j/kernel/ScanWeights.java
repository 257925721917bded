package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The per-channel parameters of one selective scan, in the backend's weight memory.
 *
 * @param aT        {@code -exp(A_log)} transposed to {@code (states, channels)}: a vector of channels loads contiguously
 * @param dSkip     D, the skip connection {@code (channels)}
 * @param deltaBias dt_proj's bias {@code (channels)}, added inside the scan before softplus
 */
public record ScanWeights(MemorySegment aT, MemorySegment dSkip, MemorySegment deltaBias, int channels, int states) {
}

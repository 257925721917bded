package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The patch embedding placed for a backend: the Conv2d as a linear layer {@code (D, C*p*p)} with bias, and the class
 * token {@code (D)} spliced in at the middle of the sequence.
 */
public record PatchEmbedding(LinearWeight proj, MemorySegment clsToken) {
}

package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * One direction's buffers and the fixed views a mixer reads them through, made once per workspace so the forward
 * loop creates no objects.
 *
 * @param xc   (rows, E) conv1d + SiLU output, in the original token order
 * @param xDbl (rows, R + 2N) x_proj output: dt_low | B | C
 * @param x    the x half of in_proj's output, the conv's input
 * @param conv {@code xc} as rows of E
 * @param scan the scan's inputs: u = xc, delta, B and C inside xDbl, z = the gate half of in_proj's output
 */
public record BranchBuffers(MemorySegment xc, MemorySegment xDbl, Rows x, Rows conv, ScanInputs scan) {
}

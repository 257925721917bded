package org.vim4j.model;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.Stage;

/**
 * Sees intermediate activations as the forward pass produces them, so a parity failure can be pinned to its stage
 * (tests compare each against the reference's intermediates). Null in production.
 */
public interface StageObserver {
    /**
     * {@code rows} rows of {@code cols} floats, row stride {@code cols}, at float offset 0 of {@code data} (host memory:
     * the session copies device activations out first). {@code layer} is -1 for stages outside the blocks.
     */
    void observe(Stage stage, int layer, MemorySegment data, int rows, int cols);
}

package org.vim4j.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Sees a mixer layer's intermediates as the composed primitives produce them ({@code rows} rows of {@code cols}
 * floats from offset 0 of {@code data}, in the backend's activation memory). Only tests and debugging pass one; a
 * backend with a fused mixer composes the primitives whenever a probe is given.
 */
@FunctionalInterface
public interface MixerProbe {
    void observe(Stage stage, MemorySegment data, int rows, int cols);
}

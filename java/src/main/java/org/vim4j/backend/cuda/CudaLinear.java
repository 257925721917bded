package org.vim4j.kernel.cuda;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.LinearWeight;

/** A linear layer's weight {@code (N, K)} (PyTorch layout, unpacked) and bias in device memory, or NULL bias. */
record CudaLinear(MemorySegment weight, MemorySegment bias, int outFeatures, int inFeatures) implements LinearWeight {
    @Override
    public boolean hasBias() {
        return !bias.equals(MemorySegment.NULL);
    }
}

package org.vim4j.backend.cuda;

import java.lang.foreign.MemorySegment;

import org.vim4j.kernel.LinearWeight;

/**
 * A linear layer placed on the device: W {@code (N, K)} in PyTorch's row-major layout and the bias (or
 * {@link MemorySegment#NULL}) in device memory, and {@code struct}, the {@code vim4j_cuda_linear_weight} describing
 * them with their precision, built once in the model's arena and passed to every GEMM of this layer.
 */
record CudaLinear(MemorySegment weight, MemorySegment bias, int outFeatures, int inFeatures, int precision,
        MemorySegment struct) implements LinearWeight {
    @Override
    public boolean hasBias() {
        return bias.address() != 0;
    }
}

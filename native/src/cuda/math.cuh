// Elementwise functions shared by the kernels, with the CPU kernels' conventions (native/src/cpu/kernels_impl.h):
// NaN propagates, SiLU's exponent is clamped so 1 + e^-x stays finite, softplus uses Mamba's threshold of 20.
#pragma once

namespace vim4j_cuda {

constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ float silu(float x) {
    // fminf ignores a NaN operand, but then x itself is NaN and so is the product.
    return x * (1.0f / (1.0f + expf(fminf(-x, 88.0f))));
}

__device__ __forceinline__ float softplus(float v) { return v > 20.0f ? v : log1pf(expf(v)); }

}  // namespace vim4j_cuda

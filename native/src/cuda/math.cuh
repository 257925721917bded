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

// 2^x for the scan's decay factors: ex2.approx.ftz, one MUFU instruction. exp2f is ex2.approx too (same 2-ulp
// approximation) plus the instructions that keep subnormal results; here those would be decay factors below 2^-126
// (1.2e-38), which multiply a state of order 1, so flushing them to 0 changes nothing measurable.
__device__ __forceinline__ float exp2_ftz(float x) {
#ifdef VIM4J_SIMT
    const float r = exp2f(x);
    return std::fabs(r) < 1.17549435e-38f ? 0.0f : r;
#else
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
#endif
}

}  // namespace vim4j_cuda

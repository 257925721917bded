// Shared by gemm.cu (FP32 SIMT) and gemm_mma.cu (TF32/BF16 tensor cores): the launch record, tile-shape choice and
// the conv1d + SiLU producer of x_proj's A operand.
#pragma once

#include <cstdint>

#include "launch.h"
#include "math.cuh"

namespace vim4j_cuda {

// A computed on the fly instead of read: A[row, e] = silu(bias[e] + sum_tap w[e, tap] * x[row -/+ back, e]) with
// x = GemmOperand::a (the conv never crosses a sequence of `len` rows); blocks of column tile 0 also store the value
// to xc and a 0 to zero (when non-null).
struct ConvA {
    const float* w;
    const float* bias;
    int32_t kernel, len, reverse;
    float* xc;
    int64_t ldxc;
    float* zero;
    int64_t ldzero;
};

struct GemmOperand {
    const float* a;
    int64_t lda;
    const void* w;  // (n, k): fp32, or bf16 bits for the BF16 kernels
    const float* bias;
    float* c;
    int64_t ldc;
    ConvA conv;
};

// One launch: up to two GEMMs of the same shape (gridDim.z selects), e.g. both directions' x_proj.
struct GemmLaunch {
    GemmOperand op[2];
    int32_t m, n, k;
};

enum class GemmShape {
    kLarge,       // 128 x 128 tiles: many rows (large batches)
    kMedium,      // 64 x 64
    kSmall,       // 32 x 64: few rows (batch 1), more blocks
    kSkinny,      // 32 x 48: N <= 96 (x_proj)
    kSkinnyConv,  // 32 x 48 with the conv1d + SiLU A operand
};

GemmShape pick_shape(int64_t m, int32_t n, bool conv);
void launch_gemm_fp32(const GemmLaunch& p, int directions, GemmShape shape, cudaStream_t stream);
void launch_gemm_mma(const GemmLaunch& p, int directions, GemmShape shape, bool bf16, cudaStream_t stream);

// The conv A values of the N tile rows a thread produces at every k-tile: their token positions are computed once.
template <int N>
struct ConvRows {
    int32_t tpos[N];  // token index within its sequence
    int64_t base[N];  // row of that sequence's token 0

    template <class RowOf>
    __device__ __forceinline__ void init(const ConvA& cv, int32_t m, int64_t row0, RowOf row_of) {
#pragma unroll
        for (int i = 0; i < N; ++i) {
            const int64_t r = row0 + row_of(i);
            tpos[i] = r < m ? static_cast<int32_t>(r % cv.len) : 0;
            base[i] = r < m ? r - tpos[i] : 0;
        }
    }

    // The conv kernel's arithmetic exactly (bias first, taps in ascending order with fma): bit-identical.
    __device__ __forceinline__ float value(const GemmOperand& o, int i, int32_t ch) const {
        const ConvA& cv = o.conv;
        float acc = cv.bias[ch];
        const float* we = cv.w + static_cast<int64_t>(ch) * cv.kernel;
        for (int32_t tap = 0; tap < cv.kernel; ++tap) {
            const int32_t back = cv.kernel - 1 - tap;
            const int32_t src = cv.reverse ? tpos[i] + back : tpos[i] - back;
            if (src < 0 || src >= cv.len) continue;
            acc = fmaf(we[tap], o.a[(base[i] + src) * o.lda + ch], acc);
        }
        return silu(acc);
    }

    __device__ __forceinline__ static void store(const GemmOperand& o, int64_t row, int32_t ch, float v) {
        if (o.conv.xc != nullptr) o.conv.xc[row * o.conv.ldxc + ch] = v;
        if (o.conv.zero != nullptr) o.conv.zero[row * o.conv.ldzero + ch] = 0.0f;
    }
};

}  // namespace vim4j_cuda

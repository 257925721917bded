// Shared by gemm.cu (FP32 SIMT) and gemm_mma.cu (TF32/BF16 tensor cores): the launch record, tile-shape choice and
// the conv1d + SiLU producer of x_proj's A operand.
#pragma once

#include <climits>
#include <cstdint>

#include "launch.h"
#include "math.cuh"

namespace vim4j_cuda {

// A computed before it is read: A = xc[row, e] = silu(bias[e] + sum_tap w[e, tap] * x[row -/+ back, e]) with
// x = GemmOperand::a (the conv never crosses a sequence of `len` rows), written by the block that multiplies those
// rows (conv_rows_phase), which also sets zero[row, e] = 0 when zero is non-null. xc must be non-null.
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

// Phase 1 of the conv GEMMs: the block's rows [row0, row0 + rows) of xc = silu(conv(x)) over all channels (and zero
// = 0), computed by all `threads` threads with consecutive threads on consecutive channels (coalesced, and every
// load of a thread independent of the others: one memory latency for the whole phase, not one per k-tile). The
// arithmetic is the conv kernel's exactly (bias first, taps in ascending order with fma): bit-identical. The block
// then reads its own rows of xc back as a plain A operand (after a barrier, which makes the global writes visible
// to the block); no other block reads them, so the launch needs no grid-wide order.
template <int MAXROWS>
__device__ __forceinline__ void conv_rows_phase(const GemmOperand& o, int32_t m, int32_t channels, int64_t row0,
                                                int threads) {
    __shared__ int32_t tpos[MAXROWS];  // token index within its sequence
    const ConvA& cv = o.conv;
    const int tid = threadIdx.x;
    const int rows = static_cast<int>(m - row0 < MAXROWS ? m - row0 : MAXROWS);
    // rows < 2^31 (the ABI checks batch * len), so 32-bit divisions (64-bit ones are calls that spill)
    for (int r = tid; r < rows; r += threads) tpos[r] = static_cast<int32_t>(row0 + r) % cv.len;
    __syncthreads();
    const auto one = [&](int r, int32_t ch) {
        const int32_t t = tpos[r];
        const int64_t base = row0 + r - t;
        float acc = cv.bias[ch];
        const float* we = cv.w + static_cast<int64_t>(ch) * cv.kernel;
#pragma unroll 4
        for (int32_t tap = 0; tap < cv.kernel; ++tap) {
            const int32_t back = cv.kernel - 1 - tap;
            const int32_t src = cv.reverse ? t + back : t - back;
            if (src < 0 || src >= cv.len) continue;
            acc = fmaf(we[tap], o.a[(base + src) * o.lda + ch], acc);
        }
        cv.xc[(row0 + r) * cv.ldxc + ch] = silu(acc);
        if (cv.zero != nullptr) cv.zero[(row0 + r) * cv.ldzero + ch] = 0.0f;
    };
    if (static_cast<int64_t>(rows) * channels <= INT32_MAX) {
        const int32_t total = rows * channels;
#pragma unroll 1
        for (int32_t idx = tid; idx < total; idx += threads) one(idx / channels, idx % channels);
    } else {
        const int64_t total = static_cast<int64_t>(rows) * channels;
#pragma unroll 1
        for (int64_t idx = tid; idx < total; idx += threads)
            one(static_cast<int>(idx / channels), static_cast<int32_t>(idx % channels));
    }
    __syncthreads();
}

}  // namespace vim4j_cuda

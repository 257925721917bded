// Tensor-core GEMMs (TF32 and BF16 inputs, fp32 accumulation) for gemm.cu: c = bias + a * w^T.
//  - mma.sync m16n8k8 (TF32) / m16n8k16 (BF16) from registers loaded out of shared memory; each warp owns a
//    (BM / WM) x (BN / WN) piece of the block tile, MT x NT mma tiles of 16 x 8 accumulators;
//  - k-tiles of 16 (TF32) / 32 (BF16) elements staged by cp.async 16-byte copies in a pipeline of up to 4 stages
//    within 48 KiB of static shared memory: tile kt + STAGES - 1 is in flight while tile kt is multiplied, with one
//    barrier per k-tile. Rows beyond m / n and k beyond k are zero-filled by the copy itself (src-size);
//  - shared rows of 16 words (64 B) or 32 floats (128 B), the 16-byte chunks XOR-swizzled by the row so that the
//    fragment reads of a warp hit 32 different banks (no padding, so 3-4 stages fit);
//  - A is fp32 in shared memory in both modes (cp.async cannot convert): TF32 rounds it with cvt.rna.tf32 and BF16
//    with cvt.rn.bf16x2 as fragments are read; W is fp32 (TF32) or bf16 (BF16, converted once at load time);
//  - unaligned operands (a leading dimension or k not a multiple of 16 bytes) take a synchronous element copy into
//    the same stage instead (test shapes; Vim's dimensions are all multiples of 8);
//  - CONV: the block first computes its rows of xc = conv1d + SiLU of x over all channels (conv_rows_phase in
//    gemm_common.cuh), then streams them back as A for every column tile.
#include "gemm_common.cuh"
#include "mma.cuh"

namespace vim4j_cuda {
namespace {

template <bool BF16, int BM, int BN, int WM, int WN, bool CONV>
struct MmaTile {
    static constexpr int kThreads = WM * WN * 32;
    static constexpr int BK = BF16 ? 32 : 16;  // k per stage: two mma k-steps
    static constexpr int kAChunks = BK / 4;    // 16-byte chunks per A row (fp32)
    static constexpr int kBChunks = 4;         // 16-byte chunks per W row: 16 fp32 or 32 bf16
    static constexpr int kStageBytes = BM * BK * 4 + BN * 64;
    static constexpr int kStages = 48 * 1024 / kStageBytes > 4 ? 4 : 48 * 1024 / kStageBytes;
    static constexpr int WTM = BM / WM, WTN = BN / WN, MT = WTM / 16, NT = WTN / 8;
    static_assert(kStages >= 2, "two stages at least");
    static_assert(MT * 16 == WTM && NT * 8 == WTN, "warp tiles of whole mma tiles");

    // Offsets (in 4-byte words) of chunk kc of row r, and of element / word x of row r.
    __device__ static int a_chunk(int r, int kc) {
        return BF16 ? r * 32 + ((kc ^ ((r & 3) << 1)) << 2) : r * 16 + ((kc ^ ((r >> 1) & 3)) << 2);
    }
    __device__ static int a_at(int r, int k) { return a_chunk(r, k >> 2) + (k & 3); }
    __device__ static int b_chunk(int r, int kc) { return r * 16 + ((kc ^ ((r >> 1) & 3)) << 2); }
    __device__ static int b_at(int r, int x) { return b_chunk(r, x >> 2) + (x & 3); }
};

template <bool BF16, int BM, int BN, int WM, int WN, bool CONV>
__global__ __launch_bounds__(WM * WN * 32) void mma_gemm_kernel(const GemmLaunch p) {
    using T = MmaTile<BF16, BM, BN, WM, WN, CONV>;
    constexpr int kThreads = T::kThreads, BK = T::BK, kStages = T::kStages, MT = T::MT, NT = T::NT;
    __shared__ __align__(16) float As[kStages][BM * BK];
    __shared__ __align__(16) uint32_t Bs[kStages][BN * 16];

    const GemmOperand& o = p.op[blockIdx.z];
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    const int wm = warp / WN, wn = warp % WN;
    const int64_t row0 = static_cast<int64_t>(blockIdx.x) * BM;
    const float* a = o.a;
    int64_t lda = o.lda;
    if constexpr (CONV) {  // this block's rows of xc first; then they are the A operand of every column tile
        conv_rows_phase<BM>(o, p.m, p.k, row0, kThreads);
        a = o.conv.xc;
        lda = o.conv.ldxc;
    }
    const bool a_vec = (reinterpret_cast<uintptr_t>(a) & 15) == 0 && lda % 4 == 0;
    const bool b_vec = (reinterpret_cast<uintptr_t>(o.w) & 15) == 0 && p.k % (BF16 ? 8 : 4) == 0;
    const int32_t ktiles = (p.k + BK - 1) / BK;

    // CONV: one block owns its rows across all column tiles (gridDim.y = 1).
    for (int32_t col0 = CONV ? 0 : static_cast<int32_t>(blockIdx.y) * BN; col0 < p.n; col0 += BN) {
        const auto load_stage = [&](int stage, int32_t k0) {
            for (int q = tid; q < BM * T::kAChunks; q += kThreads) {
                const int r = q / T::kAChunks, kc = q % T::kAChunks;
                const int64_t gr = row0 + r;
                const int32_t gk = k0 + kc * 4;
                float* dst = &As[stage][T::a_chunk(r, kc)];
                if (a_vec) {
                    const int bytes = gr < p.m ? max(0, min(16, (p.k - gk) * 4)) : 0;
                    cp_async<16>(dst, bytes > 0 ? a + gr * lda + gk : a, bytes);
                } else {
#pragma unroll
                    for (int j = 0; j < 4; ++j) dst[j] = (gr < p.m && gk + j < p.k) ? a[gr * lda + gk + j] : 0.0f;
                }
            }
            for (int q = tid; q < BN * T::kBChunks; q += kThreads) {
                const int r = q / T::kBChunks, kc = q % T::kBChunks;
                const int32_t gc = col0 + r;
                uint32_t* dst = &Bs[stage][T::b_chunk(r, kc)];
                if constexpr (BF16) {
                    const uint16_t* w = static_cast<const uint16_t*>(o.w);
                    const int32_t gk = k0 + kc * 8;
                    if (b_vec) {
                        const int bytes = gc < p.n ? max(0, min(16, (p.k - gk) * 2)) : 0;
                        cp_async<16>(dst, bytes > 0 ? w + static_cast<int64_t>(gc) * p.k + gk : w, bytes);
                    } else {
                        uint16_t* d16 = reinterpret_cast<uint16_t*>(dst);
#pragma unroll
                        for (int j = 0; j < 8; ++j)
                            d16[j] = (gc < p.n && gk + j < p.k) ? w[static_cast<int64_t>(gc) * p.k + gk + j] : uint16_t{0};
                    }
                } else {
                    const float* w = static_cast<const float*>(o.w);
                    const int32_t gk = k0 + kc * 4;
                    if (b_vec) {
                        const int bytes = gc < p.n ? max(0, min(16, (p.k - gk) * 4)) : 0;
                        cp_async<16>(dst, bytes > 0 ? w + static_cast<int64_t>(gc) * p.k + gk : w, bytes);
                    } else {
                        float* df = reinterpret_cast<float*>(dst);
#pragma unroll
                        for (int j = 0; j < 4; ++j)
                            df[j] = (gc < p.n && gk + j < p.k) ? w[static_cast<int64_t>(gc) * p.k + gk + j] : 0.0f;
                    }
                }
            }
        };

        float acc[MT][NT][4];
#pragma unroll
        for (int i = 0; i < MT; ++i)
#pragma unroll
            for (int j = 0; j < NT; ++j)
#pragma unroll
                for (int x = 0; x < 4; ++x) acc[i][j][x] = 0.0f;

#pragma unroll
        for (int s = 0; s < kStages - 1; ++s) {
            if (s < ktiles) load_stage(s, s * BK);
            cp_async_commit();  // (empty groups keep the count uniform)
        }
        for (int32_t kt = 0; kt < ktiles; ++kt) {
            cp_async_wait<kStages - 2>();  // this thread's copies of tile kt have landed
            __syncthreads();               // everyone's have; and everyone is done with tile kt - 1's stage
            {
                const int32_t next = kt + kStages - 1;
                if (next < ktiles) load_stage(next % kStages, next * BK);
                cp_async_commit();
            }
            const float* as = As[kt % kStages];
            const uint32_t* bs = Bs[kt % kStages];
            if constexpr (BF16) {
#pragma unroll
                for (int kk = 0; kk < BK; kk += 16) {
                    uint32_t af[MT][4], bf[NT][2];
#pragma unroll
                    for (int i = 0; i < MT; ++i) {
                        const int r = wm * T::WTM + i * 16 + g;
                        const float2 x0 = *reinterpret_cast<const float2*>(as + T::a_at(r, kk + 2 * t));
                        const float2 x1 = *reinterpret_cast<const float2*>(as + T::a_at(r + 8, kk + 2 * t));
                        const float2 x2 = *reinterpret_cast<const float2*>(as + T::a_at(r, kk + 2 * t + 8));
                        const float2 x3 = *reinterpret_cast<const float2*>(as + T::a_at(r + 8, kk + 2 * t + 8));
                        af[i][0] = pack_bf16x2(x0.x, x0.y);
                        af[i][1] = pack_bf16x2(x1.x, x1.y);
                        af[i][2] = pack_bf16x2(x2.x, x2.y);
                        af[i][3] = pack_bf16x2(x3.x, x3.y);
                    }
#pragma unroll
                    for (int j = 0; j < NT; ++j) {
                        const int c = wn * T::WTN + j * 8 + g;
                        bf[j][0] = bs[T::b_at(c, kk / 2 + t)];
                        bf[j][1] = bs[T::b_at(c, kk / 2 + 4 + t)];
                    }
#pragma unroll
                    for (int i = 0; i < MT; ++i)
#pragma unroll
                        for (int j = 0; j < NT; ++j) mma_bf16_16x8x16(acc[i][j], af[i], bf[j]);
                }
            } else {
                const float* bsf = reinterpret_cast<const float*>(bs);
#pragma unroll
                for (int kk = 0; kk < BK; kk += 8) {
                    uint32_t af[MT][4], bf[NT][2];
#pragma unroll
                    for (int i = 0; i < MT; ++i) {
                        const int r = wm * T::WTM + i * 16 + g;
                        af[i][0] = to_tf32(as[T::a_at(r, kk + t)]);
                        af[i][1] = to_tf32(as[T::a_at(r + 8, kk + t)]);
                        af[i][2] = to_tf32(as[T::a_at(r, kk + t + 4)]);
                        af[i][3] = to_tf32(as[T::a_at(r + 8, kk + t + 4)]);
                    }
#pragma unroll
                    for (int j = 0; j < NT; ++j) {
                        const int c = wn * T::WTN + j * 8 + g;
                        bf[j][0] = to_tf32(bsf[T::b_at(c, kk + t)]);
                        bf[j][1] = to_tf32(bsf[T::b_at(c, kk + t + 4)]);
                    }
#pragma unroll
                    for (int i = 0; i < MT; ++i)
#pragma unroll
                        for (int j = 0; j < NT; ++j) mma_tf32_16x8x8(acc[i][j], af[i], bf[j]);
                }
            }
        }
        cp_async_wait<0>();  // only empty groups remain; a thread must not exit with copies outstanding

#pragma unroll
        for (int i = 0; i < MT; ++i) {
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int64_t gr = row0 + wm * T::WTM + i * 16 + g + half * 8;
                if (gr >= p.m) continue;
#pragma unroll
                for (int j = 0; j < NT; ++j) {
#pragma unroll
                    for (int x = 0; x < 2; ++x) {
                        const int32_t gc = col0 + wn * T::WTN + j * 8 + 2 * t + x;
                        if (gc < p.n)
                            o.c[gr * o.ldc + gc] = (o.bias != nullptr ? o.bias[gc] : 0.0f) + acc[i][j][half * 2 + x];
                    }
                }
            }
        }
        if (!CONV) break;
        __syncthreads();  // the next column tile refills the stages the last k-tiles read
    }
}

template <bool BF16, int BM, int BN, int WM, int WN, bool CONV>
void launch_mma(const GemmLaunch& p, int directions, cudaStream_t stream) {
    const dim3 grid(static_cast<unsigned>((int64_t{p.m} + BM - 1) / BM),
                    CONV ? 1u : static_cast<unsigned>((p.n + BN - 1) / BN), static_cast<unsigned>(directions));
    mma_gemm_kernel<BF16, BM, BN, WM, WN, CONV><<<grid, WM * WN * 32, 0, stream>>>(p);
}

template <bool BF16>
void launch_mma_shape(const GemmLaunch& p, int directions, GemmShape shape, cudaStream_t stream) {
    switch (shape) {
        case GemmShape::kLarge: launch_mma<BF16, 128, 128, 2, 4, false>(p, directions, stream); return;
        case GemmShape::kMedium: launch_mma<BF16, 64, 64, 2, 2, false>(p, directions, stream); return;
        case GemmShape::kSmall: launch_mma<BF16, 32, 64, 1, 2, false>(p, directions, stream); return;
        case GemmShape::kSkinny: launch_mma<BF16, 32, 48, 2, 2, false>(p, directions, stream); return;
        case GemmShape::kSkinnyConv: launch_mma<BF16, 32, 48, 2, 2, true>(p, directions, stream); return;
    }
}

}  // namespace

void launch_gemm_mma(const GemmLaunch& p, int directions, GemmShape shape, bool bf16, cudaStream_t stream) {
    if (bf16) {
        launch_mma_shape<true>(p, directions, shape, stream);
    } else {
        launch_mma_shape<false>(p, directions, shape, stream);
    }
}

}  // namespace vim4j_cuda

// GEMMs of the projections: c = bias + a * w^T with w (n, k) row-major (PyTorch's F.linear), the activations
// token-major. Our own kernels (the build machines have no cuBLAS; see native/README.md for the cuBLASLt question):
//  - FP32 (the exact golden-test mode): a shared-memory tiled SIMT GEMM with fp32 FMA. Both operands are read
//    along k and stored k-major in shared memory (the transpose happens in the register-staged copy), double
//    buffered: the next k-tile is loaded into registers while the current one is multiplied, one barrier per tile.
//    Register tiles up to 8 x 8 per thread (128 x 128 blocks for large M), smaller blocks for batch 1 so that the
//    GPU gets enough of them (Vim-Tiny in_proj at batch 1 is 197 x 768: 84 blocks of 32 x 64).
//  - TF32 and BF16 (tensor cores, gemm_mma.cuh): mma.sync m16n8k8 (TF32) / m16n8k16 (BF16) with fp32
//    accumulation, the tiles staged through shared memory by cp.async in a 2-4 stage pipeline (XOR-swizzled rows,
//    so fragment reads are free of bank conflicts without padding), fragments read straight into registers and the
//    epilogue written from the accumulators. BF16 takes bf16 weights (converted once, launch_convert_bf16) and
//    rounds the fp32 activations to bf16 as it reads them from shared memory.
//  - Tile shapes by problem: 128 x 128 (8 warps) for large M, 64 x 64 (4 warps) in between, 32 x 64 for small M
//    (batch 1), and 32 x 48 for the skinny x_proj (N = R + 2 * d_state: 44 for Vim-Tiny, 56 Small, 80 Base).
//  - x_proj can take its A operand from the depthwise conv1d + SiLU (launch_conv_x_proj: both directions in one
//    launch): each block first computes the conv of its rows over all channels (writing xc, the scan's u, and
//    zeroing the scan's output y), then multiplies them for every column tile (gemm_common.cuh).
// Every kernel zero-pads partial tiles, writes only c[i < m, j < n], puts rows on gridDim.x (up to 2^31 - 1
// tiles), columns on gridDim.y and the direction on gridDim.z.
#include "gemm_common.cuh"

namespace vim4j_cuda {
namespace {

// ---- FP32 SIMT: BM x BN block tile, TM x TN outputs per thread, k in steps of 16. ----
constexpr int kSBK = 16;

// (The 128 x 128 tile takes 195 registers, one block of 8 warps per SM; capping it at 128 for two blocks spills.)
template <int BM, int BN, int TM, int TN, bool CONV>
__global__ __launch_bounds__((BM / TM) * (BN / TN)) void sgemm_kernel(const GemmLaunch p) {
    constexpr int kThreads = (BM / TM) * (BN / TN);
    constexpr int kALoads = BM * kSBK / kThreads;  // elements of the A tile per thread
    constexpr int kWLoads = BN * kSBK / kThreads;
    static_assert(kALoads * kThreads == BM * kSBK && kWLoads * kThreads == BN * kSBK, "tile loads must divide");
    // k-major tiles: the inner loop reads TM consecutive rows (a) and TN consecutive columns (w) of one k step.
    __shared__ __align__(16) float as[2][kSBK][BM + 4];
    __shared__ __align__(16) float ws[2][kSBK][BN + 4];
    const GemmOperand& o = p.op[blockIdx.z];
    const float* __restrict__ w = static_cast<const float*>(o.w);
    const int tid = threadIdx.x;
    const int64_t row0 = static_cast<int64_t>(blockIdx.x) * BM;
    const int ty = tid / (BN / TN), tx = tid % (BN / TN);
    const float* a = o.a;
    int64_t lda = o.lda;
    if constexpr (CONV) {  // this block's rows of xc first; then they are the A operand of every column tile
        conv_rows_phase<BM>(o, p.m, p.k, row0, kThreads);
        a = o.conv.xc;
        lda = o.conv.ldxc;
    }

    // CONV: one block owns its rows across all column tiles (gridDim.y = 1).
    for (int32_t col0 = CONV ? 0 : static_cast<int32_t>(blockIdx.y) * BN; col0 < p.n; col0 += BN) {
        // Each thread loads the same rows (a) / columns (w) at every k-tile: consecutive threads take consecutive k.
        float ra[kALoads], rw[kWLoads];
        const auto load = [&](int32_t k0) {
#pragma unroll
            for (int i = 0; i < kALoads; ++i) {
                const int idx = tid + i * kThreads;
                const int64_t gr = row0 + idx / kSBK;
                const int32_t gk = k0 + idx % kSBK;
                ra[i] = (gr < p.m && gk < p.k) ? a[gr * lda + gk] : 0.0f;
            }
#pragma unroll
            for (int i = 0; i < kWLoads; ++i) {
                const int idx = tid + i * kThreads;
                const int32_t gc = col0 + idx / kSBK, gk = k0 + idx % kSBK;
                rw[i] = (gc < p.n && gk < p.k) ? w[static_cast<int64_t>(gc) * p.k + gk] : 0.0f;
            }
        };
        const auto store = [&](int buf) {
#pragma unroll
            for (int i = 0; i < kALoads; ++i) {
                const int idx = tid + i * kThreads;
                as[buf][idx % kSBK][idx / kSBK] = ra[i];
            }
#pragma unroll
            for (int i = 0; i < kWLoads; ++i) {
                const int idx = tid + i * kThreads;
                ws[buf][idx % kSBK][idx / kSBK] = rw[i];
            }
        };

        float acc[TM][TN];
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
            for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

        load(0);
        store(0);
        __syncthreads();
        int buf = 0;
        for (int32_t k0 = 0; k0 < p.k; k0 += kSBK) {
            const bool more = k0 + kSBK < p.k;
            if (more) load(k0 + kSBK);  // in flight while this tile is multiplied
#pragma unroll
            for (int kk = 0; kk < kSBK; ++kk) {
                float av[TM], bv[TN];
#pragma unroll
                for (int i = 0; i < TM; ++i) av[i] = as[buf][kk][ty * TM + i];
#pragma unroll
                for (int j = 0; j < TN; ++j) bv[j] = ws[buf][kk][tx * TN + j];
#pragma unroll
                for (int i = 0; i < TM; ++i)
#pragma unroll
                    for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
            }
            if (more) {
                // The other buffer was last read in the previous iteration, before the barrier that ended it.
                store(buf ^ 1);
                __syncthreads();
                buf ^= 1;
            }
        }
#pragma unroll
        for (int i = 0; i < TM; ++i) {
            const int64_t gr = row0 + ty * TM + i;
            if (gr >= p.m) continue;
#pragma unroll
            for (int j = 0; j < TN; ++j) {
                const int32_t gc = col0 + tx * TN + j;
                if (gc < p.n) o.c[gr * o.ldc + gc] = (o.bias != nullptr ? o.bias[gc] : 0.0f) + acc[i][j];
            }
        }
        if (!CONV) break;
        __syncthreads();  // the next column tile refills buffer 0, which the last k-tile may have read
    }
}

template <int BM, int BN, int TM, int TN, bool CONV>
void launch_sgemm(const GemmLaunch& p, int directions, cudaStream_t stream) {
    const dim3 grid(static_cast<unsigned>((int64_t{p.m} + BM - 1) / BM),
                    CONV ? 1u : static_cast<unsigned>((p.n + BN - 1) / BN), static_cast<unsigned>(directions));
    sgemm_kernel<BM, BN, TM, TN, CONV><<<grid, (BM / TM) * (BN / TN), 0, stream>>>(p);
}

}  // namespace

void launch_gemm_fp32(const GemmLaunch& p, int directions, GemmShape shape, cudaStream_t stream) {
    switch (shape) {
        case GemmShape::kLarge: launch_sgemm<128, 128, 8, 8, false>(p, directions, stream); return;
        case GemmShape::kMedium: launch_sgemm<64, 64, 4, 4, false>(p, directions, stream); return;
        case GemmShape::kSmall: launch_sgemm<32, 64, 2, 4, false>(p, directions, stream); return;
        case GemmShape::kSkinny: launch_sgemm<32, 48, 2, 3, false>(p, directions, stream); return;
        case GemmShape::kSkinnyConv: launch_sgemm<32, 48, 2, 3, true>(p, directions, stream); return;
    }
}

GemmShape pick_shape(int64_t m, int32_t n, bool conv) {
    if (conv) return GemmShape::kSkinnyConv;
    if (n <= 96) return GemmShape::kSkinny;
    // Enough blocks for two per SM of a 132-SM H200 with the large tile, else one wave of the medium tile.
    const int64_t large = ((m + 127) / 128) * ((n + 127) / 128);
    if (large >= 2 * 132) return GemmShape::kLarge;
    const int64_t medium = ((m + 63) / 64) * ((n + 63) / 64);
    if (medium >= 132) return GemmShape::kMedium;
    return GemmShape::kSmall;
}

void launch_linear(const float* a, int64_t lda, int32_t m, const void* w, const float* bias, int32_t n, int32_t k,
                   float* c, int64_t ldc, int32_t precision, cudaStream_t stream) {
    if (m <= 0) return;
    GemmLaunch p{};
    p.op[0].a = a;
    p.op[0].lda = lda;
    p.op[0].w = w;
    p.op[0].bias = bias;
    p.op[0].c = c;
    p.op[0].ldc = ldc;
    p.op[1] = p.op[0];
    p.m = m;
    p.n = n;
    p.k = k;
    const GemmShape shape = pick_shape(m, n, false);
    if (precision == kPrecisionFp32) {
        launch_gemm_fp32(p, 1, shape, stream);
    } else {
        launch_gemm_mma(p, 1, shape, precision == kPrecisionBf16, stream);
    }
}

void launch_conv_x_proj(const float* x, int64_t ldx, int32_t batch, int32_t len, int32_t channels, int32_t kernel,
                        const ConvXProj* dirs, int32_t directions, int32_t n_out, float* zero, int64_t ldzero,
                        int32_t precision, cudaStream_t stream) {
    const int64_t rows = static_cast<int64_t>(batch) * len;
    if (rows <= 0) return;
    GemmLaunch p{};
    for (int d = 0; d < 2; ++d) {
        const ConvXProj& s = dirs[d < directions ? d : 0];
        GemmOperand& o = p.op[d];
        o.a = x;
        o.lda = ldx;
        o.w = s.x_proj;
        o.bias = nullptr;
        o.c = s.x_dbl;
        o.ldc = n_out;
        o.conv.w = s.conv_w;
        o.conv.bias = s.conv_b;
        o.conv.kernel = kernel;
        o.conv.len = len;
        o.conv.reverse = s.reverse;
        o.conv.xc = s.xc;
        o.conv.ldxc = channels;
        o.conv.zero = d == 0 ? zero : nullptr;  // one direction zeroes
        o.conv.ldzero = ldzero;
    }
    p.m = static_cast<int32_t>(rows);
    p.n = n_out;
    p.k = channels;
    if (precision == kPrecisionFp32) {
        launch_gemm_fp32(p, directions, GemmShape::kSkinnyConv, stream);
    } else {
        launch_gemm_mma(p, directions, GemmShape::kSkinnyConv, precision == kPrecisionBf16, stream);
    }
}

}  // namespace vim4j_cuda

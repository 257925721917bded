// GEMMs of the projections: c = bias + a * w^T with w (n, k) row-major (PyTorch's F.linear), the activations
// token-major. Our own kernels (the build machines have no cuBLAS; see native/README.md for why not cuBLAS):
//  - FP32: a shared-memory tiled SIMT GEMM with fp32 FMA, the exact mode of the golden tests;
//  - TF32: tensor cores through WMMA (m16n16k8, TF32 inputs, fp32 accumulation), about 1e-3 relative error
//    per product, for throughput.
// Both read `a` and `w` along k (both "K-contiguous"), zero-pad partial tiles in shared memory, and write
// only c[i < m, j < n]. Rows go on gridDim.x (up to 2^31 - 1 tiles), columns on gridDim.y.
#include <mma.h>

#include "launch.h"
#include "vim4j_cuda.h"

namespace vim4j_cuda {
namespace {

// ---- FP32: 64 x 64 tile per block of 256 threads, 4 x 4 outputs per thread, k in steps of 16. ----
constexpr int kBM = 64, kBN = 64, kBK = 16, kTM = 4, kTN = 4, kThreads = 256;

__global__ __launch_bounds__(kThreads) void sgemm_nt(const float* __restrict__ a, int64_t lda, int32_t m,
                                                     const float* __restrict__ w, const float* __restrict__ bias,
                                                     int32_t n, int32_t k, float* __restrict__ c, int64_t ldc) {
    // k-major tiles: the inner loop reads 4 consecutive rows (a) / columns (w) of one k step.
    __shared__ float as[kBK][kBM + 4];
    __shared__ float ws[kBK][kBN + 4];
    const int tid = threadIdx.x;
    const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kBM;
    const int32_t col0 = blockIdx.y * kBN;
    const int ty = tid / (kBN / kTN);  // 0..15: rows ty*4 .. ty*4+3
    const int tx = tid % (kBN / kTN);  // 0..15: cols tx*4 .. tx*4+3
    float acc[kTM][kTN];
#pragma unroll
    for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] = 0.0f;

    for (int32_t k0 = 0; k0 < k; k0 += kBK) {
        // 64 rows x 16 k of each operand, 4 elements per thread; consecutive threads read consecutive k.
#pragma unroll
        for (int i = 0; i < (kBM * kBK) / kThreads; ++i) {
            const int idx = tid + i * kThreads;
            const int r = idx / kBK, kk = idx % kBK;
            const int64_t gr = row0 + r;
            const int32_t gk = k0 + kk;
            as[kk][r] = (gr < m && gk < k) ? a[gr * lda + gk] : 0.0f;
            const int32_t gc = col0 + r;
            ws[kk][r] = (gc < n && gk < k) ? w[static_cast<int64_t>(gc) * k + gk] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kBK; ++kk) {
            float av[kTM], bv[kTN];
#pragma unroll
            for (int i = 0; i < kTM; ++i) av[i] = as[kk][ty * kTM + i];
#pragma unroll
            for (int j = 0; j < kTN; ++j) bv[j] = ws[kk][tx * kTN + j];
#pragma unroll
            for (int i = 0; i < kTM; ++i)
#pragma unroll
                for (int j = 0; j < kTN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
        const int64_t gr = row0 + ty * kTM + i;
        if (gr >= m) continue;
#pragma unroll
        for (int j = 0; j < kTN; ++j) {
            const int32_t gc = col0 + tx * kTN + j;
            if (gc < n) c[gr * ldc + gc] = (bias != nullptr ? bias[gc] : 0.0f) + acc[i][j];
        }
    }
}

// ---- TF32 tensor cores: 64 x 64 tile per block of 4 warps (2 x 2, 32 x 32 each = 2 x 2 fragments). ----
constexpr int kTBM = 64, kTBN = 64, kTBK = 32, kTThreads = 128;
constexpr int kLdAB = kTBK + 4;  // multiple of 4 floats (WMMA), and 16-row fragment offsets stay 32-byte aligned
constexpr int kLdC = kTBN + 4;

__global__ __launch_bounds__(kTThreads) void gemm_tf32_nt(const float* __restrict__ a, int64_t lda, int32_t m,
                                                          const float* __restrict__ w, const float* __restrict__ bias,
                                                          int32_t n, int32_t k, float* __restrict__ c, int64_t ldc) {
    using namespace nvcuda;
    __shared__ __align__(32) float as[kTBM][kLdAB];  // a tile, row-major (row, k)
    __shared__ __align__(32) float bs[kTBN][kLdAB];  // w tile (col, k) = B (k, col) column-major
    __shared__ __align__(32) float cs[kTBM][kLdC];
    const int tid = threadIdx.x;
    const int warp = tid / 32;
    const int wm = warp / 2, wn = warp % 2;
    const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kTBM;
    const int32_t col0 = blockIdx.y * kTBN;

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

    for (int32_t k0 = 0; k0 < k; k0 += kTBK) {
        for (int idx = tid; idx < kTBM * kTBK; idx += kTThreads) {
            const int r = idx / kTBK, kk = idx % kTBK;
            const int64_t gr = row0 + r;
            const int32_t gk = k0 + kk;
            as[r][kk] = (gr < m && gk < k) ? a[gr * lda + gk] : 0.0f;
            const int32_t gc = col0 + r;
            bs[r][kk] = (gc < n && gk < k) ? w[static_cast<int64_t>(gc) * k + gk] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kTBK; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fb[2];
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                wmma::load_matrix_sync(fa[i], &as[wm * 32 + i * 16][kk], kLdAB);
#pragma unroll
                for (int t = 0; t < fa[i].num_elements; ++t) fa[i].x[t] = wmma::__float_to_tf32(fa[i].x[t]);
            }
#pragma unroll
            for (int j = 0; j < 2; ++j) {
                wmma::load_matrix_sync(fb[j], &bs[wn * 32 + j * 16][kk], kLdAB);
#pragma unroll
                for (int t = 0; t < fb[j].num_elements; ++t) fb[j].x[t] = wmma::__float_to_tf32(fb[j].x[t]);
            }
#pragma unroll
            for (int i = 0; i < 2; ++i)
#pragma unroll
                for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
            wmma::store_matrix_sync(&cs[wm * 32 + i * 16][wn * 32 + j * 16], acc[i][j], kLdC, wmma::mem_row_major);
    __syncthreads();
    for (int idx = tid; idx < kTBM * kTBN; idx += kTThreads) {
        const int r = idx / kTBN, cc = idx % kTBN;
        const int64_t gr = row0 + r;
        const int32_t gc = col0 + cc;
        if (gr < m && gc < n) c[gr * ldc + gc] = (bias != nullptr ? bias[gc] : 0.0f) + cs[r][cc];
    }
}

}  // namespace

void launch_linear(const float* a, int64_t lda, int32_t m, const float* w, const float* bias, int32_t n, int32_t k,
                   float* c, int64_t ldc, int32_t precision, cudaStream_t stream) {
    if (m <= 0) return;
    if (precision == VIM4J_CUDA_PRECISION_TF32) {
        const dim3 grid(static_cast<unsigned>((int64_t{m} + kTBM - 1) / kTBM), static_cast<unsigned>((int64_t{n} + kTBN - 1) / kTBN));
        gemm_tf32_nt<<<grid, kTThreads, 0, stream>>>(a, lda, m, w, bias, n, k, c, ldc);
    } else {
        const dim3 grid(static_cast<unsigned>((int64_t{m} + kBM - 1) / kBM), static_cast<unsigned>((int64_t{n} + kBN - 1) / kBN));
        sgemm_nt<<<grid, kThreads, 0, stream>>>(a, lda, m, w, bias, n, k, c, ldc);
    }
}

}  // namespace vim4j_cuda

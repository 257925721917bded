// Internal launchers of libvim4j_cuda's kernels. Arguments are already validated by the ABI layer (api.cu);
// each launcher only enqueues on `stream` (so it can be captured into a CUDA graph) and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace vim4j_cuda {

// c = bias + a * w^T, w (n, k) row-major. precision: VIM4J_CUDA_PRECISION_FP32 or _TF32.
void launch_linear(const float* a, int64_t lda, int32_t m, const float* w, const float* bias, int32_t n, int32_t k,
                   float* c, int64_t ldc, int32_t precision, cudaStream_t stream);

void launch_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                         int32_t dim, float eps, cudaStream_t stream);

// One direction (out_b == nullptr) or both directions in one launch: direction 1 reads x_b / w_b / bias_b and
// writes out_b with reverse = 1.
void launch_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                      const float* w_b, const float* bias_b, float* out_b, int32_t batch, int32_t len,
                      int32_t channels, int32_t kernel, int32_t reverse, cudaStream_t stream);

void launch_im2col(const float* images, int32_t batch, int32_t channels, int32_t height, int32_t width, int32_t patch,
                   int32_t stride, float* out, cudaStream_t stream);

void launch_add(float* dst, const float* src, int64_t n, cudaStream_t stream);

// cudaSuccess when this build holds a kernel image (SASS or PTX it can JIT) for the current device; otherwise the
// error a launch would give (cudaErrorNoKernelImageForDevice, e.g. an sm_80 device with an sm_90-only build).
cudaError_t kernel_image_check();

void launch_embed_tokens(const float* patch_rows, const float* cls_token, const float* pos_embed, float* residual,
                         int32_t batch, int32_t patches, int32_t d, cudaStream_t stream);

// How a scan direction combines its result with `out`.
enum ScanMode : int32_t {
    kScanStore = 0,       // out = o
    kScanAccumulate = 1,  // out = out + o (plain read-modify-write; one direction per launch)
    kScanAtomic = 2,      // out += o with atomicAdd: two directions in one launch onto a zeroed out. Exactly two
                          // addends on 0 give (0 + a) + b == a + b == b + a in IEEE arithmetic, so the result is
                          // deterministic and equal to the sequential forward-then-backward order.
};

// One direction of a selective scan. delta is either given (delta != nullptr) or computed in the scan as
// x_dbl[t, 0:R] . dt_proj[e, 0:R] (dt_proj != nullptr, delta == nullptr, dt_rank = R; x_dbl is `bc`).
struct ScanDirection {
    const float* u; int64_t ldu;
    const float* delta; int64_t ldd;
    const float* dt_proj; int32_t dt_rank;
    const float* a_t;
    const float* bc; int64_t b_off; int64_t c_off; int64_t ldbc;
    const float* d_skip; const float* delta_bias;
    const float* z; int64_t ldz;
    float* out; int64_t ldo;
    int32_t reverse;
    float out_scale;
    int32_t mode;  // ScanMode
};

// Runs `directions` (1 or 2) scans over batch x channels in one launch; both share batch, len, channels, states.
void launch_selective_scan(const ScanDirection* dirs, int32_t directions, int32_t batch, int32_t len,
                           int32_t channels, int32_t states, cudaStream_t stream);

}  // namespace vim4j_cuda

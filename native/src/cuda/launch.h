// Internal launchers of libvim4j_cuda's kernels. Arguments are already validated by the ABI layer (api.cu);
// each launcher only enqueues on `stream` (so it can be captured into a CUDA graph) and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace vim4j_cuda {

// Precision of the GEMMs. FP32 and TF32 are the ABI's VIM4J_CUDA_PRECISION_FP32 / _TF32; BF16 (2) is
// VIM4J_CUDA_PRECISION_BF16 once the ABI exposes it: bf16 weights (converted once by launch_convert_bf16) and
// activations rounded to bf16 as the GEMM stages them, fp32 accumulation; everything outside the GEMMs (the scan
// state, norms, conv) stays fp32.
constexpr int32_t kPrecisionFp32 = 0;
constexpr int32_t kPrecisionTf32 = 1;
constexpr int32_t kPrecisionBf16 = 2;

// c = bias + a * w^T, w (n, k) row-major: fp32 for FP32/TF32, bf16 bits (uint16_t) for BF16.
void launch_linear(const float* a, int64_t lda, int32_t m, const void* w, const float* bias, int32_t n, int32_t k,
                   float* c, int64_t ldc, int32_t precision, cudaStream_t stream);

// One direction of launch_conv_x_proj.
struct ConvXProj {
    const float* conv_w;   // (channels, kernel)
    const float* conv_b;   // (channels)
    const void* x_proj;    // (n_out, channels), fp32 or bf16 as launch_linear's w
    float* x_dbl;          // (rows, n_out), leading dimension n_out
    float* xc;             // (rows, channels) the conv output (the scan's u), leading dimension channels
    int32_t reverse;       // the causal conv runs in reversed token order
};

// Both directions' depthwise causal conv1d + SiLU fused into the A operand of their x_proj GEMMs, one launch
// (gridDim.z = direction): x_dbl = silu(conv(x)) * x_proj^T, with the conv output also stored to xc (the scan
// reads it as u) and, when zero != nullptr, zero[rows, channels] (ld ldzero) set to 0 on the way (the scan's
// atomically merged output, so the mixer needs no memset). x is (batch * len, channels) with leading dimension
// ldx; the conv never crosses a sequence boundary. Exact fp32 arithmetic for the conv in every precision.
void launch_conv_x_proj(const float* x, int64_t ldx, int32_t batch, int32_t len, int32_t channels, int32_t kernel,
                        const ConvXProj* dirs, int32_t directions, int32_t n_out, float* zero, int64_t ldzero,
                        int32_t precision, cudaStream_t stream);

// dst[i] = src[i] rounded to bf16 (nearest even; NaN stays NaN), i < n: the weight conversion of the BF16 mode.
void launch_convert_bf16(const float* src, uint16_t* dst, int64_t n, cudaStream_t stream);

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

// One bimamba-v2 mixer layer (vim4j_cuda_mixer_forward's work, arguments already validated), enqueued as four
// kernels and no memset:
//   1. in_proj GEMM                       xz = h * in_proj^T
//   2. conv1d + SiLU fused into x_proj    both directions in one launch; writes xc_f/xc_b, x_dbl_f/x_dbl_b and
//                                         zeroes y
//   3. selective scan                     both directions in one launch, dt_proj folded in, (f + b) / 2 merged
//                                         atomically onto the zeroed y
//   4. out_proj GEMM                      hidden = y * out_proj^T
// With the model's add + RMSNorm that makes 5 launches per layer. in_proj, out_proj and x_proj are bf16 arrays
// in the BF16 precision (launch_convert_bf16), fp32 otherwise; every other weight is fp32 in every precision.
struct MixerLaunch {
    const float* h;
    float* hidden;
    int32_t batch, len, d_model, d_inner, d_state, dt_rank, d_conv;
    const void* in_proj;
    const void* out_proj;
    struct Direction {
        const float* conv_w;
        const float* conv_b;
        const void* x_proj;
        const float* dt_proj;
        const float* dt_bias;
        const float* a_t;
        const float* d;
        float* xc;
        float* x_dbl;
    } dir[2];
    float* xz;
    float* y;
    int32_t precision;
};
void launch_mixer(const MixerLaunch& m, cudaStream_t stream);

}  // namespace vim4j_cuda

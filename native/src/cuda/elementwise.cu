// The memory-bound kernels: residual add + RMSNorm, depthwise causal conv1d + bias + SiLU (both directions in
// one launch), im2col over a batch of images, the token assembly of the patch embedding, an add, and the fp32 ->
// bf16 weight conversion of the BF16 mode.
// Rows go on gridDim.x (up to 2^31 - 1); element counts are int64.
#include "launch.h"
#include "math.cuh"
#include "mma.cuh"

namespace vim4j_cuda {
namespace {

constexpr int kNormThreads = 256;
constexpr int kChannelThreads = 128;
constexpr int kFlatThreads = 256;

// One block per row. The scale factor is computed in double from the fp32 mean square, as the CPU kernels do.
__global__ __launch_bounds__(kNormThreads) void add_rms_norm_kernel(float* __restrict__ residual,
                                                                    const float* __restrict__ hidden,
                                                                    const float* __restrict__ weight,
                                                                    float* __restrict__ out, int32_t dim, float eps) {
    const int64_t row = blockIdx.x;
    float* res = residual + row * dim;
    const float* hid = hidden != nullptr ? hidden + row * dim : nullptr;
    float* o = out + row * dim;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < dim; i += kNormThreads) {
        float v = res[i];
        if (hid != nullptr) {
            v += hid[i];
            res[i] = v;
        }
        ss = fmaf(v, v, ss);
    }
    for (int off = 16; off > 0; off >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, off);
    __shared__ float partial[kNormThreads / 32];
    __shared__ float inv_s;
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x / 32] = ss;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.0f;
        for (int wi = 0; wi < kNormThreads / 32; ++wi) total += partial[wi];
        const float ms = total / static_cast<float>(dim) + eps;
        inv_s = static_cast<float>(1.0 / sqrt(static_cast<double>(ms)));
    }
    __syncthreads();
    const float inv = inv_s;
    for (int i = threadIdx.x; i < dim; i += kNormThreads) o[i] = res[i] * inv * weight[i];
}

struct ConvDirection {
    const float* w;
    const float* bias;
    float* out;
    int32_t reverse;
};

// Thread = one channel of one token of one direction (gridDim.z). Bias first, then the taps in ascending order
// with fma: the CPU kernels' accumulation order.
__global__ __launch_bounds__(kChannelThreads) void conv_silu_kernel(const float* __restrict__ x, int64_t ldx,
                                                                    ConvDirection d0, ConvDirection d1, int64_t ldo,
                                                                    int32_t len, int32_t channels, int32_t kernel) {
    const ConvDirection d = blockIdx.z == 0 ? d0 : d1;
    const int32_t e = blockIdx.y * kChannelThreads + threadIdx.x;
    if (e >= channels) return;
    const int64_t row = blockIdx.x;
    const int64_t b = row / len;
    const int32_t t = static_cast<int32_t>(row % len);
    const float* xb = x + b * len * ldx + e;
    const float* we = d.w + static_cast<int64_t>(e) * kernel;
    float acc = d.bias[e];
    for (int32_t k = 0; k < kernel; ++k) {
        const int32_t back = kernel - 1 - k;  // tap k looks `back` steps back in scan order
        const int64_t src = d.reverse ? static_cast<int64_t>(t) + back : static_cast<int64_t>(t) - back;
        if (src < 0 || src >= len) continue;
        acc = fmaf(we[k], xb[src * ldx], acc);
    }
    d.out[row * ldo + e] = silu(acc);
}

__global__ __launch_bounds__(kFlatThreads) void im2col_kernel(const float* __restrict__ images, int64_t total,
                                                              int32_t channels, int32_t height, int32_t width,
                                                              int32_t patch, int32_t stride, int32_t gw,
                                                              int32_t patches, float* __restrict__ out) {
    const int64_t cols = static_cast<int64_t>(channels) * patch * patch;
    const int64_t image_floats = static_cast<int64_t>(channels) * height * width;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * kFlatThreads + threadIdx.x; idx < total;
         idx += static_cast<int64_t>(gridDim.x) * kFlatThreads) {
        const int64_t col = idx % cols;
        const int64_t prow = idx / cols;
        const int64_t b = prow / patches;
        const int32_t p = static_cast<int32_t>(prow % patches);
        const int32_t py = p / gw, px = p % gw;
        const int32_t ch = static_cast<int32_t>(col / (patch * patch));
        const int32_t rem = static_cast<int32_t>(col % (patch * patch));
        const int32_t ky = rem / patch, kx = rem % patch;
        out[idx] = images[b * image_floats + (static_cast<int64_t>(ch) * height + static_cast<int64_t>(py) * stride + ky) * width +
                          static_cast<int64_t>(px) * stride + kx];
    }
}

__global__ __launch_bounds__(kFlatThreads) void embed_tokens_kernel(const float* __restrict__ patch_rows,
                                                                    const float* __restrict__ cls_token,
                                                                    const float* __restrict__ pos_embed,
                                                                    float* __restrict__ residual, int64_t total,
                                                                    int32_t patches, int32_t d) {
    const int32_t len = patches + 1, cls = patches / 2;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * kFlatThreads + threadIdx.x; idx < total;
         idx += static_cast<int64_t>(gridDim.x) * kFlatThreads) {
        const int32_t j = static_cast<int32_t>(idx % d);
        const int64_t row = idx / d;
        const int64_t b = row / len;
        const int32_t t = static_cast<int32_t>(row % len);
        const float v = t == cls ? cls_token[j] : patch_rows[(b * patches + (t < cls ? t : t - 1)) * d + j];
        residual[idx] = v + pos_embed[static_cast<int64_t>(t) * d + j];
    }
}

__global__ __launch_bounds__(kFlatThreads) void add_kernel(float* __restrict__ dst, const float* __restrict__ src,
                                                           int64_t n) {
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * kFlatThreads + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * kFlatThreads)
        dst[i] += src[i];
}

__global__ __launch_bounds__(kFlatThreads) void convert_bf16_kernel(const float* __restrict__ src,
                                                                    uint16_t* __restrict__ dst, int64_t n) {
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * kFlatThreads + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * kFlatThreads)
        dst[i] = to_bf16(src[i]);
}

// Grid-stride launches: enough blocks to fill the GPU, never more than the work.
unsigned flat_blocks(int64_t n) {
    const int64_t blocks = (n + kFlatThreads - 1) / kFlatThreads;
    return static_cast<unsigned>(blocks < 65536 ? (blocks < 1 ? 1 : blocks) : 65536);
}

}  // namespace

void launch_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                         int32_t dim, float eps, cudaStream_t stream) {
    if (rows <= 0) return;
    add_rms_norm_kernel<<<rows, kNormThreads, 0, stream>>>(residual, hidden, weight, out, dim, eps);
}

void launch_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                      const float* w_b, const float* bias_b, float* out_b, int32_t batch, int32_t len,
                      int32_t channels, int32_t kernel, int32_t reverse, cudaStream_t stream) {
    const int64_t rows = static_cast<int64_t>(batch) * len;
    if (rows <= 0 || channels <= 0) return;
    const ConvDirection d0{w, bias, out, reverse};
    const ConvDirection d1{w_b, bias_b, out_b, 1};
    const dim3 grid(static_cast<unsigned>(rows), (channels + kChannelThreads - 1) / kChannelThreads,
                    out_b != nullptr ? 2 : 1);
    conv_silu_kernel<<<grid, kChannelThreads, 0, stream>>>(x, ldx, d0, d1, ldo, len, channels, kernel);
}

void launch_im2col(const float* images, int32_t batch, int32_t channels, int32_t height, int32_t width, int32_t patch,
                   int32_t stride, float* out, cudaStream_t stream) {
    const int32_t gh = (height - patch) / stride + 1, gw = (width - patch) / stride + 1;
    const int64_t total = static_cast<int64_t>(batch) * gh * gw * channels * patch * patch;
    if (total <= 0) return;
    im2col_kernel<<<flat_blocks(total), kFlatThreads, 0, stream>>>(images, total, channels, height, width, patch,
                                                                    stride, gw, gh * gw, out);
}

void launch_embed_tokens(const float* patch_rows, const float* cls_token, const float* pos_embed, float* residual,
                         int32_t batch, int32_t patches, int32_t d, cudaStream_t stream) {
    const int64_t total = static_cast<int64_t>(batch) * (patches + 1) * d;
    if (total <= 0) return;
    embed_tokens_kernel<<<flat_blocks(total), kFlatThreads, 0, stream>>>(patch_rows, cls_token, pos_embed, residual,
                                                                          total, patches, d);
}

cudaError_t kernel_image_check() {
    cudaFuncAttributes attr;
    return cudaFuncGetAttributes(&attr, add_kernel);
}

void launch_convert_bf16(const float* src, uint16_t* dst, int64_t n, cudaStream_t stream) {
    if (n <= 0) return;
    convert_bf16_kernel<<<flat_blocks(n), kFlatThreads, 0, stream>>>(src, dst, n);
}

void launch_add(float* dst, const float* src, int64_t n, cudaStream_t stream) {
    if (n <= 0) return;
    add_kernel<<<flat_blocks(n), kFlatThreads, 0, stream>>>(dst, src, n);
}

}  // namespace vim4j_cuda

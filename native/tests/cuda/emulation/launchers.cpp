// Host implementations of the launchers of src/cuda/launch.h with the semantics the CUDA kernels must have, for the
// emulation library. Together with the real ABI layer (status/device/memory/kernels.cu compiled for the host) this
// lets the Java CUDA backend (device memory, executions, graphs, the fused mixer orchestration) run end to end on a
// machine without a GPU. The CUDA kernel bodies themselves (gemm.cu, gemm_mma.cu, scan.cu, elementwise.cu) are not
// part of it: test_cuda_kernels checks those on a GPU and in the SIMT emulation (../simt).
#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "launch.h"
#include "vim4j_cuda.h"

namespace vim4j_cuda {
namespace {

float silu(float x) { return x * (1.0f / (1.0f + std::exp(std::fmin(-x, 88.0f)))); }
float softplus(float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); }


float tf32_round(float x) {
    // 10 mantissa bits, rounded to nearest with ties away from zero like cvt.rna.tf32.f32; finite inputs only,
    // which is all the tests use.
    uint32_t b;
    std::memcpy(&b, &x, 4);
    b = (b + 0x1000u) & 0xFFFFE000u;
    std::memcpy(&x, &b, 4);
    return x;
}

float bf16_float(uint16_t h) {
    const uint32_t b = static_cast<uint32_t>(h) << 16;
    float x;
    std::memcpy(&x, &b, 4);
    return x;
}

uint16_t bf16_bits(float x) {  // round to nearest even, NaN stays NaN (cvt.rn.bf16.f32)
    uint32_t b;
    std::memcpy(&b, &x, 4);
    if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((b >> 16) | 0x40u);
    return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

// c = bias + a * w^T on the host, the inputs rounded as the precision's tensor cores see them.
void linear_now(const float* a, int64_t lda, int32_t m, const void* w, const float* bias, int32_t n, int32_t k,
                float* c, int64_t ldc, int32_t precision) {
    for (int32_t i = 0; i < m; ++i)
        for (int32_t j = 0; j < n; ++j) {
            float s = 0.0f;
            for (int32_t kk = 0; kk < k; ++kk) {
                float x = a[i * lda + kk], y;
                const int64_t wi = static_cast<int64_t>(j) * k + kk;
                if (precision == kPrecisionBf16) {
                    x = bf16_float(bf16_bits(x));
                    y = bf16_float(static_cast<const uint16_t*>(w)[wi]);
                } else {
                    y = static_cast<const float*>(w)[wi];
                    if (precision == kPrecisionTf32) {
                        x = tf32_round(x);
                        y = tf32_round(y);
                    }
                }
                s = std::fma(x, y, s);
            }
            c[i * ldc + j] = (bias != nullptr ? bias[j] : 0.0f) + s;
        }
}

void conv_now(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo, int32_t batch,
              int32_t len, int32_t channels, int32_t kernel, bool rev) {
    for (int32_t b = 0; b < batch; ++b)
        for (int32_t t = 0; t < len; ++t)
            for (int32_t e = 0; e < channels; ++e) {
                float acc = bias[e];
                for (int32_t kk = 0; kk < kernel; ++kk) {
                    const int32_t back = kernel - 1 - kk;
                    const int64_t src = rev ? static_cast<int64_t>(t) + back : static_cast<int64_t>(t) - back;
                    if (src < 0 || src >= len) continue;
                    acc = std::fma(w[static_cast<int64_t>(e) * kernel + kk], x[(static_cast<int64_t>(b) * len + src) * ldx + e], acc);
                }
                out[(static_cast<int64_t>(b) * len + t) * ldo + e] = silu(acc);
            }
}

}  // namespace

void launch_linear(const float* a, int64_t lda, int32_t m, const void* w, const float* bias, int32_t n, int32_t k,
                   float* c, int64_t ldc, int32_t precision, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] { linear_now(a, lda, m, w, bias, n, k, c, ldc, precision); });
}

void launch_conv_x_proj(const float* x, int64_t ldx, int32_t batch, int32_t len, int32_t channels, int32_t kernel,
                        const ConvXProj* dirs, int32_t directions, int32_t n_out, float* zero, int64_t ldzero,
                        int32_t precision, cudaStream_t stream) {
    std::vector<ConvXProj> ds(dirs, dirs + directions);
    vim4j_emulation::enqueue(stream, [=] {
        const int64_t rows = static_cast<int64_t>(batch) * len;
        std::vector<float> xc(static_cast<size_t>(rows) * channels);
        for (const ConvXProj& d : ds) {
            conv_now(x, ldx, d.conv_w, d.conv_b, xc.data(), channels, batch, len, channels, kernel, d.reverse != 0);
            if (d.xc != nullptr) std::copy(xc.begin(), xc.end(), d.xc);
            linear_now(xc.data(), channels, static_cast<int32_t>(rows), d.x_proj, nullptr, n_out, channels, d.x_dbl,
                       n_out, precision);
        }
        if (zero != nullptr)
            for (int64_t r = 0; r < rows; ++r) std::fill(zero + r * ldzero, zero + r * ldzero + channels, 0.0f);
    });
}

void launch_convert_bf16(const float* src, uint16_t* dst, int64_t n, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] {
        for (int64_t i = 0; i < n; ++i) dst[i] = bf16_bits(src[i]);
    });
}

void launch_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                         int32_t dim, float eps, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] {
        for (int32_t r = 0; r < rows; ++r) {
            float* res = residual + static_cast<int64_t>(r) * dim;
            float ss = 0.0f;
            for (int32_t i = 0; i < dim; ++i) {
                if (hidden != nullptr) res[i] += hidden[static_cast<int64_t>(r) * dim + i];
                ss = std::fma(res[i], res[i], ss);
            }
            const float inv = static_cast<float>(1.0 / std::sqrt(static_cast<double>(ss / static_cast<float>(dim) + eps)));
            for (int32_t i = 0; i < dim; ++i) out[static_cast<int64_t>(r) * dim + i] = res[i] * inv * weight[i];
        }
    });
}

void launch_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                      const float* w_b, const float* bias_b, float* out_b, int32_t batch, int32_t len,
                      int32_t channels, int32_t kernel, int32_t reverse, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] {
        conv_now(x, ldx, w, bias, out, ldo, batch, len, channels, kernel, reverse != 0);
        if (out_b != nullptr) conv_now(x, ldx, w_b, bias_b, out_b, ldo, batch, len, channels, kernel, true);
    });
}

void launch_im2col(const float* images, int32_t batch, int32_t channels, int32_t height, int32_t width, int32_t patch,
                   int32_t stride, float* out, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] {
        const int32_t gh = (height - patch) / stride + 1, gw = (width - patch) / stride + 1;
        const int64_t cols = static_cast<int64_t>(channels) * patch * patch;
        for (int32_t b = 0; b < batch; ++b)
            for (int32_t p = 0; p < gh * gw; ++p)
                for (int32_t c = 0; c < channels; ++c)
                    for (int32_t ky = 0; ky < patch; ++ky)
                        for (int32_t kx = 0; kx < patch; ++kx)
                            out[(static_cast<int64_t>(b) * gh * gw + p) * cols + (c * patch + ky) * patch + kx] =
                                images[((static_cast<int64_t>(b) * channels + c) * height + (p / gw) * stride + ky) * width +
                                       (p % gw) * stride + kx];
    });
}

cudaError_t kernel_image_check() { return cudaSuccess; }

void launch_add(float* dst, const float* src, int64_t n, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] {
        for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
    });
}

void launch_embed_tokens(const float* patch_rows, const float* cls_token, const float* pos_embed, float* residual,
                         int32_t batch, int32_t patches, int32_t d, cudaStream_t stream) {
    vim4j_emulation::enqueue(stream, [=] {
        const int32_t len = patches + 1, cls = patches / 2;
        for (int32_t b = 0; b < batch; ++b)
            for (int32_t t = 0; t < len; ++t)
                for (int32_t j = 0; j < d; ++j) {
                    const float v = t == cls ? cls_token[j]
                                             : patch_rows[(static_cast<int64_t>(b) * patches + (t < cls ? t : t - 1)) * d + j];
                    residual[(static_cast<int64_t>(b) * len + t) * d + j] = v + pos_embed[static_cast<int64_t>(t) * d + j];
                }
    });
}

void launch_selective_scan(const ScanDirection* dirs, int32_t directions, int32_t batch, int32_t len,
                           int32_t channels, int32_t states, cudaStream_t stream) {
    std::vector<ScanDirection> ds(dirs, dirs + directions);
    vim4j_emulation::enqueue(stream, [=] {
        std::vector<float> h(states);
        for (const ScanDirection& s : ds)
            for (int32_t b = 0; b < batch; ++b)
                for (int32_t e = 0; e < channels; ++e) {
                    std::fill(h.begin(), h.end(), 0.0f);
                    for (int32_t step = 0; step < len; ++step) {
                        const int64_t t = static_cast<int64_t>(b) * len + (s.reverse ? len - 1 - step : step);
                        const float uu = s.u[t * s.ldu + e];
                        float dv = 0.0f;
                        if (s.delta != nullptr) {
                            dv = s.delta[t * s.ldd + e];
                        } else {
                            for (int32_t r = 0; r < s.dt_rank; ++r)
                                dv = std::fma(s.bc[t * s.ldbc + r], s.dt_proj[static_cast<int64_t>(e) * s.dt_rank + r], dv);
                        }
                        const float dt = softplus(dv + s.delta_bias[e]);
                        float y = 0.0f;
                        for (int32_t n = 0; n < states; ++n) {
                            const float da = std::exp2(dt * 1.4426950408889634f * s.a_t[static_cast<int64_t>(n) * channels + e]);
                            h[n] = std::fma(da, h[n], dt * uu * s.bc[s.b_off + t * s.ldbc + n]);
                            y = std::fma(s.bc[s.c_off + t * s.ldbc + n], h[n], y);
                        }
                        y = std::fma(s.d_skip[e], uu, y);
                        const float o = y * (s.out_scale * silu(s.z[t * s.ldz + e]));
                        float* op = s.out + t * s.ldo + e;
                        *op = s.mode == kScanStore ? o : *op + o;
                    }
                }
    });
}

}  // namespace vim4j_cuda

/*
 * vim4j.h - the C ABI of vim4j's native CPU kernels: the single source of truth for the Java bindings
 * (bindings/, generated in jextract's shape). Plain C: fixed-width integers, floats, pointers and int32
 * status codes; no structs by value, no varargs, no callbacks.
 *
 * Conventions (identical to org.vim4j.kernel.Kernels):
 *  - all tensors are fp32; pointers already point at the first element (Java applies its offsets);
 *    leading dimensions (ld*) are counted in floats;
 *  - activations are token-major: `len` rows of `channels` floats per sequence, `batch` sequences back to back;
 *  - the reverse scan direction reads index len-1-t; nothing is ever copied flipped;
 *  - every function returns VIM4J_OK or an error code; vim4j_last_error() then describes the failure
 *    (thread-local). Kernels never allocate on the hot path except vim4j_mixer_forward's per-thread scratch.
 *  - Threads: every kernel is single-threaded and works on the rows/channels it is given, so the caller (Java's
 *    vim4j pool) owns parallelism; vim4j_mixer_forward alone runs a whole layer and uses up to
 *    vim4j_set_threads() native threads (default 1), never more.
 */
#ifndef VIM4J_H
#define VIM4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIM4J_ABI_VERSION 1

#define VIM4J_OK 0
#define VIM4J_ERR_INVALID_ARGUMENT 1
#define VIM4J_ERR_UNSUPPORTED 2
#define VIM4J_ERR_OUT_OF_MEMORY 3
#define VIM4J_ERR_INTERNAL 4

#define VIM4J_ISA_PORTABLE 0
#define VIM4J_ISA_AVX2 1
#define VIM4J_ISA_AVX512 2

/* VIM4J_ABI_VERSION of the loaded library; the Java side refuses a library whose version differs. */
int32_t vim4j_abi_version(void);

/* Message of the last failure on the calling thread ("" if none). Valid until the next call on this thread. */
const char* vim4j_last_error(void);

/* The instruction-set tier chosen at load time from cpuid, capped by the environment variable
 * VIM4J_MAX_ISA=portable|avx2|avx512. */
int32_t vim4j_isa(void);

/* Threads vim4j_mixer_forward may use (>= 1). Returns the previous value. */
int32_t vim4j_set_threads(int32_t threads);

/* Floats needed to pack a linear weight W (n, k) for vim4j_linear. */
int64_t vim4j_linear_packed_size(int32_t n, int32_t k);

/* Packs W (n, k) row-major (PyTorch layout) into `packed` (vim4j_linear_packed_size floats) for this ISA. */
int32_t vim4j_linear_pack(const float* w, int32_t n, int32_t k, float* packed);

/* c[i, j] = bias[j] + sum_k a[i, k] * W[j, k] for i < m, j < n; bias may be NULL. */
int32_t vim4j_linear(const float* a, int64_t lda, int32_t m, const float* packed, const float* bias, int32_t n,
                     int32_t k, float* c, int64_t ldc);

/* If hidden != NULL: residual += hidden; then out = residual / sqrt(mean(residual^2) + eps) * weight.
 * `rows` contiguous rows of `dim` floats. */
int32_t vim4j_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                           int32_t dim, float eps);

/* Depthwise causal conv1d + bias + SiLU over channels [c0, c1) of `batch` sequences (w is (channels, kernel)).
 * reverse != 0: causal in the reversed order, output still at the original index. */
int32_t vim4j_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                        int32_t batch, int32_t len, int32_t channels, int32_t kernel, int32_t reverse, int32_t c0,
                        int32_t c1);

/* The fused selective scan over channels [c0, c1) of `batch` sequences (see Kernels.selectiveScan):
 * dt = softplus(delta + delta_bias) (threshold 20); h = exp(dt * a_t[n, e]) * h + dt * B[t, n] * u;
 * y = C[t, :] . h + d_skip * u; out = (accumulate ? out : 0) + out_scale * y * silu(z).
 * a_t is -exp(A_log) transposed to (states, channels); B[t, n] = b[t * ldbc + n], C[t, n] = c[t * ldbc + n]. */
int32_t vim4j_selective_scan(const float* u, int64_t ldu, const float* delta, int64_t ldd, const float* a_t,
                             const float* b, const float* c, int64_t ldbc, const float* d_skip,
                             const float* delta_bias, const float* z, int64_t ldz, float* out, int64_t ldo,
                             int32_t batch, int32_t len, int32_t channels, int32_t states, int32_t reverse,
                             float out_scale, int32_t accumulate, int32_t c0, int32_t c1);

/* im2col for a strided patch x patch Conv2d of one CHW image: row py*gw+px, column (c*patch+ky)*patch+kx. */
int32_t vim4j_im2col(const float* image, int32_t channels, int32_t height, int32_t width, int32_t patch,
                     int32_t stride, float* out);

/* One whole bimamba-v2 mixer layer in one call: hidden = out_proj((S_f(x, z) + flip(S_b(flip x, flip z))) / 2)
 * with xz = in_proj(h). Weights: packed linears (vim4j_linear_pack) and raw fp32 vectors; per direction
 * (suffix _f / _b): conv (E, K) + bias, x_proj (R+2N, E), dt_proj (E, R), dt bias (E), a_t (N, E), D (E).
 * Workspace (caller-owned, floats): xz rows*2E, xc rows*E, x_dbl rows*(R+2N), delta rows*E, y rows*E,
 * where rows = batch * len. h and hidden are (rows, D). */
int32_t vim4j_mixer_forward(const float* h, float* hidden, int32_t batch, int32_t len, int32_t d_model,
                            int32_t d_inner, int32_t d_state, int32_t dt_rank, int32_t d_conv,
                            const float* in_proj, const float* out_proj,
                            const float* conv_w_f, const float* conv_b_f, const float* x_proj_f,
                            const float* dt_proj_f, const float* dt_bias_f, const float* a_t_f, const float* d_f,
                            const float* conv_w_b, const float* conv_b_b, const float* x_proj_b,
                            const float* dt_proj_b, const float* dt_bias_b, const float* a_t_b, const float* d_b,
                            float* xz, float* xc, float* x_dbl, float* delta, float* y);

#ifdef __cplusplus
}
#endif

#endif /* VIM4J_H */

/*
 * vim4j.h - the C ABI of vim4j's native CPU kernels: the single source of truth for the Java bindings
 * (bindings/, generated in jextract's shape). Plain C: fixed-width integers, floats, pointers, int32 status
 * codes and plain structs of those; structs are only ever passed by pointer (never by value), no varargs, no
 * callbacks, no bit fields, no implicit padding inside a struct.
 *
 * Conventions (identical to org.vim4j.kernel.Kernels):
 *  - all activations are fp32; pointers already point at the first element; leading dimensions (ld) count floats.
 *    A linear layer's weight may be stored at a lower precision (VIM4J_PRECISION_*, docs/precision.md); its
 *    inputs and outputs stay fp32;
 *  - a matrix argument is a struct vim4j_rows view: row i starts at data + i * ld;
 *  - activations are token-major: `len` rows of `channels` floats per sequence, `batch` sequences back to back;
 *  - the reverse scan direction reads index len-1-t; nothing is ever copied flipped;
 *  - every function returns VIM4J_OK or an error code; vim4j_last_error() then describes the failure
 *    (thread-local) and names the argument or struct field, e.g. 'in->b.ld'. Kernels never allocate.
 *  - Threads: a struct vim4j_runtime is one model's limit on the threads of the library, which keeps one pool
 *    of workers per process for all runtimes (vim4j_runtime_create). Every kernel takes one and splits its own
 *    work over at most the runtime's threads, the caller's thread included, by the same rules everywhere
 *    (native/README.md); results are bit-identical for every thread count. The pool serves one call at a time:
 *    a call that finds it busy (another thread, of this model or another) runs on its caller's thread alone
 *    instead of waiting. NULL means the caller's thread only.
 */
#ifndef VIM4J_H
#define VIM4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIM4J_ABI_VERSION 3

#define VIM4J_OK 0
#define VIM4J_ERR_INVALID_ARGUMENT 1
#define VIM4J_ERR_UNSUPPORTED 2
#define VIM4J_ERR_OUT_OF_MEMORY 3
#define VIM4J_ERR_INTERNAL 4

#define VIM4J_ISA_PORTABLE 0
#define VIM4J_ISA_AVX2 1
#define VIM4J_ISA_AVX512 2

/* Most threads one runtime may have (the process's pool has at most VIM4J_MAX_THREADS - 1 workers). */
#define VIM4J_MAX_THREADS 1024

/* Precision of a linear layer's arithmetic (struct vim4j_linear_weight.precision; docs/precision.md):
 *  FP32: fp32 weights and products;
 *  BF16: weights and activations rounded to bf16 (nearest even), products exact, fp32 sums;
 *  INT8: weights int8 per output channel (scales sw), activations int8 per row at run time (amax / 127),
 *        exact int32 dot products, then c = (float) acc * (sa * sw) + bias. */
#define VIM4J_PRECISION_FP32 0
#define VIM4J_PRECISION_BF16 1
#define VIM4J_PRECISION_INT8 2

/* Flags of vim4j_selective_scan. */
#define VIM4J_SCAN_REVERSE 1
#define VIM4J_SCAN_ACCUMULATE 2

/* One model's limit on the process's threads (opaque). */
struct vim4j_runtime;

/* A row-major fp32 matrix: row i starts at data + i * ld (ld in floats, >= the row length). */
struct vim4j_rows {
    float* data;
    int64_t ld;
};

/* A linear layer y = x W^T + bias of W (n, k), packed for this process at one precision. The first four fields
 * are those of ABI version 2, so an initialiser {packed, bias, n, k} still describes an fp32 layer.
 *  packed:    W packed by the pack function of `precision` (vim4j_linear_pack, vim4j_linear_pack_bf16,
 *             vim4j_linear_pack_int8) into vim4j_linear_packed_bytes(precision, n, k) bytes, 64-byte aligned
 *             preferred; an INT8 buffer also holds the VNNI compensation 128 * sum_k qw[j, k] of each column;
 *  bias:      n floats, or NULL for none;
 *  n, k:      output and input features, >= 1;
 *  precision: VIM4J_PRECISION_FP32, _BF16 or _INT8;
 *  reserved:  must be 0 (keeps the struct free of implicit padding);
 *  scales:    INT8 only: the n per-output-channel weight scales sw (finite, >= 0), W[j, :] = qw[j, :] * sw[j];
 *             NULL for FP32 and BF16. */
struct vim4j_linear_weight {
    const void* packed;
    const float* bias;
    int32_t n;
    int32_t k;
    int32_t precision;
    int32_t reserved;
    const float* scales;
};

/* A depthwise causal conv1d: weight (channels, kernel) and bias (channels). */
struct vim4j_conv_weights {
    const float* weight;
    const float* bias;
    int32_t channels;
    int32_t kernel;
};

/* The per-channel parameters of a selective scan: a_t = -exp(A_log) transposed to (states, channels),
 * d_skip (channels) and delta_bias (channels), dt_proj's bias added before softplus. */
struct vim4j_scan_weights {
    const float* a_t;
    const float* d_skip;
    const float* delta_bias;
    int32_t channels;
    int32_t states;
};

/* What a scan reads per token: u and delta and z (rows of channels), B and C (rows of states). */
struct vim4j_scan_inputs {
    struct vim4j_rows u;
    struct vim4j_rows delta;
    struct vim4j_rows b;
    struct vim4j_rows c;
    struct vim4j_rows z;
};

/* One direction of a bimamba-v2 mixer: conv (E, K), x_proj (R + 2N, E), dt_proj (E, R) (its bias is
 * scan.delta_bias) and the scan's parameters. */
struct vim4j_branch_weights {
    struct vim4j_conv_weights conv;
    struct vim4j_linear_weight x_proj;
    struct vim4j_linear_weight dt_proj;
    struct vim4j_scan_weights scan;
};

/* One mixer layer: in_proj (2E, D), both directions, out_proj (D, E). */
struct vim4j_mixer_weights {
    struct vim4j_linear_weight in_proj;
    struct vim4j_branch_weights forward;
    struct vim4j_branch_weights backward;
    struct vim4j_linear_weight out_proj;
};

/* The widths of a mixer layer: D, E, N, R (x_proj writes R + 2N columns). */
struct vim4j_mixer_dims {
    int32_t d_model;
    int32_t d_inner;
    int32_t d_state;
    int32_t dt_rank;
};

/* One direction's buffers: xc (rows, E) and x_dbl (rows, R + 2N). */
struct vim4j_branch_buffers {
    float* xc;
    float* x_dbl;
};

/* The activations of a mixer layer for up to `rows` tokens of `dims`, all contiguous: normed and hidden
 * (rows, D), xz (rows, 2E), delta and y (rows, E), and each direction's buffers. */
struct vim4j_mixer_buffers {
    struct vim4j_mixer_dims dims;
    int64_t rows;
    float* normed;
    float* hidden;
    float* xz;
    float* delta;
    float* y;
    struct vim4j_branch_buffers forward;
    struct vim4j_branch_buffers backward;
};

/* VIM4J_ABI_VERSION of the loaded library; the Java side refuses a library whose version differs. */
int32_t vim4j_abi_version(void);

/* Message of the last failure on the calling thread ("" if none). Valid until the next call on this thread. */
const char* vim4j_last_error(void);

/* The instruction-set tier chosen at load time from cpuid, capped by the environment variable
 * VIM4J_MAX_ISA=portable|avx2|avx512. Within the avx512 tier, BF16 layers use avx512_bf16 and INT8 layers
 * avx512_vnni where cpuid reports them, unless VIM4J_AVX512_EXT=none (the fallbacks then run: same results). */
int32_t vim4j_isa(void);

/* A runtime of `threads` threads (1..VIM4J_MAX_THREADS), the caller's included: its calls use up to threads - 1
 * workers of the process's pool, which starts workers on first use until it has as many as the largest runtime
 * needs. Returns NULL on failure (see vim4j_last_error). Free it with vim4j_runtime_destroy. */
struct vim4j_runtime* vim4j_runtime_create(int32_t threads);

/* Frees the runtime; no call may be using it. The pool's workers stay (parked) for the other runtimes. NULL is
 * ignored. */
void vim4j_runtime_destroy(struct vim4j_runtime* runtime);

/* The threads the runtime was created with (1 for NULL). */
int32_t vim4j_runtime_threads(const struct vim4j_runtime* runtime);

/* Floats needed to pack a linear weight W (n, k) for vim4j_linear; -1 if n or k < 1. */
int64_t vim4j_linear_packed_size(int32_t n, int32_t k);

/* Packs W (n, k) row-major (PyTorch layout) into `packed` (vim4j_linear_packed_size floats) for this ISA. */
int32_t vim4j_linear_pack(const float* w, int32_t n, int32_t k, float* packed);

/* Bytes needed to pack a linear weight W (n, k) at `precision` (VIM4J_PRECISION_*) for this ISA: 4 *
 * vim4j_linear_packed_size(n, k) for FP32; -1 if n or k < 1 or the precision is unknown. */
int64_t vim4j_linear_packed_bytes(int32_t precision, int32_t n, int32_t k);

/* Packs fp32 W (n, k) row-major as bf16 (rounded to nearest even, NaN kept) into `packed`
 * (vim4j_linear_packed_bytes(VIM4J_PRECISION_BF16, n, k) bytes) for this ISA. */
int32_t vim4j_linear_pack_bf16(const float* w, int32_t n, int32_t k, void* packed);

/* Packs int8 qw (n, k) row-major, each in [-127, 127] (-128 is refused), into `packed`
 * (vim4j_linear_packed_bytes(VIM4J_PRECISION_INT8, n, k) bytes) for this ISA, with the compensation of each
 * column. The scales are not packed: struct vim4j_linear_weight.scales points at them. */
int32_t vim4j_linear_pack_int8(const int8_t* qw, int32_t n, int32_t k, void* packed);

/* c[i, j] = bias[j] + sum_k a[i, k] * W[j, k] for i < m, j < w->n, k < w->k, at w->precision: the products and
 * sums of docs/precision.md (BF16 and INT8 read a as bf16 or int8 values; an INT8 row's scale is taken over its
 * k values). BF16 sums are fp32 in an order of the library's choosing (avx512_bf16's vdpbf16ps where the CPU has
 * it, which also reads bf16 subnormals as 0); INT8 results equal the definition's bit for bit. */
int32_t vim4j_linear(struct vim4j_runtime* runtime, const struct vim4j_rows* a, int32_t m,
                     const struct vim4j_linear_weight* w, const struct vim4j_rows* c);

/* If hidden != NULL: residual += hidden; then out = residual / sqrt(mean(residual^2) + eps) * weight.
 * `rows` contiguous rows of `dim` floats; out may be residual. */
int32_t vim4j_add_rms_norm(struct vim4j_runtime* runtime, float* residual, const float* hidden, const float* weight,
                           float* out, int32_t rows, int32_t dim, float eps);

/* Depthwise causal conv1d + bias + SiLU over the w->channels columns of `batch` sequences of `len` rows.
 * reverse != 0: causal in the reversed order, output still at the original index. */
int32_t vim4j_conv_silu(struct vim4j_runtime* runtime, const struct vim4j_rows* x, const struct vim4j_conv_weights* w,
                        const struct vim4j_rows* out, int32_t batch, int32_t len, int32_t reverse);

/* The fused selective scan of `batch` sequences of `len` tokens over w->channels channels (Kernels.selectiveScan):
 * dt = softplus(delta + delta_bias) (threshold 20); h = exp(dt * a_t[n, e]) * h + dt * B[t, n] * u;
 * y = C[t, :] . h + d_skip * u; out = (accumulate ? out : 0) + out_scale * y * silu(z).
 * flags: VIM4J_SCAN_REVERSE (t runs len-1..0), VIM4J_SCAN_ACCUMULATE. */
int32_t vim4j_selective_scan(struct vim4j_runtime* runtime, const struct vim4j_scan_inputs* in,
                             const struct vim4j_scan_weights* w, const struct vim4j_rows* out, int32_t batch,
                             int32_t len, int32_t flags, float out_scale);

/* im2col for a strided patch x patch Conv2d of one CHW image: row py*gw+px, column (c*patch+ky)*patch+kx. */
int32_t vim4j_im2col(struct vim4j_runtime* runtime, const float* image, int32_t channels, int32_t height,
                     int32_t width, int32_t patch, int32_t stride, float* out);

/* One whole bimamba-v2 mixer layer for `batch` sequences of `len` tokens (batch * len <= b->rows):
 * b->hidden = out_proj((S_f(x, z) + flip(S_b(flip x, flip z))) / 2) with xz = in_proj(b->normed), using the
 * other buffers of b as scratch. The weights' shapes must agree with each other and with b->dims. Same
 * result, bit for bit, as the primitives composed in the order of Kernels.mixer. */
int32_t vim4j_mixer_forward(struct vim4j_runtime* runtime, const struct vim4j_mixer_weights* w,
                            const struct vim4j_mixer_buffers* b, int32_t batch, int32_t len);

#ifdef __cplusplus
}
#endif

#endif /* VIM4J_H */

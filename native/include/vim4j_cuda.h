/*
 * vim4j_cuda.h - the C ABI of vim4j's CUDA kernels (libvim4j_cuda.so, a library of its own so that CPU-only
 * machines never need CUDA). The single source of truth for the Java bindings vim4j_cuda_h (bindings/, in
 * jextract's shape). Same grammar as vim4j.h: fixed-width integers, floats, single pointers, int32 status codes.
 *
 * Conventions:
 *  - every tensor pointer is a DEVICE pointer (from vim4j_cuda_malloc) unless the name says host; fp32;
 *    leading dimensions (ld*) count floats; activations are token-major exactly as in vim4j.h;
 *  - handles (streams, graphs) are opaque pointers; functions that create something write its address to an
 *    int64_t out-parameter (the bindings' grammar has no double pointers);
 *  - kernels are enqueued on `stream` and return once enqueued: a later vim4j_cuda_stream_synchronize reports
 *    failures of the kernels themselves. Launch and argument failures are reported at once;
 *  - every function returns VIM4J_CUDA_OK or an error code, and vim4j_cuda_last_error() (thread-local) then
 *    names the function and, for CUDA failures, carries cudaGetErrorName/cudaGetErrorString. Nothing aborts
 *    the process; out of memory is VIM4J_CUDA_ERR_OUT_OF_MEMORY with the requested and free byte counts.
 *  - precision, a property of each linear weight (struct vim4j_cuda_linear_weight): VIM4J_CUDA_PRECISION_FP32
 *    (exact fp32 SIMT GEMM, the golden-test mode) or VIM4J_CUDA_PRECISION_TF32 (tensor cores, TF32 inputs, fp32
 *    accumulation) or VIM4J_CUDA_PRECISION_BF16 (tensor cores, bf16 weights and bf16-rounded activations, fp32
 *    accumulation; dt_proj, read by the scan, stays fp32 or tf32);
 *  - no function takes more than 8 parameters: weights, buffers and shapes travel as the structs below.
 */
#ifndef VIM4J_CUDA_H
#define VIM4J_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIM4J_CUDA_ABI_VERSION 2

#define VIM4J_CUDA_OK 0
#define VIM4J_CUDA_ERR_INVALID_ARGUMENT 1
#define VIM4J_CUDA_ERR_NO_DEVICE 2
#define VIM4J_CUDA_ERR_OUT_OF_MEMORY 3
#define VIM4J_CUDA_ERR_CUDA 4
#define VIM4J_CUDA_ERR_INTERNAL 5

#define VIM4J_CUDA_PRECISION_FP32 0
#define VIM4J_CUDA_PRECISION_TF32 1
#define VIM4J_CUDA_PRECISION_BF16 2

#define VIM4J_CUDA_LAYOUT_ROW_MAJOR 0

/* VIM4J_CUDA_ABI_VERSION of the loaded library. Needs no driver or device. */
int32_t vim4j_cuda_abi_version(void);

/* Message of the last failure on the calling thread ("" if none). */
const char* vim4j_cuda_last_error(void);

/* Selects `device` for the calling thread after checking that the driver and the device exist. Writes the
 * device's name (NUL-terminated, truncated to name_capacity) to the host buffer `name`. Without a driver or
 * device: VIM4J_CUDA_ERR_NO_DEVICE with "no CUDA device: <CUDA error text>". */
int32_t vim4j_cuda_init(int32_t device, char* name, int32_t name_capacity);

/* Device properties of the current device: compute capability (major*10+minor), SM count, global memory bytes
 * (host out-parameters, each may be NULL). */
int32_t vim4j_cuda_device_info(int32_t* compute_capability, int32_t* sm_count, int64_t* total_bytes);

/* Free and total device memory (host out-parameters). */
int32_t vim4j_cuda_mem_info(int64_t* free_bytes, int64_t* total_bytes);

/* Bytes currently allocated through vim4j_cuda_malloc in this process, and the peak since the last reset. */
int32_t vim4j_cuda_allocated(int64_t* current_bytes, int64_t* peak_bytes);
int32_t vim4j_cuda_reset_peak(void);

/* Device memory: *address = a new allocation of `bytes` (> 0), 256-byte aligned. */
int32_t vim4j_cuda_malloc(int64_t bytes, int64_t* address);
int32_t vim4j_cuda_free(void* device_ptr);

/* Pinned (page-locked) host memory, for fast asynchronous transfers. */
int32_t vim4j_cuda_host_alloc(int64_t bytes, int64_t* address);
int32_t vim4j_cuda_host_free(void* host_ptr);

/* Streams: *stream = a new non-blocking stream. */
int32_t vim4j_cuda_stream_create(int64_t* stream);
int32_t vim4j_cuda_stream_destroy(void* stream);
int32_t vim4j_cuda_stream_synchronize(void* stream);

/* Asynchronous copy of `bytes` between any two host/device pointers (unified addressing) on `stream`. */
int32_t vim4j_cuda_memcpy(void* dst, const void* src, int64_t bytes, void* stream);

/* Asynchronous zero fill of `bytes` of device memory. */
int32_t vim4j_cuda_memset_zero(void* dst, int64_t bytes, void* stream);

/* CUDA graphs: capture everything enqueued on `stream` between begin and end into an executable graph
 * (*graph). Launch replays it on a stream; destroy frees it. */
int32_t vim4j_cuda_graph_begin(void* stream);
int32_t vim4j_cuda_graph_end(void* stream, int64_t* graph);
int32_t vim4j_cuda_graph_launch(void* graph, void* stream);
int32_t vim4j_cuda_graph_destroy(void* graph);

/* Events for timing: *event = a new event; record on a stream; elapsed milliseconds between two recorded
 * events (waits for the second). */
int32_t vim4j_cuda_event_create(int64_t* event);
int32_t vim4j_cuda_event_destroy(void* event);
int32_t vim4j_cuda_event_record(void* event, void* stream);
int32_t vim4j_cuda_event_elapsed(void* start, void* end, float* milliseconds);

/* ---- Argument structs --------------------------------------------------------------------------------------
 * What belongs together travels as one struct, passed by pointer: a caller builds the structs of a model's weights
 * and of a session's buffers once and passes the same pointers on every call. A struct is read during the call
 * only (its values are captured into the launches), so it may be reused or freed once the call returns, also while
 * a CUDA graph is captured. Plain C, natural alignment, no bit-fields: the Java bindings describe the same layout. */

/* A row-major matrix in device memory: row i starts at float i*ld of data. */
struct vim4j_cuda_rows {
    float* data;
    int64_t ld;
};

/* A linear layer W (n, k) with an optional bias (n), placed for a precision:
 *  - VIM4J_CUDA_PRECISION_FP32 and _TF32 read fp32 weights; VIM4J_CUDA_PRECISION_BF16 reads bf16 weights (n*k
 *    uint16_t bit patterns, round to nearest even, converted by the caller);
 *  - layout VIM4J_CUDA_LAYOUT_ROW_MAJOR: W row-major as PyTorch stores it, weight[j*k + kk]. */
struct vim4j_cuda_linear_weight {
    const void* weight;
    const float* bias;
    int32_t n;
    int32_t k;
    int32_t precision;
    int32_t layout;
};

/* A depthwise conv1d: weight (channels, kernel) row-major, bias (channels). */
struct vim4j_cuda_conv_weights {
    const float* weight;
    const float* bias;
    int32_t channels;
    int32_t kernel;
};

/* One selective scan's parameters: a_t = -exp(A_log) transposed to (states, channels), d_skip = D (channels),
 * delta_bias = dt_proj's bias (channels), added before softplus. */
struct vim4j_cuda_scan_weights {
    const float* a_t;
    const float* d_skip;
    const float* delta_bias;
    int32_t channels;
    int32_t states;
};

/* A scan's per-token inputs, batch*len rows each: u and z (channels wide), delta (dt_proj's output before bias and
 * softplus, channels wide), B and C (states wide; B and C must share one leading dimension, e.g. both inside x_proj's
 * output). */
struct vim4j_cuda_scan_inputs {
    struct vim4j_cuda_rows u;
    struct vim4j_cuda_rows delta;
    struct vim4j_cuda_rows b;
    struct vim4j_cuda_rows c;
    struct vim4j_cuda_rows z;
};

/* A scan's direction and output rule: t runs 0..len-1, or len-1..0 if reverse (read by index, nothing copied);
 * out = (accumulate ? out : 0) + out_scale * y * silu(z). */
struct vim4j_cuda_scan_mode {
    int32_t reverse;
    float out_scale;
    int32_t accumulate;
};

/* One SSM branch of a bimamba-v2 mixer: conv1d (E, K) + bias, x_proj E -> R + 2N (no bias), dt_proj R -> E (its
 * weight only; its bias is scan.delta_bias), and the scan's parameters. */
struct vim4j_cuda_branch_weights {
    struct vim4j_cuda_conv_weights conv;
    struct vim4j_cuda_linear_weight x_proj;
    struct vim4j_cuda_linear_weight dt_proj;
    struct vim4j_cuda_scan_weights scan;
};

/* One bimamba-v2 mixer layer: in_proj D -> 2E and out_proj E -> D (no biases), the forward and backward branches.
 * Each linear layer runs at its own weight's precision. */
struct vim4j_cuda_mixer_weights {
    struct vim4j_cuda_linear_weight in_proj;
    struct vim4j_cuda_branch_weights forward;
    struct vim4j_cuda_branch_weights backward;
    struct vim4j_cuda_linear_weight out_proj;
};

/* The widths of a mixer: D (model), E (inner), N (states), R (dt rank). */
struct vim4j_cuda_mixer_dims {
    int32_t d_model;
    int32_t d_inner;
    int32_t d_state;
    int32_t dt_rank;
};

/* A mixer layer's device buffers for up to `rows` tokens (batch*len <= rows): normed (rows, D) the input, hidden
 * (rows, D) the output, xz (rows, 2E) in_proj's output x | z, delta (rows, E) dt_proj's output (scratch: the fused
 * layer folds dt_proj into the scan and does not touch it), y (rows, E), per direction xc (rows, E) and x_dbl
 * (rows, R + 2N). Each is contiguous (its leading dimension is its width). */
struct vim4j_cuda_mixer_buffers {
    struct vim4j_cuda_mixer_dims dims;
    int64_t rows;
    float* normed;
    float* hidden;
    float* xz;
    float* delta;
    float* y;
    float* xc_f;
    float* xc_b;
    float* x_dbl_f;
    float* x_dbl_b;
};

/* How a strided patch x patch Conv2d tiles a channels x height x width image: a gh x gw grid, gh = (height - patch)
 * / stride + 1 (likewise gw), M = gh*gw patches, each flattened to channels*patch*patch values. */
struct vim4j_cuda_patch_grid {
    int32_t channels;
    int32_t height;
    int32_t width;
    int32_t patch;
    int32_t stride;
};

/* ---- Kernels ------------------------------------------------------------------------------------------------ */

/* c[i, j] = bias[j] + sum_k a[i, k] * W[j, k] (PyTorch's F.linear) for i < m, j < w->n, k < w->k. */
int32_t vim4j_cuda_linear(const float* a, int64_t lda, int32_t m, const struct vim4j_cuda_linear_weight* w, float* c,
                          int64_t ldc, void* stream);

/* As vim4j.h's vim4j_add_rms_norm (hidden may be NULL). */
int32_t vim4j_cuda_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out,
                                int32_t rows, int32_t dim, float eps, void* stream);

/* Depthwise causal conv1d + bias + SiLU over all channels of `batch` sequences of `len` tokens, as vim4j.h's
 * vim4j_conv_silu: reverse reads the sequence in reverse order and still stores at index t. */
int32_t vim4j_cuda_conv_silu(const struct vim4j_cuda_rows* x, const struct vim4j_cuda_conv_weights* w,
                             const struct vim4j_cuda_rows* out, int32_t batch, int32_t len, int32_t reverse,
                             void* stream);

/* The fused selective scan of one branch over all channels (vim4j.h's vim4j_selective_scan; one thread per sequence
 * and channel, the state in registers). */
int32_t vim4j_cuda_selective_scan(const struct vim4j_cuda_scan_inputs* in, const struct vim4j_cuda_scan_weights* w,
                                  const struct vim4j_cuda_rows* out, int32_t batch, int32_t len,
                                  const struct vim4j_cuda_scan_mode* mode, void* stream);

/* im2col of `batch` CHW images stored back to back: row b*M + py*gw + px, column (c*patch+ky)*patch+kx. */
int32_t vim4j_cuda_im2col(const float* images, int32_t batch, const struct vim4j_cuda_patch_grid* grid, float* out,
                          void* stream);

/* dst[i] += src[i] for i < n. */
int32_t vim4j_cuda_add(float* dst, const float* src, int64_t n, void* stream);

/* The token sequence from embedded patches: for each of `batch` images, row t of `residual` (len = patches+1
 * rows of d) is patch t (t < cls), cls_token (t == cls) or patch t-1 (t > cls), plus pos_embed row t;
 * cls = patches / 2. `patch_rows` is (batch * patches, d) and must not overlap `residual`. */
int32_t vim4j_cuda_embed_tokens(const float* patch_rows, const float* cls_token, const float* pos_embed,
                                float* residual, int32_t batch, int32_t patches, int32_t d, void* stream);

/* One whole bimamba-v2 mixer layer, hidden = mixer(normed) for batch*len rows of b, enqueued with few launches:
 * in_proj GEMM; conv1d+SiLU of both directions in one launch; x_proj per direction; both selective scans in one
 * launch (dt_proj folded into the scan, the reverse direction by index, the (forward + backward)/2 merge fused);
 * out_proj GEMM. The weights' widths must match b->dims (and the conv's taps are w's). */
int32_t vim4j_cuda_mixer_forward(const struct vim4j_cuda_mixer_weights* w, const struct vim4j_cuda_mixer_buffers* b,
                                 int32_t batch, int32_t len, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* VIM4J_CUDA_H */

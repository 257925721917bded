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
 *  - precision: VIM4J_CUDA_PRECISION_FP32 (exact fp32 SIMT GEMM, the golden-test mode) or
 *    VIM4J_CUDA_PRECISION_TF32 (tensor cores, TF32 inputs, fp32 accumulation).
 */
#ifndef VIM4J_CUDA_H
#define VIM4J_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIM4J_CUDA_ABI_VERSION 1

#define VIM4J_CUDA_OK 0
#define VIM4J_CUDA_ERR_INVALID_ARGUMENT 1
#define VIM4J_CUDA_ERR_NO_DEVICE 2
#define VIM4J_CUDA_ERR_OUT_OF_MEMORY 3
#define VIM4J_CUDA_ERR_CUDA 4
#define VIM4J_CUDA_ERR_INTERNAL 5

#define VIM4J_CUDA_PRECISION_FP32 0
#define VIM4J_CUDA_PRECISION_TF32 1

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

/* c[i, j] = bias[j] + sum_k a[i, k] * w[j, k] (PyTorch's F.linear) for i < m, j < n; w is (n, k) row-major,
 * unpacked; bias may be NULL. */
int32_t vim4j_cuda_linear(const float* a, int64_t lda, int32_t m, const float* w, const float* bias, int32_t n,
                          int32_t k, float* c, int64_t ldc, int32_t precision, void* stream);

/* As vim4j.h's vim4j_add_rms_norm (hidden may be NULL). */
int32_t vim4j_cuda_add_rms_norm(float* residual, const float* hidden, const float* weight, float* out,
                                int32_t rows, int32_t dim, float eps, void* stream);

/* As vim4j.h's vim4j_conv_silu over all channels. */
int32_t vim4j_cuda_conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                             int32_t batch, int32_t len, int32_t channels, int32_t kernel, int32_t reverse,
                             void* stream);

/* As vim4j.h's vim4j_selective_scan over all channels (one thread per sequence and channel, the state in
 * registers). */
int32_t vim4j_cuda_selective_scan(const float* u, int64_t ldu, const float* delta, int64_t ldd, const float* a_t,
                                  const float* b, const float* c, int64_t ldbc, const float* d_skip,
                                  const float* delta_bias, const float* z, int64_t ldz, float* out, int64_t ldo,
                                  int32_t batch, int32_t len, int32_t channels, int32_t states, int32_t reverse,
                                  float out_scale, int32_t accumulate, void* stream);

/* im2col of `batch` CHW images stored back to back: row b*M + py*gw + px, column (c*patch+ky)*patch+kx. */
int32_t vim4j_cuda_im2col(const float* images, int32_t batch, int32_t channels, int32_t height, int32_t width,
                          int32_t patch, int32_t stride, float* out, void* stream);

/* dst[i] += src[i] for i < n. */
int32_t vim4j_cuda_add(float* dst, const float* src, int64_t n, void* stream);

/* The token sequence from embedded patches: for each of `batch` images, row t of `residual` (len = patches+1
 * rows of d) is patch t (t < cls), cls_token (t == cls) or patch t-1 (t > cls), plus pos_embed row t;
 * cls = patches / 2. `patch_rows` is (batch * patches, d). */
int32_t vim4j_cuda_embed_tokens(const float* patch_rows, const float* cls_token, const float* pos_embed,
                                float* residual, int32_t batch, int32_t patches, int32_t d, void* stream);

/* One whole bimamba-v2 mixer layer, enqueued with few launches: in_proj GEMM; conv1d+SiLU of both directions in
 * one launch; x_proj per direction; both selective scans in one launch (dt_proj folded into the scan, the
 * reverse direction by index, the (forward + backward)/2 merge fused); out_proj GEMM. Weights are raw (unpacked)
 * PyTorch-layout device arrays: in_proj (2E, D), out_proj (D, E), per direction conv (E, K) + bias (E), x_proj
 * (R+2N, E), dt_proj (E, R), dt bias (E), a_t (N, E), D (E). Device workspace: xz rows*2E, xc_f and xc_b rows*E,
 * x_dbl_f and x_dbl_b rows*(R+2N), y rows*E, rows = batch*len. h and hidden are (rows, D). */
int32_t vim4j_cuda_mixer_forward(const float* h, float* hidden, int32_t batch, int32_t len, int32_t d_model,
                                 int32_t d_inner, int32_t d_state, int32_t dt_rank, int32_t d_conv,
                                 const float* in_proj, const float* out_proj,
                                 const float* conv_w_f, const float* conv_b_f, const float* x_proj_f,
                                 const float* dt_proj_f, const float* dt_bias_f, const float* a_t_f, const float* d_f,
                                 const float* conv_w_b, const float* conv_b_b, const float* x_proj_b,
                                 const float* dt_proj_b, const float* dt_bias_b, const float* a_t_b, const float* d_b,
                                 float* xz, float* xc_f, float* xc_b, float* x_dbl_f, float* x_dbl_b, float* y,
                                 int32_t precision, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* VIM4J_CUDA_H */

// Error reporting of libvim4j_cuda: a thread-local last-error message and helpers that turn CUDA runtime
// failures into the ABI's status codes. No C++ exception and no CUDA error ever crosses the C ABI.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

// Export exactly the ABI: the library is built with hidden visibility (plus a version script), so the public
// header's declarations are made default-visible here, where every ABI translation unit includes them.
#pragma GCC visibility push(default)
#include "vim4j_cuda.h"
#pragma GCC visibility pop

namespace vim4j_cuda {

// Records a printf-style message for vim4j_cuda_last_error() and returns `code`.
int32_t fail(int32_t code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Maps a CUDA error to a status (out of memory, no device, or VIM4J_CUDA_ERR_CUDA) and records
// "<function>: <what>: <cudaGetErrorName>: <cudaGetErrorString>". Clears the sticky "last error" of the runtime
// for non-sticky errors so the next call starts clean.
int32_t fail_cuda(const char* function, const char* what, cudaError_t err);

// Checks the launch of the kernels just enqueued (cudaGetLastError): VIM4J_CUDA_OK or the mapped failure.
int32_t check_launch(const char* function);

void clear_error();

// The device chosen by vim4j_cuda_init, made current on the calling thread if it is not yet (the CUDA runtime's
// current device is per host thread, and Java calls arrive from any thread). VIM4J_CUDA_OK or the failure.
int32_t bind_device(const char* function);

// Records the device vim4j_cuda_init selected.
void set_bound_device(int device);

// The calling thread's message ("" if none).
const char* last_error();

}  // namespace vim4j_cuda

// Inside an ABI function: return the mapped status if a CUDA call fails.
#define VIM4J_CUDA_TRY(function, call)                                        \
    do {                                                                      \
        cudaError_t vim4j_err_ = (call);                                      \
        if (vim4j_err_ != cudaSuccess) {                                      \
            return ::vim4j_cuda::fail_cuda((function), #call, vim4j_err_);    \
        }                                                                     \
    } while (0)

// Inside an ABI function: make the selected device current on this thread first.
#define VIM4J_CUDA_BIND(function)                                             \
    do {                                                                      \
        const int32_t vim4j_bind_ = ::vim4j_cuda::bind_device(function);      \
        if (vim4j_bind_ != VIM4J_CUDA_OK) return vim4j_bind_;                 \
    } while (0)

// Inside an ABI function: argument validation with a message naming the argument and its value.
#define VIM4J_CUDA_REQUIRE(function, cond, name, value, rule)                                         \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            return ::vim4j_cuda::fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT,                                \
                                      "%s: invalid argument '%s' = %lld: %s", (function), (name),     \
                                      static_cast<long long>(value), (rule));                         \
        }                                                                                             \
    } while (0)

#define VIM4J_CUDA_NONNULL(function, ptr)                                                             \
    do {                                                                                              \
        if ((ptr) == nullptr) {                                                                       \
            return ::vim4j_cuda::fail(VIM4J_CUDA_ERR_INVALID_ARGUMENT,                                \
                                      "%s: invalid argument '%s': must not be NULL", (function), #ptr); \
        }                                                                                             \
    } while (0)

// Thread-local error text and the CUDA-error-to-status mapping (see status.h).
#include "status.h"

#include <cstdarg>
#include <cstdio>

#include <atomic>

namespace vim4j_cuda {
namespace {
thread_local char g_message[1024] = "";
std::atomic<int> g_device{-1};     // -1 until vim4j_cuda_init: the runtime's default device
thread_local int t_bound = -1;     // the device this thread made current through bind_device
}

void set_bound_device(int device) {
    g_device.store(device);
    t_bound = device;
}

int32_t bind_device(const char* function) {
    const int device = g_device.load(std::memory_order_relaxed);
    if (device < 0 || t_bound == device) return VIM4J_CUDA_OK;
    const cudaError_t err = cudaSetDevice(device);
    if (err != cudaSuccess) return fail_cuda(function, "cudaSetDevice", err);
    t_bound = device;
    return VIM4J_CUDA_OK;
}

const char* last_error() { return g_message; }

void clear_error() { g_message[0] = '\0'; }

int32_t fail(int32_t code, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(g_message, sizeof g_message, fmt, ap);
    va_end(ap);
    return code;
}

int32_t fail_cuda(const char* function, const char* what, cudaError_t err) {
    // cudaGetLastError() resets non-sticky errors; sticky ones (a kernel fault) keep the context broken and
    // every later call reports them again, which is what the caller should see.
    (void)cudaGetLastError();
    int32_t code = VIM4J_CUDA_ERR_CUDA;
    const char* prefix = "";
    if (err == cudaErrorMemoryAllocation) {
        code = VIM4J_CUDA_ERR_OUT_OF_MEMORY;
        prefix = "out of device memory: ";
    } else if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver || err == cudaErrorInvalidDevice ||
               err == cudaErrorStubLibrary || err == cudaErrorCallRequiresNewerDriver ||
               err == cudaErrorSystemDriverMismatch || err == cudaErrorDevicesUnavailable ||
               err == cudaErrorSystemNotReady || err == cudaErrorCompatNotSupportedOnDevice) {
        code = VIM4J_CUDA_ERR_NO_DEVICE;
        prefix = "no CUDA device: ";
    }
    return fail(code, "%s: %s%s failed: %s: %s", function, prefix, what, cudaGetErrorName(err), cudaGetErrorString(err));
}

int32_t check_launch(const char* function) {
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return fail_cuda(function, "kernel launch", err);
    return VIM4J_CUDA_OK;
}

}  // namespace vim4j_cuda

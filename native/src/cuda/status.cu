// Thread-local error text and the CUDA-error-to-status mapping (see status.h).
#include "status.h"

#include <cstdarg>
#include <cstdio>

namespace vim4j_cuda {
namespace {
thread_local char g_message[1024] = "";
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

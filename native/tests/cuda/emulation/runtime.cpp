// The host stand-in for the CUDA runtime (see cuda_runtime.h): host memory, immediate streams that record their
// work while captured, graphs that replay the recorded work, wall-clock events. Tests only.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda_runtime.h"

struct CUstream_st {
    bool capturing = false;
    std::vector<std::function<void()>> ops;
};
struct CUgraph_st {
    std::vector<std::function<void()>> ops;
};
struct CUgraphExec_st {
    std::vector<std::function<void()>> ops;
};
struct CUevent_st {
    std::chrono::steady_clock::time_point t;
};

namespace {
constexpr size_t kDeviceBytes = size_t{16} << 30;  // what the emulated device claims to have
}

namespace vim4j_emulation {
void enqueue(cudaStream_t s, std::function<void()> op) {
    if (s != nullptr && s->capturing) {
        s->ops.push_back(std::move(op));
    } else {
        op();
    }
}
}  // namespace vim4j_emulation

const char* cudaGetErrorName(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        default: return "cudaErrorUnknown";
    }
}

const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInvalidValue: return "invalid argument";
        default: return "unknown error";
    }
}

cudaError_t cudaGetLastError() { return cudaSuccess; }

cudaError_t cudaGetDeviceCount(int* count) {
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }

cudaError_t cudaGetDevice(int* device) {
    *device = 0;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int) {
    std::memset(prop, 0, sizeof *prop);
    std::strcpy(prop->name, "vim4j CUDA emulation on the CPU (tests only, not a GPU)");
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 1;
    prop->totalGlobalMem = kDeviceBytes;
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
    *free_bytes = kDeviceBytes;
    *total_bytes = kDeviceBytes;
    return cudaSuccess;
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
    if (bytes > kDeviceBytes) return cudaErrorMemoryAllocation;
    if (bytes == 0) return cudaErrorInvalidValue;
    // NaN-filled, so a kernel reading memory nobody wrote shows up in the results instead of reading zeros.
    void* m = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (m == nullptr) return cudaErrorMemoryAllocation;
    std::memset(m, 0xFF, bytes);
    *p = m;
    return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
    std::free(p);
    return cudaSuccess;
}

cudaError_t cudaMallocHost(void** p, size_t bytes) { return cudaMalloc(p, bytes); }

cudaError_t cudaFreeHost(void* p) { return cudaFree(p); }

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind, cudaStream_t s) {
    vim4j_emulation::enqueue(s, [=] { std::memmove(dst, src, bytes); });
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t s) {
    vim4j_emulation::enqueue(s, [=] { std::memset(dst, value, bytes); });
    return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
    *s = new CUstream_st();
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t s) {
    delete s;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode) {
    if (s == nullptr || s->capturing) return cudaErrorInvalidValue;
    s->capturing = true;
    s->ops.clear();
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* g) {
    if (s == nullptr || !s->capturing) return cudaErrorInvalidValue;
    s->capturing = false;
    *g = new CUgraph_st{std::move(s->ops)};
    s->ops.clear();
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t g, unsigned long long) {
    *exec = new CUgraphExec_st{g->ops};
    return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t g) {
    delete g;
    return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
    for (const auto& op : exec->ops) vim4j_emulation::enqueue(s, op);
    return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    delete exec;
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* e) {
    *e = new CUevent_st();
    return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t e) {
    delete e;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
    vim4j_emulation::enqueue(s, [=] { e->t = std::chrono::steady_clock::now(); });
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
    *ms = std::chrono::duration<float, std::milli>(b->t - a->t).count();
    return cudaSuccess;
}

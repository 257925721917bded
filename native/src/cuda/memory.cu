// Device and pinned host memory, with the byte counters behind vim4j_cuda_allocated (the peak-memory figures of
// the benchmarks): sizes are kept in a small mutex-guarded table (allocation is never on the hot path).
#include <cstdint>
#include <mutex>
#include <new>
#include <unordered_map>

#include "status.h"
#include "vim4j_cuda.h"

using namespace vim4j_cuda;

namespace {

std::mutex g_lock;
std::unordered_map<void*, int64_t>* g_sizes = nullptr;  // created on first use, never destroyed (no exit-time work)
int64_t g_current = 0;
int64_t g_peak = 0;

bool record(void* p, int64_t bytes) {
    std::lock_guard<std::mutex> guard(g_lock);
    try {
        if (g_sizes == nullptr) g_sizes = new std::unordered_map<void*, int64_t>();
        (*g_sizes)[p] = bytes;
    } catch (const std::bad_alloc&) {
        return false;
    }
    g_current += bytes;
    if (g_current > g_peak) g_peak = g_current;
    return true;
}

void forget(void* p) {
    std::lock_guard<std::mutex> guard(g_lock);
    if (g_sizes == nullptr) return;
    auto it = g_sizes->find(p);
    if (it != g_sizes->end()) {
        g_current -= it->second;
        g_sizes->erase(it);
    }
}

}  // namespace

extern "C" {

int32_t vim4j_cuda_allocated(int64_t* current_bytes, int64_t* peak_bytes) {
    static const char* fn = "vim4j_cuda_allocated";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_NONNULL(fn, current_bytes);
    VIM4J_CUDA_NONNULL(fn, peak_bytes);
    std::lock_guard<std::mutex> guard(g_lock);
    *current_bytes = g_current;
    *peak_bytes = g_peak;
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_reset_peak(void) {
    std::lock_guard<std::mutex> guard(g_lock);
    g_peak = g_current;
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_malloc(int64_t bytes, int64_t* address) {
    static const char* fn = "vim4j_cuda_malloc";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_REQUIRE(fn, bytes > 0, "bytes", bytes, "must be > 0");
    VIM4J_CUDA_NONNULL(fn, address);
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, static_cast<size_t>(bytes));
    if (err == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        size_t f = 0, t = 0;
        (void)cudaMemGetInfo(&f, &t);
        (void)cudaGetLastError();
        return fail(VIM4J_CUDA_ERR_OUT_OF_MEMORY,
                    "vim4j_cuda_malloc: out of device memory allocating %lld bytes (%lld of %lld bytes free): %s",
                    static_cast<long long>(bytes), static_cast<long long>(f), static_cast<long long>(t),
                    cudaGetErrorString(err));
    }
    if (err != cudaSuccess) return fail_cuda(fn, "cudaMalloc", err);
    if (!record(p, bytes)) {
        (void)cudaFree(p);
        return fail(VIM4J_CUDA_ERR_OUT_OF_MEMORY, "%s: out of host memory for the allocation table", fn);
    }
    *address = static_cast<int64_t>(reinterpret_cast<intptr_t>(p));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_free(void* device_ptr) {
    static const char* fn = "vim4j_cuda_free";
    VIM4J_CUDA_BIND(fn);
    if (device_ptr == nullptr) return VIM4J_CUDA_OK;
    forget(device_ptr);
    VIM4J_CUDA_TRY(fn, cudaFree(device_ptr));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_host_alloc(int64_t bytes, int64_t* address) {
    static const char* fn = "vim4j_cuda_host_alloc";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_REQUIRE(fn, bytes > 0, "bytes", bytes, "must be > 0");
    VIM4J_CUDA_NONNULL(fn, address);
    void* p = nullptr;
    VIM4J_CUDA_TRY(fn, cudaMallocHost(&p, static_cast<size_t>(bytes)));
    *address = static_cast<int64_t>(reinterpret_cast<intptr_t>(p));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_host_free(void* host_ptr) {
    static const char* fn = "vim4j_cuda_host_free";
    VIM4J_CUDA_BIND(fn);
    if (host_ptr == nullptr) return VIM4J_CUDA_OK;
    VIM4J_CUDA_TRY(fn, cudaFreeHost(host_ptr));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_memcpy(void* dst, const void* src, int64_t bytes, void* stream) {
    static const char* fn = "vim4j_cuda_memcpy";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_REQUIRE(fn, bytes >= 0, "bytes", bytes, "must be >= 0");
    if (bytes == 0) return VIM4J_CUDA_OK;
    VIM4J_CUDA_NONNULL(fn, dst);
    VIM4J_CUDA_NONNULL(fn, src);
    VIM4J_CUDA_TRY(fn, cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDefault,
                                       static_cast<cudaStream_t>(stream)));
    return VIM4J_CUDA_OK;
}

int32_t vim4j_cuda_memset_zero(void* dst, int64_t bytes, void* stream) {
    static const char* fn = "vim4j_cuda_memset_zero";
    VIM4J_CUDA_BIND(fn);
    VIM4J_CUDA_REQUIRE(fn, bytes >= 0, "bytes", bytes, "must be >= 0");
    if (bytes == 0) return VIM4J_CUDA_OK;
    VIM4J_CUDA_NONNULL(fn, dst);
    VIM4J_CUDA_TRY(fn, cudaMemsetAsync(dst, 0, static_cast<size_t>(bytes), static_cast<cudaStream_t>(stream)));
    return VIM4J_CUDA_OK;
}

}  // extern "C"

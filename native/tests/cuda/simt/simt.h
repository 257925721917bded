// SIMT emulation of the CUDA kernel bodies on the host (tests only). Force-included (-include simt.h) before
// src/cuda's kernel files, whose `kernel<<<cfg>>>(args)` launches run.sh rewrites to
// `vim4j_simt::launch(kernel, vim4j_simt::Config{cfg}, args)`. Every CUDA thread of a block is a fiber with its
// own stack (a few-instruction context switch on x86-64, ucontext elsewhere and under ASan); blocks run one after
// another, so `__shared__` (made `static`) is the block's shared memory. __syncthreads, warp shuffles and the
// tensor-core collectives (simt_mma.h: mma.sync with PTX's per-lane fragment layouts) are cooperative waits, and
// the scheduler reports a deadlock (a barrier some threads never reach) instead of hanging. cp.async copies are
// queued per thread and land only at that thread's cp.async.wait_group, so a missing wait, or a missing barrier
// after it, reads stale shared memory. Checked and reported as errors: launch configurations outside CUDA's
// limits, shuffles naming exited or absent lanes, lanes of a warp disagreeing on the mask, mma.sync by part of a
// warp or on TF32 inputs never rounded (cvt.rna), cp.async sizes / alignment / src-size, a thread exiting with
// copies it never waited for. Not emulated: memory-model races between threads (fibers switch only at the waits),
// the exact rounding of the tensor cores (products of the rounded inputs are accumulated with fma in k order), and
// timing.
#pragma once

#include <cmath>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cuda_runtime.h"  // the emulation's stand-in runtime (streams, enqueue)

// Kernel headers (src/cuda/mma.cuh) pick the emulated tensor-core and async-copy primitives (simt_mma.h) with this.
#define VIM4J_SIMT 1

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
    unsigned x, y, z;
};
struct __attribute__((aligned(8))) float2 {
    float x, y;
};
struct __attribute__((aligned(16))) float4 {
    float x, y, z, w;
};

extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __grid_constant__
#define __restrict__ __restrict

namespace vim4j_simt {

struct Config {
    dim3 grid;
    dim3 block;
    size_t smem;
    cudaStream_t stream;
};

// Errors found (launch limits, shuffles, WMMA rules, deadlocks); the tests fail when it is not empty.
std::vector<std::string>& errors();
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// When set, launches only check their configuration and are recorded in launches() (large shapes, no data).
extern bool dry_run;
std::vector<Config>& launches();

// Runs body() once per thread of every block of the grid.
void run_grid(const Config& c, const std::function<void()>& body);
bool check_config(const Config& c);

template <class F, class... Args>
void launch(F kernel, Config c, Args... args) {
    if (!check_config(c)) return;
    if (dry_run) {
        launches().push_back(c);
        return;
    }
    vim4j_emulation::enqueue(c.stream, [=] { run_grid(c, [&] { kernel(args...); }); });
}

// Cooperative waits of the current fiber.
void sync_block();
// A shuffle: every lane in `mask` passes its 32 bits and reads those of lane `src` (its own when src < 0, which is
// how shfl.up/down leave lanes whose source lies outside their segment). Checks CUDA's rules on the mask.
uint32_t shfl_bits(unsigned mask, uint32_t v, int src, const char* what);
void warp_collective(const char* what);  // all 32 lanes of the warp must arrive
// All 32 lanes contribute `bytes` (at most 64) from `mine`; every lane receives all 32 contributions in `all`
// (32 * bytes, lane-major). A warp collective (the tensor-core instructions are built on it).
void warp_exchange(const void* mine, void* all, size_t bytes, const char* what);
int lane_id();

// cp.async: copies are queued per thread and performed when the thread waits for their group (so a read of the
// destination before cp.async.wait_group, or by another thread before the barrier after it, sees stale data).
void cp_async(void* dst, const void* src, int bytes, int src_bytes);
void cp_async_commit();
void cp_async_wait(int pending_groups);

template <class T>
T shfl_as(unsigned mask, T v, int src, const char* what) {
    static_assert(sizeof(T) == 4, "32-bit shuffles only");
    uint32_t b;
    std::memcpy(&b, &v, 4);
    b = shfl_bits(mask, b, src, what);
    std::memcpy(&v, &b, 4);
    return v;
}

}  // namespace vim4j_simt

inline void __syncthreads() { vim4j_simt::sync_block(); }
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    const int lane = vim4j_simt::lane_id();
    const int src = (lane & ~(width - 1)) | ((lane ^ lane_mask) & (width - 1));
    return vim4j_simt::shfl_as(mask, v, src, "__shfl_xor_sync");
}
template <class T>
inline T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
    const int lane = vim4j_simt::lane_id();
    return vim4j_simt::shfl_as(mask, v, (lane & ~(width - 1)) | (src_lane & (width - 1)), "__shfl_sync");
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    const int lane = vim4j_simt::lane_id();
    const int src = (lane % width) >= static_cast<int>(delta) ? lane - static_cast<int>(delta) : -1;
    return vim4j_simt::shfl_as(mask, v, src, "__shfl_up_sync");
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    const int lane = vim4j_simt::lane_id();
    const int src = (lane % width) + static_cast<int>(delta) < width ? lane + static_cast<int>(delta) : -1;
    return vim4j_simt::shfl_as(mask, v, src, "__shfl_down_sync");
}
template <class T>
inline T __ldg(const T* p) {
    return *p;
}
// CUDA's integer min/max device functions.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline float atomicAdd(float* p, float v) {
    const float old = *p;  // fibers switch only at waits: the read-modify-write is atomic here
    *p = old + v;
    return old;
}

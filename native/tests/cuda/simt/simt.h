// SIMT emulation of the CUDA kernel bodies on the host (tests only). Force-included (-include simt.h) before
// src/cuda's kernel files, whose `kernel<<<cfg>>>(args)` launches run.sh rewrites to
// `vim4j_simt::launch(kernel, vim4j_simt::Config{cfg}, args)`. Every CUDA thread of a block is a fiber
// (ucontext) with its own stack; blocks run one after another, so `__shared__` (made `static`) is the block's
// shared memory. __syncthreads, warp shuffles and the WMMA collectives are cooperative waits, and the
// scheduler reports a deadlock (a barrier some threads never reach) instead of hanging. Checked and reported as
// errors: launch configurations outside CUDA's limits, full-mask shuffles naming exited or absent lanes, lanes of
// a warp disagreeing on the mask, WMMA pointers not 256-bit aligned or ldm not a multiple of 16 bytes, WMMA
// called by part of a warp. Not emulated: memory-model races between threads (fibers switch only at the
// waits), the exact rounding of the tensor cores (products of TF32-rounded inputs are accumulated with fma in
// k order), and timing.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cuda_runtime.h"  // the emulation's stand-in runtime (streams, enqueue)

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
    unsigned x, y, z;
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
float shfl_xor(unsigned mask, float v, int lane_mask);
void warp_collective(const char* what);  // all 32 lanes of the warp must arrive
int lane_id();

}  // namespace vim4j_simt

inline void __syncthreads() { vim4j_simt::sync_block(); }
inline float __shfl_xor_sync(unsigned mask, float v, int lane_mask, int width = 32) {
    if (width != 32) vim4j_simt::error("__shfl_xor_sync: width %d not emulated", width);
    return vim4j_simt::shfl_xor(mask, v, lane_mask);
}
inline float atomicAdd(float* p, float v) {
    const float old = *p;  // fibers switch only at waits: the read-modify-write is atomic here
    *p = old + v;
    return old;
}

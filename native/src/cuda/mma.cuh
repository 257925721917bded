// The tensor-core and asynchronous-copy primitives of the GEMMs (sm_80+ PTX, run on sm_90): mma.sync with TF32 or
// BF16 inputs and fp32 accumulation, cp.async global->shared copies in commit groups, and the input conversions.
// The SIMT emulation (tests/cuda/simt) compiles the same kernel bodies against simt_mma.h instead, which performs
// these per-lane fragment layouts exactly as PTX defines them (so a kernel that misplaces an element fails there).
//
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k8 / m16n8k16"): lane = 4 * g + t (g = lane / 4,
// t = lane % 4).
//  m16n8k8 .tf32:   a[0] = A[g][t], a[1] = A[g+8][t], a[2] = A[g][t+4], a[3] = A[g+8][t+4];
//                   b[0] = B[t][g], b[1] = B[t+4][g]
//  m16n8k16 .bf16:  a[0] = A[g][2t..2t+1], a[1] = A[g+8][2t..2t+1], a[2] = A[g][2t+8..2t+9],
//                   a[3] = A[g+8][2t+8..2t+9]; b[0] = B[2t..2t+1][g], b[1] = B[2t+8..2t+9][g]
//                   (two bf16 per 32-bit register, the lower k in the low half)
//  accumulator:     d[0] = D[g][2t], d[1] = D[g][2t+1], d[2] = D[g+8][2t], d[3] = D[g+8][2t+1]
#pragma once

#include <cstdint>

#ifdef VIM4J_SIMT
#include "simt_mma.h"
#else
#include <cuda_bf16.h>

namespace vim4j_cuda {

// cvt.rna.tf32.f32: round to nearest (ties away) to TF32's 10 mantissa bits.
__device__ __forceinline__ uint32_t to_tf32(float x) {
    uint32_t r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

// Two floats as a bf16x2 register (lo in the low half), round to nearest even.
__device__ __forceinline__ uint32_t pack_bf16x2(float lo, float hi) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&v);
}

__device__ __forceinline__ uint16_t to_bf16(float x) { return __bfloat16_as_ushort(__float2bfloat16_rn(x)); }

// d += A (16x8, row) * B (8x8, col), TF32 inputs, fp32 accumulation.
__device__ __forceinline__ void mma_tf32_16x8x8(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// d += A (16x16, row) * B (16x8, col), BF16 inputs, fp32 accumulation.
__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Copies src_bytes (0..BYTES) from global to shared and zero-fills the rest of the BYTES; BYTES is 4, 8 or 16 and
// both addresses are BYTES-aligned. 16-byte copies bypass L1 (.cg: the tiles are used once per block).
template <int BYTES>
__device__ __forceinline__ void cp_async(void* smem, const void* gmem, int src_bytes) {
    static_assert(BYTES == 4 || BYTES == 8 || BYTES == 16, "cp.async copies 4, 8 or 16 bytes");
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
    if constexpr (BYTES == 16) {
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(src_bytes));
    } else {
        asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(s), "l"(gmem), "n"(BYTES),
                     "r"(src_bytes));
    }
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

}  // namespace vim4j_cuda
#endif

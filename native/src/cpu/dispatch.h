// Internal interface between the C ABI layer (vim4j_api.cpp, compiled for the baseline ISA) and the
// per-ISA kernel translation units (kernels_portable.cpp, kernels_avx2.cpp, kernels_avx512.cpp).
// The kernels here do no argument validation: vim4j_api.cpp validates every call first.
#ifndef VIM4J_DISPATCH_H
#define VIM4J_DISPATCH_H

#include <cstdint>

namespace vim4j {

struct KernelTable {
    int32_t isa;        // VIM4J_ISA_*
    const char* name;   // "portable", "avx2", "avx512"
    int32_t lanes;      // fp32 lanes per vector
    int32_t gemm_mr;    // rows of the GEMM micro-kernel (row splits should be multiples of it)
    int32_t gemm_nr;    // columns of a full packed panel

    int64_t (*linear_packed_size)(int32_t n, int32_t k);
    void (*linear_pack)(const float* w, int32_t n, int32_t k, float* packed);
    int32_t (*linear_panels)(int32_t n);
    // c = bias + a * W^T for rows [0, m) and the columns of packed panels [p0, p1).
    void (*linear)(const float* a, int64_t lda, int32_t m, const float* packed, const float* bias, int32_t n,
                   int32_t k, float* c, int64_t ldc, int32_t p0, int32_t p1);
    void (*add_rms_norm)(float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                         int32_t dim, float eps);
    // Channels [c0, c1) of the conv.
    void (*conv_silu)(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                      int32_t batch, int32_t len, int32_t kernel, bool reverse, int32_t c0, int32_t c1);
    // Channels [c0, c1) of the scan; `channels` is the row length of a_t (its leading dimension).
    void (*selective_scan)(const float* u, int64_t ldu, const float* delta, int64_t ldd, const float* a_t,
                           const float* b, int64_t ldb, const float* c, int64_t ldc, const float* d_skip,
                           const float* delta_bias, const float* z, int64_t ldz, float* out, int64_t ldo,
                           int32_t batch, int32_t len, int32_t channels, int32_t states, bool reverse,
                           float out_scale, bool accumulate, int32_t c0, int32_t c1);
    // Patch rows [py0, py1) of the grid.
    void (*im2col)(const float* image, int32_t channels, int32_t height, int32_t width, int32_t patch,
                   int32_t stride, float* out, int32_t py0, int32_t py1);
};

// One table per tier. They are constant-initialised (no dynamic initialisers in the ISA translation
// units), so merely loading the library never executes an AVX instruction.
namespace portable { extern const KernelTable kTable; }
#if VIM4J_HAVE_X86_TIERS
namespace avx2 { extern const KernelTable kTable; }
namespace avx512 { extern const KernelTable kTable; }
#endif

}  // namespace vim4j

#endif

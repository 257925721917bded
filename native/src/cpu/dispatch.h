// Internal interface between the C ABI layer (vim4j_api.cpp, compiled for the baseline ISA) and the
// per-ISA kernel translation units (kernels_portable.cpp, kernels_avx2.cpp, kernels_avx512.cpp).
// The kernels here do no argument validation: vim4j_api.cpp validates every call first.
#ifndef VIM4J_DISPATCH_H
#define VIM4J_DISPATCH_H

#include <cstdint>

namespace vim4j {

// CPU extensions the avx512 tier may use for BF16 / INT8 layers (detected once at load time, vim4j_api.cpp); the
// other tiers ignore them.
constexpr int32_t kFeatureBf16 = 1;  // avx512_bf16: vdpbf16ps
constexpr int32_t kFeatureVnni = 2;  // avx512_vnni: vpdpbusd
int32_t cpu_features();

// One BF16 or INT8 GEMM call on activations already converted by KernelTable::lowp_convert: rows [0, m) of
// a (32-bit words, row i at a + i * lda) and of c. The weight's precision picks the kernel.
struct LowpArgs {
    const void* a;
    int64_t lda;
    const float* sa;  // INT8: the rows' activation scales
    int32_t m;
    int32_t features;  // kFeature* bits the kernel may use
    const void* packed;
    const float* bias;
    const float* scales;  // INT8: the columns' weight scales
    int32_t n, k, precision;
    float* c;
    int64_t ldc;
};

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
    // Bytes of W (n, k) packed at a VIM4J_PRECISION_* (-1 for an unknown one), and the BF16 / INT8 packers.
    int64_t (*linear_packed_bytes)(int32_t precision, int32_t n, int32_t k);
    void (*linear_pack_bf16)(const float* w, int32_t n, int32_t k, void* packed);
    void (*linear_pack_int8)(const int8_t* qw, int32_t n, int32_t k, void* packed);
    // 32-bit words per row of converted activations for a BF16 / INT8 GEMM of depth k with these features.
    int64_t (*lowp_row_words)(int32_t precision, int32_t features, int32_t k);
    // Converts `rows` rows of a (fp32) for a BF16 / INT8 GEMM: rows of lowp_row_words words at out + i * ldo;
    // INT8 also writes each row's scale to sa[i].
    void (*lowp_convert)(int32_t precision, int32_t features, const float* a, int64_t lda, int32_t rows, int32_t k,
                         void* out, int64_t ldo, float* sa);
    // c = bias + a * W^T at the weight's precision for the columns of packed panels [p0, p1).
    void (*linear_lowp)(const LowpArgs& g, int32_t p0, int32_t p1);
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

// WMMA stand-in for the SIMT emulation (see simt.h): every lane holds the whole tile, so the semantics (which
// element goes where for row/col major, ldm, pointer offsets) are exact while the per-lane layout is not.
// Checks CUDA's rules: mptr 256-bit aligned, ldm a multiple of 16 bytes, the whole warp taking part.
#pragma once

#include <cstdint>
#include <cstring>

#include "simt.h"

namespace nvcuda {
namespace wmma {

struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
namespace precision {
struct tf32 {};
}
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment;

template <class Layout>
struct fragment<matrix_a, 16, 16, 8, precision::tf32, Layout> {  // A: 16 x 8, x[m * 8 + k]
    static constexpr int num_elements = 16 * 8;
    float x[num_elements];
};
template <class Layout>
struct fragment<matrix_b, 16, 16, 8, precision::tf32, Layout> {  // B: 8 x 16, x[k * 16 + n]
    static constexpr int num_elements = 8 * 16;
    float x[num_elements];
};
template <>
struct fragment<accumulator, 16, 16, 8, float, void> {  // C: 16 x 16, x[m * 16 + n]
    static constexpr int num_elements = 16 * 16;
    float x[num_elements];
};

inline void check_ptr(const char* what, const void* p, unsigned ldm) {
    vim4j_simt::warp_collective(what);
    if (reinterpret_cast<uintptr_t>(p) % 32 != 0) vim4j_simt::error("%s: pointer %p not 256-bit aligned", what, p);
    if (ldm % 4 != 0) vim4j_simt::error("%s: ldm %u not a multiple of 4 floats (16 bytes)", what, ldm);
}

// cvt.rna.tf32.f32: round to nearest, ties away from zero, to 10 mantissa bits (low 13 bits zero).
inline float __float_to_tf32(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    if ((b & 0x7f800000u) != 0x7f800000u) b = (b + 0x1000u) & 0xffffe000u;
    std::memcpy(&f, &b, 4);
    return f;
}

inline void fill_fragment(fragment<accumulator, 16, 16, 8, float, void>& f, float v) {
    for (float& e : f.x) e = v;
}

inline void load_matrix_sync(fragment<matrix_a, 16, 16, 8, precision::tf32, row_major>& f, const float* p, unsigned ldm) {
    check_ptr("wmma::load_matrix_sync(matrix_a, row_major)", p, ldm);
    for (int m = 0; m < 16; ++m)
        for (int k = 0; k < 8; ++k) f.x[m * 8 + k] = p[static_cast<size_t>(m) * ldm + k];
}
inline void load_matrix_sync(fragment<matrix_a, 16, 16, 8, precision::tf32, col_major>& f, const float* p, unsigned ldm) {
    check_ptr("wmma::load_matrix_sync(matrix_a, col_major)", p, ldm);
    for (int m = 0; m < 16; ++m)
        for (int k = 0; k < 8; ++k) f.x[m * 8 + k] = p[static_cast<size_t>(k) * ldm + m];
}
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 8, precision::tf32, row_major>& f, const float* p, unsigned ldm) {
    check_ptr("wmma::load_matrix_sync(matrix_b, row_major)", p, ldm);
    for (int k = 0; k < 8; ++k)
        for (int n = 0; n < 16; ++n) f.x[k * 16 + n] = p[static_cast<size_t>(k) * ldm + n];
}
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 8, precision::tf32, col_major>& f, const float* p, unsigned ldm) {
    check_ptr("wmma::load_matrix_sync(matrix_b, col_major)", p, ldm);
    for (int k = 0; k < 8; ++k)
        for (int n = 0; n < 16; ++n) f.x[k * 16 + n] = p[static_cast<size_t>(n) * ldm + k];
}

template <class LA, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, 8, float, void>& d,
                     const fragment<matrix_a, 16, 16, 8, precision::tf32, LA>& a,
                     const fragment<matrix_b, 16, 16, 8, precision::tf32, LB>& b,
                     const fragment<accumulator, 16, 16, 8, float, void>& c) {
    vim4j_simt::warp_collective("wmma::mma_sync");
    fragment<accumulator, 16, 16, 8, float, void> r;
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 16; ++n) {
            float s = c.x[m * 16 + n];
            // the tensor cores use only the TF32 bits of the inputs, converted or not
            for (int k = 0; k < 8; ++k) {
                float av = a.x[m * 8 + k], bv = b.x[k * 16 + n];
                uint32_t ab, bb;
                std::memcpy(&ab, &av, 4);
                std::memcpy(&bb, &bv, 4);
                if ((ab & 0x1fffu) != 0 || (bb & 0x1fffu) != 0) {
                    vim4j_simt::error("wmma::mma_sync: an input is not a TF32 value (missing __float_to_tf32)");
                    ab &= 0xffffe000u;
                    bb &= 0xffffe000u;
                    std::memcpy(&av, &ab, 4);
                    std::memcpy(&bv, &bb, 4);
                }
                s = std::fma(av, bv, s);
            }
            r.x[m * 16 + n] = s;
        }
    d = r;
}

inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 8, float, void>& f, unsigned ldm,
                              layout_t layout) {
    check_ptr("wmma::store_matrix_sync", p, ldm);
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 16; ++n) {
            float* q = layout == mem_row_major ? p + static_cast<size_t>(m) * ldm + n : p + static_cast<size_t>(n) * ldm + m;
            *q = f.x[m * 16 + n];
        }
}

}  // namespace wmma
}  // namespace nvcuda

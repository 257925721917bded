// The SIMT emulation's stand-ins for src/cuda/mma.cuh: mma.sync as a warp collective that places every element
// exactly where PTX's fragment layouts put it (each lane contributes its registers, the lane computes its own
// accumulator elements from the assembled tiles), TF32/BF16 conversions bit-exact, cp.async deferred to the
// thread's wait (see simt.h). The tensor cores' own summation order is approximated by fma in k order.
#pragma once

#include <cstdint>
#include <cstring>

#include "simt.h"

namespace vim4j_cuda {

inline uint32_t float_bits(float x) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return b;
}
inline float bits_float(uint32_t b) {
    float x;
    std::memcpy(&x, &b, 4);
    return x;
}

// cvt.rna.tf32.f32 (the result keeps the fp32 format with the low 13 bits zero).
inline uint32_t to_tf32(float x) {
    uint32_t b = float_bits(x);
    if ((b & 0x7f800000u) != 0x7f800000u) b = (b + 0x1000u) & 0xffffe000u;
    return b;
}

// Round to nearest even; NaN stays a (quiet) NaN.
inline uint16_t to_bf16(float x) {
    const uint32_t b = float_bits(x);
    if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((b >> 16) | 0x40u);
    return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}
inline float bf16_float(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

inline uint32_t pack_bf16x2(float lo, float hi) { return to_bf16(lo) | (static_cast<uint32_t>(to_bf16(hi)) << 16); }

namespace simt_detail {
struct Frag {
    uint32_t a[4], b[2];
    float d[4];
};

// Collects every lane's fragments and returns this lane's D = C + A * B. A(m, k) and B(k, n) give the element of
// lane (g, t)'s registers as the fragment layouts define them.
template <int K, class AElem, class BElem>
inline void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2], const char* what, AElem a_at,
                BElem b_at) {
    Frag mine;
    std::memcpy(mine.a, a, sizeof mine.a);
    std::memcpy(mine.b, b, sizeof mine.b);
    std::memcpy(mine.d, d, sizeof mine.d);
    Frag all[32];
    vim4j_simt::warp_exchange(&mine, all, sizeof(Frag), what);
    float A[16][K], B[K][8], C[16][8];
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        a_at(all[lane].a, g, t, A);
        b_at(all[lane].b, g, t, B);
        C[g][2 * t] = all[lane].d[0];
        C[g][2 * t + 1] = all[lane].d[1];
        C[g + 8][2 * t] = all[lane].d[2];
        C[g + 8][2 * t + 1] = all[lane].d[3];
    }
    const int lane = vim4j_simt::lane_id(), g = lane / 4, t = lane % 4;
    const int rows[4] = {g, g, g + 8, g + 8}, cols[4] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1};
    for (int i = 0; i < 4; ++i) {
        float s = C[rows[i]][cols[i]];
        for (int k = 0; k < K; ++k) s = std::fma(A[rows[i]][k], B[k][cols[i]], s);
        d[i] = s;
    }
}

inline float tf32_checked(uint32_t bits) {
    if ((bits & 0x1fffu) != 0) {
        vim4j_simt::error("mma.sync tf32: an input is not a TF32 value (missing cvt.rna.tf32.f32)");
        bits &= 0xffffe000u;  // the tensor cores ignore the low bits
    }
    return bits_float(bits);
}
}  // namespace simt_detail

inline void mma_tf32_16x8x8(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    using simt_detail::tf32_checked;
    simt_detail::mma<8>(
        d, a, b, "mma.sync.m16n8k8.tf32",
        [](const uint32_t* r, int g, int t, float (&A)[16][8]) {
            A[g][t] = tf32_checked(r[0]);
            A[g + 8][t] = tf32_checked(r[1]);
            A[g][t + 4] = tf32_checked(r[2]);
            A[g + 8][t + 4] = tf32_checked(r[3]);
        },
        [](const uint32_t* r, int g, int t, float (&B)[8][8]) {
            B[t][g] = tf32_checked(r[0]);
            B[t + 4][g] = tf32_checked(r[1]);
        });
}

inline void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    simt_detail::mma<16>(
        d, a, b, "mma.sync.m16n8k16.bf16",
        [](const uint32_t* r, int g, int t, float (&A)[16][16]) {
            const int rows[4] = {g, g + 8, g, g + 8}, cols[4] = {2 * t, 2 * t, 2 * t + 8, 2 * t + 8};
            for (int i = 0; i < 4; ++i) {
                A[rows[i]][cols[i]] = bf16_float(static_cast<uint16_t>(r[i] & 0xffffu));
                A[rows[i]][cols[i] + 1] = bf16_float(static_cast<uint16_t>(r[i] >> 16));
            }
        },
        [](const uint32_t* r, int g, int t, float (&B)[16][8]) {
            B[2 * t][g] = bf16_float(static_cast<uint16_t>(r[0] & 0xffffu));
            B[2 * t + 1][g] = bf16_float(static_cast<uint16_t>(r[0] >> 16));
            B[2 * t + 8][g] = bf16_float(static_cast<uint16_t>(r[1] & 0xffffu));
            B[2 * t + 9][g] = bf16_float(static_cast<uint16_t>(r[1] >> 16));
        });
}

template <int BYTES>
inline void cp_async(void* smem, const void* gmem, int src_bytes) {
    static_assert(BYTES == 4 || BYTES == 8 || BYTES == 16, "cp.async copies 4, 8 or 16 bytes");
    vim4j_simt::cp_async(smem, gmem, BYTES, src_bytes);
}
inline void cp_async_commit() { vim4j_simt::cp_async_commit(); }
template <int N>
inline void cp_async_wait() {
    vim4j_simt::cp_async_wait(N);
}

}  // namespace vim4j_cuda

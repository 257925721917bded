// Portable vector layer: GCC/Clang generic vectors of 4 fp32 lanes. Compiled with the baseline flags of
// the target (SSE2 on x86-64), never with AVX: this is the tier that must run on every CPU.
// Everything lives in an anonymous namespace (internal linkage).
#ifndef VIM4J_SIMD_PORTABLE_H
#define VIM4J_SIMD_PORTABLE_H

#if defined(__AVX__) || defined(__AVX2__) || defined(__AVX512F__) || defined(__FMA__)
#error "the portable tier must be compiled without AVX/AVX2/AVX-512/FMA flags"
#endif

#include <cstdint>

namespace vim4j {
namespace portable {
namespace {

constexpr int W = 4;
constexpr const char* kTierName = "portable";
typedef float vf __attribute__((vector_size(16)));
typedef int32_t vi __attribute__((vector_size(16)));
typedef uint32_t vu __attribute__((vector_size(16)));
typedef int vmask;  // number of leading active lanes

inline vf vzero() { return vf{0.0f, 0.0f, 0.0f, 0.0f}; }
inline vf vset1(float x) { return vf{x, x, x, x}; }
inline vf vload(const float* p) {
    vf v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}
inline void vstore(float* p, vf v) { __builtin_memcpy(p, &v, sizeof(v)); }
inline vmask vmask_first(int r) { return r; }
inline vf vload_m(const float* p, vmask m) {
    vf v = vzero();
    for (int i = 0; i < m; ++i) v[i] = p[i];
    return v;
}
inline void vstore_m(float* p, vf v, vmask m) {
    for (int i = 0; i < m; ++i) p[i] = v[i];
}

inline vf vadd(vf a, vf b) { return a + b; }
inline vf vsub(vf a, vf b) { return a - b; }
inline vf vmul(vf a, vf b) { return a * b; }
inline vf vdiv(vf a, vf b) { return a / b; }
inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
inline vf vrecip(vf v) { return vset1(1.0f) / v; }
inline vf vmax_bound(vf bound, vf x) { return x < bound ? bound : x; }  // NaN in x is kept
// -|v| by setting the sign bit; NaN stays NaN.
inline vf vneg_abs(vf v) { return (vf)((vu)v | 0x80000000u); }
inline vf vmin_bound(vf bound, vf x) { return x > bound ? bound : x; }
inline vf vselect_gt(vf a, vf b, vf x, vf y) { return a > b ? x : y; }
inline float vhsum(vf v) { return (v[0] + v[2]) + (v[1] + v[3]); }

inline void vfrexp_sqrt2(vf x, vf& m, vf& k) {
    vi xi = (vi)x;
    vi ki = (xi - 0x3f3504f3) >> 23;  // arithmetic shift
    m = (vf)((vu)xi - ((vu)ki << 23));
    k = __builtin_convertvector(ki, vf);
}

// 2^x, same algorithm as the AVX2 tier: clamp to [-127, 128] (NaN kept), magic-number rounding,
// degree-5 polynomial, 2^k in the exponent field (k = -127 gives +0, k = 128 gives inf).
inline vf vexp2_fast(vf x) {
    const vf magic = vset1(0x1.8p23f);
    x = vmax_bound(vset1(-127.0f), x);
    x = vmin_bound(vset1(128.0f), x);
    const vf t = x + magic;
    const vf k = t - magic;
    const vf f = x - k;
    vf p = vset1(0x1.5bba14p-10f);
    p = p * f + 0x1.3cea88p-7f;
    p = p * f + 0x1.c6b752p-5f;
    p = p * f + 0x1.ebf9bcp-3f;
    p = p * f + 0x1.62e42ap-1f;
    p = p * f + 1.0f;
    const vu bits = ((vu)t + 127u) << 23;
    return p * (vf)bits;
}

// e^x for x <= 88 (NaN kept), same algorithm as the AVX2 tier (Cody-Waite, degree 5, 2^k as two normal
// factors so subnormal results round correctly; clamp at -104).
inline vf vexp_le88(vf x) {
    const vf magic = vset1(0x1.8p23f);
    x = vmax_bound(vset1(-104.0f), x);
    const vf t = x * 0x1.715476p+0f + magic;
    const vf k = t - magic;
    vf r = x - k * 0x1.62e4p-1f;
    r = r - k * 0x1.7f7d1cp-20f;
    vf p = vset1(0x1.0fa834p-7f);
    p = p * r + 0x1.573a54p-5f;
    p = p * r + 0x1.555a6ap-3f;
    p = p * r + 0x1.fffdc6p-2f;
    p = p * r + 0x1.fffff6p-1f;
    p = p * r + 1.0f;
    const vi ki = (vi)t - (vi)magic;  // k in [-150, 127] (the low mantissa bits of t)
    const vi k1 = ki >> 1;
    const vi k2 = ki - k1;
    const vf s1 = (vf)((vu)(k1 + 127) << 23);
    const vf s2 = (vf)((vu)(k2 + 127) << 23);
    return p * s1 * s2;
}

}  // namespace
}  // namespace portable
}  // namespace vim4j

#endif

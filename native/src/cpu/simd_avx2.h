// AVX2 + FMA vector layer: 8 fp32 lanes per ymm, lane-mask tails (vmaskmovps).
// Only kernels_avx2.cpp includes this, and only that file is compiled with -mavx2 -mfma.
// Everything lives in an anonymous namespace (internal linkage).
#ifndef VIM4J_SIMD_AVX2_H
#define VIM4J_SIMD_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__)
#error "simd_avx2.h must be compiled with -mavx2 -mfma"
#endif
#if defined(__AVX512F__)
#error "the AVX2 tier must not be compiled with AVX-512 enabled"
#endif

#include <immintrin.h>
#include <cstdint>

namespace vim4j {
namespace avx2 {
namespace {

constexpr int W = 8;
constexpr const char* kTierName = "avx2";
typedef __m256 vf;
typedef __m256i vi;
typedef __m256i vmask;

inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vset1(float x) { return _mm256_set1_ps(x); }
inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm256_storeu_ps(p, v); }
inline vmask vmask_first(int r) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
// vmaskmovps: masked-off lanes read as 0 and are never accessed (no fault).
inline vf vload_m(const float* p, vmask m) { return _mm256_maskload_ps(p, m); }
inline void vstore_m(float* p, vf v, vmask m) { _mm256_maskstore_ps(p, m, v); }

inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
// 1/v for finite nonzero v to about 1-2 ulp: 12-bit estimate plus one Newton step.
inline vf vrecip(vf v) {
    const vf r = _mm256_rcp_ps(v);
    return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(v, r, _mm256_set1_ps(1.0f)), r);
}
inline vf vmax_bound(vf bound, vf x) { return _mm256_max_ps(bound, x); }  // NaN in x is kept
// -|v| by setting the sign bit: one logic op; NaN stays NaN.
inline vf vneg_abs(vf v) { return _mm256_or_ps(v, _mm256_set1_ps(-0.0f)); }
inline vf vmin_bound(vf bound, vf x) { return _mm256_min_ps(bound, x); }
inline vf vselect_gt(vf a, vf b, vf x, vf y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
inline float vhsum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline void vfrexp_sqrt2(vf x, vf& m, vf& k) {
    vi xi = _mm256_castps_si256(x);
    vi ki = _mm256_srai_epi32(_mm256_sub_epi32(xi, _mm256_set1_epi32(0x3f3504f3)), 23);
    m = _mm256_castsi256_ps(_mm256_sub_epi32(xi, _mm256_slli_epi32(ki, 23)));
    k = _mm256_cvtepi32_ps(ki);
}

// 2^x: x clamped to [-127, 128] (NaN kept), k = round(x) by the 1.5*2^23 magic number (whose low
// mantissa bits then hold k), f = x - k, degree-5 polynomial, times 2^k built in the exponent field
// (k = -127 gives +0, k = 128 gives inf).
inline vf vexp2_fast(vf x) {
    const vf magic = _mm256_set1_ps(0x1.8p23f);
    x = _mm256_max_ps(_mm256_set1_ps(-127.0f), x);
    x = _mm256_min_ps(_mm256_set1_ps(128.0f), x);
    const vf t = _mm256_add_ps(x, magic);
    const vf k = _mm256_sub_ps(t, magic);
    const vf f = _mm256_sub_ps(x, k);
    vf p = _mm256_set1_ps(0x1.5bba14p-10f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.3cea88p-7f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.c6b752p-5f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.ebf9bcp-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.62e42ap-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    const vi bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// e^x for x <= 88 (the callers bound it; NaN kept) to about 1-2 ulp: Cody-Waite reduction x = k*ln2 + r,
// degree-5 minimax polynomial, 2^k applied as two normal factors 2^(k>>1) * 2^(k-(k>>1)) so subnormal
// results round correctly. x is clamped at -104 (e^-104 rounds to 0).
inline vf vexp_le88(vf x) {
    const vf magic = _mm256_set1_ps(0x1.8p23f);
    x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
    const vf t = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(0x1.715476p+0f)), magic);
    const vf k = _mm256_sub_ps(t, magic);
    vf r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0x1.62e4p-1f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0x1.7f7d1cp-20f), r);
    vf p = _mm256_set1_ps(0x1.0fa834p-7f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.573a54p-5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.555a6ap-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.fffdc6p-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.fffff6p-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const vi ki = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));  // k in [-150, 127]
    const vi k1 = _mm256_srai_epi32(ki, 1);
    const vi k2 = _mm256_sub_epi32(ki, k1);
    const vi bias = _mm256_set1_epi32(127);
    const vf s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    const vf s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

}  // namespace
}  // namespace avx2
}  // namespace vim4j

#endif

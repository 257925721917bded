// AVX-512 (F + DQ + BW + VL) vector layer: 16 fp32 lanes per zmm, k-mask tails.
// Only kernels_avx512.cpp includes this, and only that file is compiled with AVX-512 flags.
// Everything here lives in an anonymous namespace (internal linkage): nothing compiled with AVX-512
// flags can be merged by the linker into a symbol another tier calls.
#ifndef VIM4J_SIMD_AVX512_H
#define VIM4J_SIMD_AVX512_H

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__FMA__)
#error "simd_avx512.h must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma"
#endif

#include <immintrin.h>
#include <cstdint>

namespace vim4j {
namespace avx512 {
namespace {

constexpr int W = 16;  // fp32 lanes per vector
constexpr const char* kTierName = "avx512";
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vmask;

inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vset1(float x) { return _mm512_set1_ps(x); }
inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm512_storeu_ps(p, v); }
// Mask of the first r lanes, 0 <= r <= W.
inline vmask vmask_first(int r) { return static_cast<vmask>((1u << r) - 1u); }
// Masked-off lanes read as 0 and are never touched in memory (fault suppression).
inline vf vload_m(const float* p, vmask m) { return _mm512_maskz_loadu_ps(m, p); }
inline void vstore_m(float* p, vf v, vmask m) { _mm512_mask_storeu_ps(p, m, v); }

inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }  // a*b + c
// max/min with a constant bound that keep a NaN in x (x86 returns the second operand if either is NaN).
inline vf vmax_bound(vf bound, vf x) { return _mm512_max_ps(bound, x); }
inline vf vmin_bound(vf bound, vf x) { return _mm512_min_ps(bound, x); }
// a > b ? x : y (false for NaN a).
inline vf vselect_gt(vf a, vf b, vf x, vf y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), y, x);
}
inline float vhsum(vf v) { return _mm512_reduce_add_ps(v); }
// -|v| by setting the sign bit: one logic op; NaN stays NaN.
inline vf vneg_abs(vf v) { return _mm512_or_ps(v, _mm512_set1_ps(-0.0f)); }
// 1/v for finite nonzero v to about 1 ulp: 14-bit estimate plus one Newton step (cheaper than vdivps).
inline vf vrecip(vf v) {
    const vf r = _mm512_rcp14_ps(v);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(v, r, _mm512_set1_ps(1.0f)), r);
}

// Decomposition for the logarithm: x = m * 2^k with m in [sqrt(1/2), sqrt(2)), for finite x >= 1.
inline void vfrexp_sqrt2(vf x, vf& m, vf& k) {
    vi xi = _mm512_castps_si512(x);
    vi ki = _mm512_srai_epi32(_mm512_sub_epi32(xi, _mm512_set1_epi32(0x3f3504f3)), 23);
    m = _mm512_castsi512_ps(_mm512_sub_epi32(xi, _mm512_slli_epi32(ki, 23)));
    k = _mm512_cvtepi32_ps(ki);
}

// 2^x = 2^f * 2^floor(x) with f = x - floor(x) in [0, 1): vreduceps (round-down mode) gives f in one
// instruction, and vscalefps multiplies by 2^floor(x) itself (it floors its exponent operand), so no
// separate rounding step is needed: 7 instructions, one fewer than the round-to-nearest form. That matters
// because this exp is the selective scan's inner-loop cost (one per state update). 2^f on [0, 1) is a
// degree-5 polynomial fitted for relative error with p(0) = 1 exactly (max rel err 1.8e-7 in fp32
// evaluation). Special values need no clamp: vreduceps gives 0 for |x| >= 2^23 and +-inf, so
// exp2(-inf) = 0, exp2(+inf) = inf, exp2(NaN) = NaN; underflow to 0 and subnormals come from vscalefps.
inline vf vexp2_fast(vf x) {
    const vf f = _mm512_reduce_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    vf p = _mm512_set1_ps(0x1.e974fcp-10f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0x1.277854p-7f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0x1.c91ce6p-5f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0x1.ebdb56p-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0x1.62e4bap-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, x);
}

// e^x for x <= 88 (the callers bound it; NaN kept) to about 1-2 ulp: Cody-Waite reduction x = k*ln2 + r,
// |r| <= ln2/2, degree-5 minimax polynomial (9e-8 relative), vscalefps for 2^k (subnormal results and
// underflow to 0 included). The clamp at -200 only keeps r finite for x = -inf.
inline vf vexp_le88(vf x) {
    x = _mm512_max_ps(_mm512_set1_ps(-200.0f), x);
    const vf k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(0x1.715476p+0f)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    vf r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0x1.62e4p-1f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0x1.7f7d1cp-20f), r);
    vf p = _mm512_set1_ps(0x1.0fa834p-7f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.573a54p-5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.555a6ap-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.fffdc6p-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.fffff6p-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}

}  // namespace
}  // namespace avx512
}  // namespace vim4j

#endif

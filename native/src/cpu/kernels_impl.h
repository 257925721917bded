// The kernels, written once against the small vector layer of a tier (simd_<tier>.h) and compiled three
// times: kernels_portable.cpp, kernels_avx2.cpp and kernels_avx512.cpp include the tier's vector layer,
// define VIM4J_TIER_NS / VIM4J_TIER_ISA and include this file. Everything except the tier's kTable has
// internal linkage, and no function here uses a C++ library template, so no code compiled with one
// tier's flags can be picked by the linker for another tier. No namespace-scope object needs dynamic
// initialisation (kTable is constant-initialised), so loading the library runs none of this code.
//
// No argument validation happens here (vim4j_api.cpp does it); all sizes are already checked.

#if !defined(VIM4J_TIER_NS) || !defined(VIM4J_TIER_ISA)
#error "define VIM4J_TIER_NS and VIM4J_TIER_ISA and include the tier's simd header first"
#endif

#include <cstdint>
#include <cstring>

#include "dispatch.h"

namespace vim4j {
namespace VIM4J_TIER_NS {
namespace {

// ---------------------------------------------------------------------------------------------------
// Elementwise functions
// ---------------------------------------------------------------------------------------------------

constexpr float kLog2e = 0x1.715476p+0f;

inline int imin(int a, int b) { return a < b ? a : b; }

// 1 + e^-x, with e^-x taken at min(-x, 88) so the sum stays finite (x < -88 then gives silu(x) of about
// x * 6e-38 instead of x * e^x: both negligible). NaN propagates.
inline vf vsilu_den(vf x) { return vadd(vset1(1.0f), vexp_le88(vmin_bound(vset1(88.0f), vmul(x, vset1(-1.0f))))); }

// silu(x) = x / (1 + e^-x), the reciprocal as estimate + Newton step (the conv's gate: pipelined FP ops).
inline vf vsilu(vf x) { return vmul(x, vrecip(vsilu_den(x))); }

// The same with a true division, for the selective scan: there the FMA/FP pipes are saturated by the
// recurrence while the divider is a separate unit with throughput to spare for the two divisions per token
// and channel vector, so one vdivps is cheaper than the three pipelined ops of vrecip (and exactly rounded).
inline vf vsilu_div(vf x) { return vdiv(x, vsilu_den(x)); }

// softplus(v) = log1p(e^v), and v itself for v > 20 (Mamba's threshold), as max(v, 0) + log1p(w) with
// w = e^-|v| in (0, 1]: log1p(w) = 2 atanh(s) = s * g(s^2), s = w / (2 + w) in (0, 1/3], g a degree-4
// minimax fit of 2 atanh(s)/s on s^2 in [0, 1/9] (fit error below 1e-8; the fp32 evaluation of the whole
// log1p(w) stays within 2.2e-7 relative, the same as the 7-term atanh series it replaces, whose own floor is
// the rounding of s). Above v = 20 no select is needed: log1p(w) < 2.1e-9 is then below half an ulp of v,
// so the fused max(v, 0) + s * g rounds to v exactly. NaN propagates; -inf gives 0, +inf gives inf.
inline vf vsoftplus(vf v) {
    const vf w = vexp_le88(vneg_abs(v));
    const vf s = vdiv(w, vadd(vset1(2.0f), w));  // divider, not FP pipes (see vsilu_div)
    const vf s2 = vmul(s, s);
    vf p = vset1(0x1.208bd0p-2f);
    p = vfma(p, s2, vset1(0x1.1e510cp-2f));
    p = vfma(p, s2, vset1(0x1.99dae6p-2f));
    p = vfma(p, s2, vset1(0x1.5554e0p-1f));
    p = vfma(p, s2, vset1(2.0f));
    return vfma(p, s, vmax_bound(vzero(), v));  // max(0, v) + log1p(w); NaN kept
}

template <bool MASKED>
inline vf ld(const float* p, vmask m) {
    if (MASKED) return vload_m(p, m);
    return vload(p);
}

template <bool MASKED>
inline void st(float* p, vf v, vmask m) {
    if (MASKED) {
        vstore_m(p, v, m);
    } else {
        vstore(p, v);
    }
}

// Loads lanes [0, valid) of p, zeros elsewhere; valid may be <= 0 or >= W.
inline vf ld_upto(const float* p, int valid) {
    if (valid >= W) return vload(p);
    if (valid <= 0) return vzero();
    return vload_m(p, vmask_first(valid));
}

inline void st_upto(float* p, vf v, int valid) {
    if (valid >= W) {
        vstore(p, v);
    } else if (valid > 0) {
        vstore_m(p, v, vmask_first(valid));
    }
}

// ---------------------------------------------------------------------------------------------------
// GEMM: c = bias + a * W^T. W (n, k) is packed into panels of NR = 2 vectors of columns, K-major
// (panel p holds columns [p*NR, p*NR + width) as k rows of `width` floats, zero padded past n). The last
// panel is only one vector wide when at most W columns remain. Panel p starts at float p*NR*k.
// ---------------------------------------------------------------------------------------------------

constexpr int MR = 6;        // rows per micro-tile: MR x 2 vectors = 12 accumulators
constexpr int NR = 2 * W;    // columns per full panel
constexpr int KC = 256;      // k-block: a (KC x NR) panel slice stays in L1 across all row tiles

inline int panel_width(int32_t n, int32_t p) {
    const int rem = n - p * NR;
    if (rem >= NR) return NR;
    return rem <= W ? W : NR;
}

int64_t linear_packed_size(int32_t n, int32_t k) {
    int64_t cols = static_cast<int64_t>(n / NR) * NR;
    const int rem = n % NR;
    if (rem != 0) cols += rem <= W ? W : NR;
    return cols * k;
}

int32_t linear_panels(int32_t n) { return (n + NR - 1) / NR; }

void linear_pack(const float* w, int32_t n, int32_t k, float* packed) {
    const int32_t panels = linear_panels(n);
    for (int32_t p = 0; p < panels; ++p) {
        const int col0 = p * NR;
        const int width = panel_width(n, p);
        float* dst = packed + static_cast<int64_t>(col0) * k;
        for (int jj = 0; jj < width; ++jj) {
            const int j = col0 + jj;
            if (j < n) {
                const float* src = w + static_cast<int64_t>(j) * k;
                for (int32_t kk = 0; kk < k; ++kk) dst[static_cast<int64_t>(kk) * width + jj] = src[kk];
            } else {
                for (int32_t kk = 0; kk < k; ++kk) dst[static_cast<int64_t>(kk) * width + jj] = 0.0f;
            }
        }
    }
}

// R rows x NV vectors of one panel over kc steps. first: start from bias (or 0), else from c.
template <int R, int NV>
inline void gemm_tile(const float* a, int64_t lda, const float* bp, int kc, float* c, int64_t ldc,
                      const float* bias, int ncols, bool first) {
    constexpr int WIDTH = NV * W;
    vf acc[R][NV];
    if (first) {
        vf bv[NV];
        for (int v = 0; v < NV; ++v) bv[v] = bias != nullptr ? ld_upto(bias + v * W, ncols - v * W) : vzero();
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) acc[r][v] = bv[v];
    } else {
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) acc[r][v] = ld_upto(c + r * ldc + v * W, ncols - v * W);
    }
    const float* ar[R];
    for (int r = 0; r < R; ++r) ar[r] = a + r * lda;
    for (int kk = 0; kk < kc; ++kk) {
        vf b[NV];
        for (int v = 0; v < NV; ++v) b[v] = vload(bp + static_cast<int64_t>(kk) * WIDTH + v * W);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const vf av = vset1(ar[r][kk]);
            for (int v = 0; v < NV; ++v) acc[r][v] = vfma(av, b[v], acc[r][v]);
        }
    }
    if (ncols >= WIDTH) {
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) vstore(c + r * ldc + v * W, acc[r][v]);
    } else {
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) st_upto(c + r * ldc + v * W, acc[r][v], ncols - v * W);
    }
}

template <int NV>
void gemm_panel(const float* a, int64_t lda, int32_t m, const float* bp, const float* bias, int32_t k, float* c,
                int64_t ldc, int ncols) {
    for (int32_t k0 = 0; k0 < k; k0 += KC) {
        const int kc = imin(KC, k - k0);
        const bool first = k0 == 0;
        const float* bk = bp + static_cast<int64_t>(k0) * NV * W;
        int32_t i = 0;
        for (; i + MR <= m; i += MR)
            gemm_tile<MR, NV>(a + i * lda + k0, lda, bk, kc, c + i * ldc, ldc, bias, ncols, first);
        const float* ai = a + i * lda + k0;
        float* ci = c + i * ldc;
        switch (m - i) {
            case 1: gemm_tile<1, NV>(ai, lda, bk, kc, ci, ldc, bias, ncols, first); break;
            case 2: gemm_tile<2, NV>(ai, lda, bk, kc, ci, ldc, bias, ncols, first); break;
            case 3: gemm_tile<3, NV>(ai, lda, bk, kc, ci, ldc, bias, ncols, first); break;
            case 4: gemm_tile<4, NV>(ai, lda, bk, kc, ci, ldc, bias, ncols, first); break;
            case 5: gemm_tile<5, NV>(ai, lda, bk, kc, ci, ldc, bias, ncols, first); break;
            default: break;
        }
    }
}
static_assert(MR == 6, "gemm_panel's tail switch assumes MR == 6");

void linear(const float* a, int64_t lda, int32_t m, const float* packed, const float* bias, int32_t n, int32_t k,
            float* c, int64_t ldc, int32_t p0, int32_t p1) {
    if (m <= 0) return;
    for (int32_t p = p0; p < p1; ++p) {
        const int col0 = p * NR;
        const int ncols = imin(NR, n - col0);
        const float* bp = packed + static_cast<int64_t>(col0) * k;
        const float* bias_p = bias != nullptr ? bias + col0 : nullptr;
        if (panel_width(n, p) == NR) {
            gemm_panel<2>(a, lda, m, bp, bias_p, k, c + col0, ldc, ncols);
        } else {
            gemm_panel<1>(a, lda, m, bp, bias_p, k, c + col0, ldc, ncols);
        }
    }
}

// BF16 and INT8 linear layers: packing, activation conversion, micro-kernels.
#include "gemm_lowp.h"

// ---------------------------------------------------------------------------------------------------
// Residual add + RMSNorm (same rounding steps as the scalar reference for the scale factor).
// ---------------------------------------------------------------------------------------------------

void add_rms_norm(float* residual, const float* hidden, const float* weight, float* out, int32_t rows, int32_t dim,
                  float eps) {
    const int full = dim - dim % W;
    const int rem = dim - full;
    const vmask tail = vmask_first(rem);
    for (int32_t r = 0; r < rows; ++r) {
        float* res = residual + static_cast<int64_t>(r) * dim;
        const float* hid = hidden != nullptr ? hidden + static_cast<int64_t>(r) * dim : nullptr;
        float* o = out + static_cast<int64_t>(r) * dim;
        vf ss0 = vzero(), ss1 = vzero();
        int i = 0;
        if (hid != nullptr) {
            for (; i + 2 * W <= full; i += 2 * W) {
                const vf v0 = vadd(vload(res + i), vload(hid + i));
                const vf v1 = vadd(vload(res + i + W), vload(hid + i + W));
                vstore(res + i, v0);
                vstore(res + i + W, v1);
                ss0 = vfma(v0, v0, ss0);
                ss1 = vfma(v1, v1, ss1);
            }
            for (; i < full; i += W) {
                const vf v = vadd(vload(res + i), vload(hid + i));
                vstore(res + i, v);
                ss0 = vfma(v, v, ss0);
            }
            if (rem != 0) {
                const vf v = vadd(vload_m(res + i, tail), vload_m(hid + i, tail));
                vstore_m(res + i, v, tail);
                ss1 = vfma(v, v, ss1);
            }
        } else {
            for (; i + 2 * W <= full; i += 2 * W) {
                const vf v0 = vload(res + i);
                const vf v1 = vload(res + i + W);
                ss0 = vfma(v0, v0, ss0);
                ss1 = vfma(v1, v1, ss1);
            }
            for (; i < full; i += W) {
                const vf v = vload(res + i);
                ss0 = vfma(v, v, ss0);
            }
            if (rem != 0) {
                const vf v = vload_m(res + i, tail);
                ss1 = vfma(v, v, ss1);
            }
        }
        const float sum_sq = vhsum(vadd(ss0, ss1));
        const float ms = sum_sq / static_cast<float>(dim) + eps;
        const float inv = static_cast<float>(1.0 / __builtin_sqrt(static_cast<double>(ms)));
        const vf vinv = vset1(inv);
        i = 0;
        for (; i < full; i += W) vstore(o + i, vmul(vmul(vload(res + i), vinv), vload(weight + i)));
        if (rem != 0) vstore_m(o + i, vmul(vmul(vload_m(res + i, tail), vinv), vload_m(weight + i, tail)), tail);
    }
}

// ---------------------------------------------------------------------------------------------------
// Depthwise causal conv1d + bias + SiLU, vectorised across W channels. Taps are processed in chunks of
// up to 16 (one chunk for every real model); with several chunks `out` holds the partial sums between
// chunks and SiLU is applied in the last one. Accumulation order (bias, then taps ascending) matches the
// reference.
// ---------------------------------------------------------------------------------------------------

constexpr int kConvChunk = 16;

template <bool MASKED>
void conv_block(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
                int32_t batch, int32_t len, int32_t kernel, bool reverse, int32_t e0, int lanes) {
    const vmask m = vmask_first(lanes);
    alignas(64) float wt[kConvChunk * W];
    vf wv[kConvChunk];
    const vf bv = ld<MASKED>(bias + e0, m);
    for (int32_t k0 = 0; k0 < kernel; k0 += kConvChunk) {
        const int kc = imin(kConvChunk, kernel - k0);
        const bool first = k0 == 0;
        const bool last = k0 + kc == kernel;
        for (int k = 0; k < kc; ++k) {
            for (int l = 0; l < W; ++l)
                wt[k * W + l] = l < lanes ? w[static_cast<int64_t>(e0 + l) * kernel + k0 + k] : 0.0f;
            wv[k] = vload(wt + k * W);
        }
        for (int32_t b = 0; b < batch; ++b) {
            const float* xb = x + static_cast<int64_t>(b) * len * ldx + e0;
            float* ob = out + static_cast<int64_t>(b) * len * ldo + e0;
            for (int32_t t = 0; t < len; ++t) {
                vf acc = first ? bv : ld<MASKED>(ob + t * ldo, m);
                for (int k = 0; k < kc; ++k) {
                    // tap k0+k looks (kernel-1-k0-k) steps back in scan order
                    const int32_t back = kernel - 1 - k0 - k;
                    const int64_t src = reverse ? static_cast<int64_t>(t) + back : static_cast<int64_t>(t) - back;
                    if (src < 0 || src >= len) continue;
                    acc = vfma(wv[k], ld<MASKED>(xb + src * ldx, m), acc);
                }
                st<MASKED>(ob + t * ldo, last ? vsilu(acc) : acc, m);
            }
        }
    }
}

void conv_silu(const float* x, int64_t ldx, const float* w, const float* bias, float* out, int64_t ldo,
               int32_t batch, int32_t len, int32_t kernel, bool reverse, int32_t c0, int32_t c1) {
    for (int32_t e0 = c0; e0 < c1; e0 += W) {
        const int lanes = imin(W, c1 - e0);
        if (lanes == W) {
            conv_block<false>(x, ldx, w, bias, out, ldo, batch, len, kernel, reverse, e0, lanes);
        } else {
            conv_block<true>(x, ldx, w, bias, out, ldo, batch, len, kernel, reverse, e0, lanes);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Selective scan, vectorised across W channels: the N state vectors of the block live in registers when
// NS (the compile-time state count, 1..16) is given, in a stack buffer otherwise (NS = 0, up to 256).
// dA = 2^((dt * log2(e)) * a_t): log2(e) is folded into dt once per token and channel (folding it into
// a_t instead would overflow for |a_t| > FLT_MAX / log2(e)).
// ---------------------------------------------------------------------------------------------------

constexpr int kMaxStates = 256;

struct ScanArgs {
    const float* u; int64_t ldu;
    const float* delta; int64_t ldd;
    const float* a_t;
    const float* b; int64_t ldb;
    const float* c; int64_t ldc;
    const float* d_skip; const float* delta_bias;
    const float* z; int64_t ldz;
    float* out; int64_t ldo;
    int32_t batch, len, channels, states;
    bool reverse;
    float out_scale;
    bool accumulate;
};

// Steps are processed in chunks of kScanChunk: a first pass computes the per-token quantities (softplus,
// SiLU gate, ...) for the chunk into small stack arrays, the second runs the recurrence over the states.
// Keeping the two apart leaves the register file to the N states and the exp constants (one fused loop
// measured 47% slower: spills).
//
// Where the time goes (AVX-512 tier, Vim-Tiny's 197 x 384 x 16, one thread of the 2-vCPU AMD family-26
// development machine, standalone harness): the recurrence pass alone runs at about 10 Gupdate/s, which
// is its vector-op count (per state update: dt*A, vreduceps, 5 FMAs, vscalefps, dt*u*B, the h FMA, the
// y FMA = 11 ops) at the ~2 vector ops per cycle this core sustains on that mix. Every op counts,
// including ones on the FP adder pipes: two extra min/max per update cost 11%. So exp variants that trade
// FMAs for adds/permutes did not pay: a 32-entry table exp (vpermt2ps + degree-2 polynomial, same
// accuracy) was 6% slower, floor+sub instead of vreduceps equal; writing dA to a buffer in a separate
// pass 3-6% slower. A degree-4 exp would save one op (13% on that pass) but at ~3e-6 relative error,
// which the dA ~ 1 cases amplify past the test tolerance, so it is not used. Pass 1 (softplus, SiLU) was
// the other third of the time and is what got cheaper (see vsoftplus, vsilu_div).
constexpr int kScanChunk = 32;

template <int NS, bool MASKED>
void scan_block(const ScanArgs& s, int32_t e0, int lanes) {
    constexpr int CAP = NS > 0 ? NS : kMaxStates;
    const int N = NS > 0 ? NS : s.states;
    const vmask m = vmask_first(lanes);
    vf av[CAP];
    vf h[CAP];
    vf c_dt2[kScanChunk], c_dtu[kScanChunk], c_y0[kScanChunk], c_gate[kScanChunk];
    for (int n = 0; n < N; ++n) av[n] = ld<MASKED>(s.a_t + static_cast<int64_t>(n) * s.channels + e0, m);
    const vf dbias = ld<MASKED>(s.delta_bias + e0, m);
    const vf dskip = ld<MASKED>(s.d_skip + e0, m);
    for (int32_t bi = 0; bi < s.batch; ++bi) {
#pragma GCC unroll 16
        for (int n = 0; n < N; ++n) h[n] = vzero();
        const int64_t seq = static_cast<int64_t>(bi) * s.len;
        for (int32_t step0 = 0; step0 < s.len; step0 += kScanChunk) {
            const int tc = imin(kScanChunk, s.len - step0);
            // pass 1: dt = softplus(delta + bias), dt*log2(e), dt*u, D*u, out_scale*silu(z)
            for (int i = 0; i < tc; ++i) {
                const int32_t step = step0 + i;
                const int64_t t = seq + (s.reverse ? s.len - 1 - step : step);
                const vf uu = ld<MASKED>(s.u + t * s.ldu + e0, m);
                const vf dt = vsoftplus(vadd(ld<MASKED>(s.delta + t * s.ldd + e0, m), dbias));
                c_dt2[i] = vmul(dt, vset1(kLog2e));
                c_dtu[i] = vmul(dt, uu);
                c_y0[i] = vmul(dskip, uu);
                c_gate[i] = vmul(vset1(s.out_scale), vsilu_div(ld<MASKED>(s.z + t * s.ldz + e0, m)));
            }
            // pass 2: h = 2^(dt*log2(e)*A) * h + dt*u*B;  y = D*u + C.h;  out (+)= y * out_scale*silu(z)
            for (int i = 0; i < tc; ++i) {
                const int32_t step = step0 + i;
                const int64_t t = seq + (s.reverse ? s.len - 1 - step : step);
                const float* bt = s.b + t * s.ldb;
                const float* ct = s.c + t * s.ldc;
                const vf dt2 = c_dt2[i];
                const vf dtu = c_dtu[i];
                // Two partial sums for y: one chain of N dependent FMAs (4 cycles each) per step would be
                // longer than the step's own throughput cost and stall the out-of-order window.
                vf y = c_y0[i];
                vf y_odd = vzero();
#pragma GCC unroll 16
                for (int n = 0; n < N; ++n) {
                    const vf da = vexp2_fast(vmul(dt2, av[n]));
                    h[n] = vfma(da, h[n], vmul(dtu, vset1(bt[n])));
                    if (n & 1) {
                        y_odd = vfma(vset1(ct[n]), h[n], y_odd);
                    } else {
                        y = vfma(vset1(ct[n]), h[n], y);
                    }
                }
                vf o = vmul(vadd(y, y_odd), c_gate[i]);
                float* op = s.out + t * s.ldo + e0;
                if (s.accumulate) o = vadd(ld<MASKED>(op, m), o);
                st<MASKED>(op, o, m);
            }
        }
    }
}

template <bool MASKED>
void scan_dispatch(const ScanArgs& s, int32_t e0, int lanes) {
    switch (s.states) {
#define VIM4J_SCAN_CASE(NS_) \
    case NS_: scan_block<NS_, MASKED>(s, e0, lanes); return;
        VIM4J_SCAN_CASE(1) VIM4J_SCAN_CASE(2) VIM4J_SCAN_CASE(3) VIM4J_SCAN_CASE(4)
        VIM4J_SCAN_CASE(5) VIM4J_SCAN_CASE(6) VIM4J_SCAN_CASE(7) VIM4J_SCAN_CASE(8)
        VIM4J_SCAN_CASE(9) VIM4J_SCAN_CASE(10) VIM4J_SCAN_CASE(11) VIM4J_SCAN_CASE(12)
        VIM4J_SCAN_CASE(13) VIM4J_SCAN_CASE(14) VIM4J_SCAN_CASE(15) VIM4J_SCAN_CASE(16)
#undef VIM4J_SCAN_CASE
        default: scan_block<0, MASKED>(s, e0, lanes); return;
    }
}

void selective_scan(const float* u, int64_t ldu, const float* delta, int64_t ldd, const float* a_t, const float* b,
                    int64_t ldb, const float* c, int64_t ldc, const float* d_skip, const float* delta_bias,
                    const float* z, int64_t ldz, float* out, int64_t ldo, int32_t batch, int32_t len,
                    int32_t channels, int32_t states, bool reverse, float out_scale, bool accumulate, int32_t c0,
                    int32_t c1) {
    const ScanArgs s{u, ldu, delta, ldd, a_t, b, ldb, c, ldc, d_skip, delta_bias, z, ldz, out, ldo,
                     batch, len, channels, states, reverse, out_scale, accumulate};
    for (int32_t e0 = c0; e0 < c1; e0 += W) {
        const int lanes = imin(W, c1 - e0);
        if (lanes == W) {
            scan_dispatch<false>(s, e0, lanes);
        } else {
            scan_dispatch<true>(s, e0, lanes);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// im2col of patch rows [py0, py1): row py*gw+px, column (c*patch+ky)*patch+kx; each (c, ky) is one contiguous
// run of `patch`.
// ---------------------------------------------------------------------------------------------------

void im2col(const float* image, int32_t channels, int32_t height, int32_t width, int32_t patch, int32_t stride,
            float* out, int32_t py0, int32_t py1) {
    const int32_t gw = (width - patch) / stride + 1;
    const int64_t cols = static_cast<int64_t>(channels) * patch * patch;
    for (int32_t py = py0; py < py1; ++py) {
        for (int32_t px = 0; px < gw; ++px) {
            float* row = out + (static_cast<int64_t>(py) * gw + px) * cols;
            for (int32_t ch = 0; ch < channels; ++ch) {
                for (int32_t ky = 0; ky < patch; ++ky) {
                    const float* src = image + (static_cast<int64_t>(ch) * height + static_cast<int64_t>(py) * stride + ky) * width +
                                       static_cast<int64_t>(px) * stride;
                    std::memcpy(row + (static_cast<int64_t>(ch) * patch + ky) * patch, src,
                                static_cast<size_t>(patch) * sizeof(float));
                }
            }
        }
    }
}

}  // namespace

extern const KernelTable kTable;
const KernelTable kTable = {
    VIM4J_TIER_ISA, kTierName, W, MR, NR,
    &linear_packed_size, &linear_pack, &linear_panels, &linear,
    &linear_packed_bytes, &linear_pack_bf16, &linear_pack_int8, &lowp_row_words, &lowp_convert, &linear_lowp,
    &add_rms_norm, &conv_silu, &selective_scan, &im2col,
};

}  // namespace VIM4J_TIER_NS
}  // namespace vim4j

// BF16 and INT8 linear layers (docs/precision.md), written once for every tier like the rest of kernels_impl.h,
// which includes this file inside the tier's anonymous namespace after the fp32 GEMM (it reuses W, MR, NR,
// panel_width, linear_panels, linear_packed_size and the masked load/store helpers). The few instructions that
// have no counterpart in the tier's vector layer (integer dot products, bf16 pairs) are in the #if blocks below.
//
// Packed layouts. Panels have the fp32 GEMM's widths (NR = 2 vectors of columns, the last one W wide when at most W
// columns remain), so the panel split rules of exec.cpp apply unchanged; a panel holds 32-bit words, one per column
// and k-group, k-group-major, and panel p starts at word col0 * groups:
//  BF16: groups of 2 k (kp = ceil(k / 2)): word = bf16(W[j, 2q]) | bf16(W[j, 2q + 1]) << 16, the operand layout of
//        vdpbf16ps; elsewhere the two halves are widened to fp32 by a shift and a mask.
//  INT8: groups of 4 k (kq = ceil(k / 4)): byte t of the word = qw[j, 4q + t], the operand layout of vpdpbusd;
//        after the panels, one int32 per padded column: 128 * sum_k qw[j, k], because every tier feeds the
//        activations as unsigned bytes qa + 128 (what vpdpbusd multiplies) and subtracts it back.
// Padding (k past the end, columns past n) is 0, so it adds nothing to any sum.
//
// Activations are converted once per call (exec.cpp keeps the buffer), rows of 32-bit words:
//  BF16 with vdpbf16ps: bf16 pairs as above; BF16 elsewhere: the bf16-rounded values as fp32, 2 * kp of them;
//  INT8: quads of qa + 128 (pad bytes 128, i.e. qa = 0), and the row's scale sa = amax / 127 separately.

constexpr int KQC = 128;  // INT8 k-block in quads (512 k): a (KQC x NR) slice of a panel is 16 KiB on avx512
constexpr int KPC = 256;  // BF16 k-block in pairs: 32 KiB of panel on avx512, like the fp32 KC

inline int32_t bf16_pairs(int32_t k) { return (k + 1) / 2; }
inline int32_t int8_quads(int32_t k) { return (k + 3) / 4; }

int64_t linear_packed_bytes(int32_t precision, int32_t n, int32_t k) {
    const int64_t cols = linear_packed_size(n, 1);
    switch (precision) {
        case VIM4J_PRECISION_FP32: return 4 * cols * k;
        case VIM4J_PRECISION_BF16: return 4 * cols * bf16_pairs(k);
        case VIM4J_PRECISION_INT8: return 4 * cols * int8_quads(k) + 4 * cols;
        default: return -1;
    }
}

// fp32 -> bf16 bits, round to nearest even, a NaN stays a quiet NaN (Quantization.toBf16).
inline uint32_t bf16_bits(float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof(b));
    if ((b & 0x7fffffffu) > 0x7f800000u) return (b >> 16) | 0x0040u;
    return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}

void linear_pack_bf16(const float* w, int32_t n, int32_t k, void* packed) {
    const int32_t kp = bf16_pairs(k);
    for (int32_t p = 0; p < linear_panels(n); ++p) {
        const int col0 = p * NR, width = panel_width(n, p);
        uint32_t* dst = static_cast<uint32_t*>(packed) + static_cast<int64_t>(col0) * kp;
        for (int32_t q = 0; q < kp; ++q) {
            for (int jj = 0; jj < width; ++jj) {
                const int j = col0 + jj;
                uint32_t word = 0;
                if (j < n) {
                    const float* row = w + static_cast<int64_t>(j) * k;
                    word = bf16_bits(row[2 * q]);
                    if (2 * q + 1 < k) word |= bf16_bits(row[2 * q + 1]) << 16;
                }
                dst[static_cast<int64_t>(q) * width + jj] = word;
            }
        }
    }
}

void linear_pack_int8(const int8_t* qw, int32_t n, int32_t k, void* packed) {
    const int32_t kq = int8_quads(k);
    const int64_t cols = linear_packed_size(n, 1);
    uint8_t* base = static_cast<uint8_t*>(packed);
    int32_t* comp = reinterpret_cast<int32_t*>(base + 4 * cols * kq);
    for (int32_t p = 0; p < linear_panels(n); ++p) {
        const int col0 = p * NR, width = panel_width(n, p);
        uint8_t* dst = base + 4 * static_cast<int64_t>(col0) * kq;
        for (int jj = 0; jj < width; ++jj) {
            const int j = col0 + jj;
            int32_t sum = 0;
            for (int32_t kk = 0; kk < 4 * kq; ++kk) {
                const int8_t v = (j < n && kk < k) ? qw[static_cast<int64_t>(j) * k + kk] : 0;
                sum += v;
                dst[(static_cast<int64_t>(kk / 4) * width + jj) * 4 + kk % 4] = static_cast<uint8_t>(v);
            }
            comp[col0 + jj] = 128 * sum;
        }
    }
}

int64_t lowp_row_words(int32_t precision, int32_t features, int32_t k) {
    if (precision == VIM4J_PRECISION_INT8) return int8_quads(k);
    const bool hw = VIM4J_TIER_ISA == VIM4J_ISA_AVX512 && (features & kFeatureBf16) != 0;
    return hw ? bf16_pairs(k) : 2 * static_cast<int64_t>(bf16_pairs(k));
}

// Keeps the compiler from fusing the multiply that produced x with a following add (GCC contracts a * b + c into an
// FMA by default): the INT8 epilogue must round the product before adding the bias, as the definition does.
template <class T>
inline T no_contract(T x) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__("" : "+x"(x));
#elif defined(__aarch64__)
    __asm__("" : "+w"(x));
#else
    volatile T v = x;
    x = v;
#endif
    return x;
}

// ---------------------------------------------------------------------------------------------------------------
// Tier-specific pieces: bf16 rounding of a vector, storing converted activations, widening packed bf16 words, and
// the int8 dot product of 4-byte groups (vi: int32 lanes).
// ---------------------------------------------------------------------------------------------------------------

#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512

#define VIM4J_LOWP_VECTOR_INT8 1
#define VIM4J_TARGET_BF16 __attribute__((target("avx512bf16")))
#define VIM4J_TARGET_VNNI __attribute__((target("avx512vnni")))

// The bf16 value of each lane in the high half of its bits, low half 0 (round to nearest even, NaN kept quiet).
inline vi vbf16_round_bits(vf x) {
    const vi b = _mm512_castps_si512(x);
    const vi lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    const vi hi = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
    const vi r = _mm512_and_si512(_mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), hi);
    const vi qnan = _mm512_or_si512(_mm512_and_si512(b, hi), _mm512_set1_epi32(0x00400000));
    return _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, qnan);
}
// Stores lanes [0, count) of the bf16 values as 16-bit halves at p (count <= W).
inline void store_bf16_halves(uint16_t* p, vi bits, int count) {
    const __m256i h = _mm512_cvtepi32_epi16(_mm512_srli_epi32(bits, 16));
    _mm256_mask_storeu_epi16(p, static_cast<__mmask16>((1u << count) - 1u), h);
}
// maskz form: GCC 12's plain _mm512_slli_epi32 trips -Wuninitialized on its _mm512_undefined_epi32() operand
inline vf vbf16_even(vi w) { return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(static_cast<__mmask16>(0xffff), w, 16)); }
inline vf vbf16_odd(vi w) { return _mm512_castsi512_ps(_mm512_and_si512(w, _mm512_set1_epi32(static_cast<int>(0xffff0000u)))); }
inline vi viload(const uint32_t* p) { return _mm512_loadu_si512(p); }
inline vi viset1(uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
inline vi vizero() { return _mm512_setzero_si512(); }
inline vi viadd(vi a, vi b) { return _mm512_add_epi32(a, b); }
inline vi visub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
inline vf vcvt_i32(vi a) { return _mm512_cvtepi32_ps(a); }
inline vi vas_int(vf a) { return _mm512_castps_si512(a); }
inline vf vas_float(vi a) { return _mm512_castsi512_ps(a); }
inline vi vimax(vi a, vi b) { return _mm512_max_epi32(a, b); }
inline vi vand_i(vi a, vi b) { return _mm512_and_si512(a, b); }
inline uint32_t vimax_reduce(vi a) { return static_cast<uint32_t>(_mm512_reduce_max_epi32(a)); }
// The signed bytes 0 and 2 (even) and 1 and 3 (odd) of each group as int16 pairs, for vpmaddwd.
inline vi vbytes_even_s(vi b) { return _mm512_srai_epi16(_mm512_slli_epi16(b, 8), 8); }
inline vi vbytes_odd_s(vi b) { return _mm512_srai_epi16(b, 8); }
// acc + sum of the 4 products of unsigned a bytes and signed b bytes (b given as its even/odd int16 pairs): exact,
// every pair sum (<= 2 * 255 * 127) fits vpmaddwd's int32 lanes.
inline vi vdot4_madd(vi acc, vi a, vi b_even, vi b_odd) {
    const vi a_even = _mm512_and_si512(a, _mm512_set1_epi32(0x00ff00ff));
    const vi a_odd = _mm512_srli_epi16(a, 8);
    return _mm512_add_epi32(_mm512_add_epi32(acc, _mm512_madd_epi16(a_even, b_even)), _mm512_madd_epi16(a_odd, b_odd));
}
// qa + 128 of W lanes (v * inv rounded half to even, NaN to 0, clamped to +-127) stored as `count` bytes at p.
inline void store_quantized(uint8_t* p, vf v, float inv, int count) {
    vf r = _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(inv)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, r, _CMP_ORD_Q), r);
    r = _mm512_min_ps(_mm512_max_ps(r, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
    const vi q = _mm512_add_epi32(_mm512_cvtps_epi32(r), _mm512_set1_epi32(128));
    _mm_mask_storeu_epi8(p, static_cast<__mmask16>((1u << count) - 1u), _mm512_cvtepi32_epi8(q));
}

#elif VIM4J_TIER_ISA == VIM4J_ISA_AVX2

#define VIM4J_LOWP_VECTOR_INT8 1

inline vi vbf16_round_bits(vf x) {
    const vi b = _mm256_castps_si256(x);
    const vi lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    const vi hi = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
    const vi r = _mm256_and_si256(_mm256_add_epi32(b, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), hi);
    const vi qnan = _mm256_or_si256(_mm256_and_si256(b, hi), _mm256_set1_epi32(0x00400000));
    return _mm256_blendv_epi8(r, qnan, _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)));
}
inline vf vbf16_even(vi w) { return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)); }
inline vf vbf16_odd(vi w) { return _mm256_castsi256_ps(_mm256_and_si256(w, _mm256_set1_epi32(static_cast<int>(0xffff0000u)))); }
inline vi viload(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline vi viset1(uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
inline vi vizero() { return _mm256_setzero_si256(); }
inline vi viadd(vi a, vi b) { return _mm256_add_epi32(a, b); }
inline vi visub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
inline vf vcvt_i32(vi a) { return _mm256_cvtepi32_ps(a); }
inline vi vas_int(vf a) { return _mm256_castps_si256(a); }
inline vf vas_float(vi a) { return _mm256_castsi256_ps(a); }
inline vi vimax(vi a, vi b) { return _mm256_max_epi32(a, b); }
inline vi vand_i(vi a, vi b) { return _mm256_and_si256(a, b); }
inline uint32_t vimax_reduce(vi a) {
    __m128i m = _mm_max_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0x4e));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0xb1));
    return static_cast<uint32_t>(_mm_cvtsi128_si32(m));
}
inline vi vbytes_even_s(vi b) { return _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8); }
inline vi vbytes_odd_s(vi b) { return _mm256_srai_epi16(b, 8); }
// No vpmaddubsw: its int16 pair sums saturate (255 * 127 * 2 > 32767); vpmaddwd on widened bytes is exact.
inline vi vdot4_madd(vi acc, vi a, vi b_even, vi b_odd) {
    const vi a_even = _mm256_and_si256(a, _mm256_set1_epi32(0x00ff00ff));
    const vi a_odd = _mm256_srli_epi16(a, 8);
    return _mm256_add_epi32(_mm256_add_epi32(acc, _mm256_madd_epi16(a_even, b_even)), _mm256_madd_epi16(a_odd, b_odd));
}
inline void store_quantized(uint8_t* p, vf v, float inv, int count) {
    vf r = _mm256_round_ps(_mm256_mul_ps(v, _mm256_set1_ps(inv)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_and_ps(r, _mm256_cmp_ps(r, r, _CMP_ORD_Q));
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    const vi q = _mm256_add_epi32(_mm256_cvtps_epi32(r), _mm256_set1_epi32(128));
    // byte 0 of each int32 lane: gathered per 128-bit half, then the halves joined
    const vi sh = _mm256_shuffle_epi8(q, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    const __m128i bytes = _mm_unpacklo_epi32(_mm256_castsi256_si128(sh), _mm256_extracti128_si256(sh, 1));
    alignas(16) uint8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
    std::memcpy(p, tmp, static_cast<size_t>(count));
}

#else  // portable: GCC vectors for bf16, plain integer loops for int8

#define VIM4J_LOWP_VECTOR_INT8 0

inline vi vbf16_round_bits(vf x) {
    const vu b = (vu)x;
    const vu r = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
    const vu qnan = (b & 0xffff0000u) | 0x00400000u;
    return (vi)(x != x ? qnan : r);
}
inline vi viload(const uint32_t* p) {
    vi v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}
inline vf vas_float(vi a) { return (vf)a; }
inline vf vbf16_even(vi w) { return (vf)((vu)w << 16); }
inline vf vbf16_odd(vi w) { return (vf)((vu)w & 0xffff0000u); }

#endif

// ---------------------------------------------------------------------------------------------------------------
// Activation conversion
// ---------------------------------------------------------------------------------------------------------------

void convert_bf16_rows(int32_t features, const float* a, int64_t lda, int32_t rows, int32_t k, void* out,
                       int64_t ldo) {
#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512
    if ((features & kFeatureBf16) != 0) {
        const int32_t kp = bf16_pairs(k);
        for (int32_t i = 0; i < rows; ++i) {
            const float* src = a + i * lda;
            uint16_t* dst = reinterpret_cast<uint16_t*>(static_cast<uint32_t*>(out) + i * ldo);
            // lanes past k load as 0, so an odd k's last pair gets a 0 high half
            for (int32_t kk = 0; kk < 2 * kp; kk += W)
                store_bf16_halves(dst + kk, vbf16_round_bits(ld_upto(src + kk, k - kk)), imin(W, 2 * kp - kk));
        }
        return;
    }
#else
    (void)features;
#endif
    for (int32_t i = 0; i < rows; ++i) {
        const float* src = a + i * lda;
        float* dst = reinterpret_cast<float*>(static_cast<uint32_t*>(out) + i * ldo);
        int32_t kk = 0;
        for (; kk + W <= k; kk += W) vstore(dst + kk, vas_float(vbf16_round_bits(vload(src + kk))));
        if (kk < k) st_upto(dst + kk, vas_float(vbf16_round_bits(ld_upto(src + kk, k - kk))), k - kk);
        if (k % 2 != 0) dst[k] = 0.0f;
    }
}

// amax of a row as Math.max over |a| does it: the bits of |x| order like the values, and any NaN (above +inf) wins.
inline float row_amax(const float* src, int32_t k) {
    uint32_t m = 0;
#if VIM4J_LOWP_VECTOR_INT8
    const vi abs_mask = viset1(0x7fffffffu);
    vi mv = vizero();
    int32_t kk = 0;
    for (; kk + W <= k; kk += W) mv = vimax(mv, vand_i(vas_int(vload(src + kk)), abs_mask));
    if (kk < k) mv = vimax(mv, vand_i(vas_int(ld_upto(src + kk, k - kk)), abs_mask));
    m = vimax_reduce(mv);
#else
    for (int32_t kk = 0; kk < k; ++kk) {
        uint32_t b;
        std::memcpy(&b, src + kk, sizeof(b));
        b &= 0x7fffffffu;
        if (b > m) m = b;
    }
#endif
    float f;
    std::memcpy(&f, &m, sizeof(f));
    return f;
}

void convert_int8_rows(const float* a, int64_t lda, int32_t rows, int32_t k, void* out, int64_t ldo, float* sa) {
    const int32_t kq = int8_quads(k);
    for (int32_t i = 0; i < rows; ++i) {
        const float* src = a + i * lda;
        uint8_t* dst = reinterpret_cast<uint8_t*>(static_cast<uint32_t*>(out) + i * ldo);
        const float amax = row_amax(src, k);
        // docs/precision.md: sa = amax / 127 and inv = 127 / amax, one fp32 division each; inv = 0 quantizes the
        // row to 0 (a zero row, and also a row holding inf or NaN, whose outputs then come out NaN as defined).
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        sa[i] = amax / 127.0f;
        if (inv == 0.0f) {
            std::memset(dst, 128, static_cast<size_t>(4 * kq));
            continue;
        }
#if VIM4J_LOWP_VECTOR_INT8
        int32_t kk = 0;
        for (; kk + W <= k; kk += W) store_quantized(dst + kk, vload(src + kk), inv, W);
        // the tail's lanes past k load as 0 and store 128 (qa = 0) up to the quad boundary
        if (kk < 4 * kq) store_quantized(dst + kk, ld_upto(src + kk, k - kk), inv, 4 * kq - kk);
#else
        for (int32_t kk = 0; kk < 4 * kq; ++kk) {
            float r = kk < k ? __builtin_rintf(src[kk] * inv) : 0.0f;
            if (r != r) r = 0.0f;
            r = r < -127.0f ? -127.0f : (r > 127.0f ? 127.0f : r);
            dst[kk] = static_cast<uint8_t>(static_cast<int32_t>(r) + 128);
        }
#endif
    }
}

void lowp_convert(int32_t precision, int32_t features, const float* a, int64_t lda, int32_t rows, int32_t k, void* out,
                  int64_t ldo, float* sa) {
    if (precision == VIM4J_PRECISION_INT8) {
        convert_int8_rows(a, lda, rows, k, out, ldo, sa);
    } else {
        convert_bf16_rows(features, a, lda, rows, k, out, ldo);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// BF16 GEMM. Accumulation starts from the bias (or 0) and runs over k in pairs, in fp32, like the fp32 GEMM.
// ---------------------------------------------------------------------------------------------------------------

template <int R, int NV>
inline void bf16_init(vf (&acc)[R][NV], const float* c, int64_t ldc, const float* bias, int ncols, bool first) {
    for (int v = 0; v < NV; ++v) {
        const vf bv = first ? (bias != nullptr ? ld_upto(bias + v * W, ncols - v * W) : vzero()) : vzero();
        for (int r = 0; r < R; ++r) acc[r][v] = first ? bv : ld_upto(c + r * ldc + v * W, ncols - v * W);
    }
}

template <int R, int NV>
inline void bf16_store(vf (&acc)[R][NV], float* c, int64_t ldc, int ncols) {
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < NV; ++v) st_upto(c + r * ldc + v * W, acc[r][v], ncols - v * W);
}

// a: bf16-rounded fp32 activations (2 per pair); each packed word gives both weights of its pair by a shift/mask.
template <int R, int NV>
void bf16_tile(const float* a, int64_t lda, const uint32_t* bp, int qc, float* c, int64_t ldc, const float* bias,
               int ncols, bool first) {
    constexpr int WIDTH = NV * W;
    vf acc[R][NV];
    bf16_init<R, NV>(acc, c, ldc, bias, ncols, first);
    for (int q = 0; q < qc; ++q) {
        vf be[NV], bo[NV];
        for (int v = 0; v < NV; ++v) {
            const vi wv = viload(bp + static_cast<int64_t>(q) * WIDTH + v * W);
            be[v] = vbf16_even(wv);
            bo[v] = vbf16_odd(wv);
        }
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const vf a0 = vset1(a[r * lda + 2 * q]), a1 = vset1(a[r * lda + 2 * q + 1]);
            for (int v = 0; v < NV; ++v) acc[r][v] = vfma(a1, bo[v], vfma(a0, be[v], acc[r][v]));
        }
    }
    bf16_store<R, NV>(acc, c, ldc, ncols);
}

#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512
// a: bf16 pairs; vdpbf16ps adds both products of a pair to each lane (exact products, fp32 sums; bf16 subnormals
// read as 0).
template <int R, int NV>
VIM4J_TARGET_BF16 void bf16_tile_dp(const uint32_t* a, int64_t lda, const uint32_t* bp, int qc, float* c, int64_t ldc,
                                    const float* bias, int ncols, bool first) {
    constexpr int WIDTH = NV * W;
    vf acc[R][NV];
    bf16_init<R, NV>(acc, c, ldc, bias, ncols, first);
    for (int q = 0; q < qc; ++q) {
        __m512bh b[NV];
        for (int v = 0; v < NV; ++v) b[v] = (__m512bh)_mm512_loadu_si512(bp + static_cast<int64_t>(q) * WIDTH + v * W);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r * lda + q]));
            for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, b[v]);
        }
    }
    bf16_store<R, NV>(acc, c, ldc, ncols);
}
#endif

// Rows [0, m) of one panel, k-blocked like the fp32 GEMM (the partial sums wait in c between blocks).
template <int NV, bool DP>
void bf16_panel(const LowpArgs& g, const uint32_t* bp, const float* bias, float* c, int ncols) {
    const int32_t kp = bf16_pairs(g.k);
    const int64_t lda = g.lda;
    for (int32_t q0 = 0; q0 < kp; q0 += KPC) {
        const int qc = imin(KPC, kp - q0);
        const bool first = q0 == 0;
        const uint32_t* bq = bp + static_cast<int64_t>(q0) * NV * W;
        for (int32_t i = 0; i < g.m; i += MR) {
            const int rows = imin(MR, g.m - i);
            float* ci = c + i * g.ldc;
#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512
            if (DP) {
                const uint32_t* ai = static_cast<const uint32_t*>(g.a) + i * lda + q0;
                switch (rows) {
                    case 6: bf16_tile_dp<6, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                    case 5: bf16_tile_dp<5, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                    case 4: bf16_tile_dp<4, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                    case 3: bf16_tile_dp<3, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                    case 2: bf16_tile_dp<2, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                    default: bf16_tile_dp<1, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                }
                continue;
            }
#endif
            const float* ai = static_cast<const float*>(g.a) + i * lda + 2 * static_cast<int64_t>(q0);
            switch (rows) {
                case 6: bf16_tile<6, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                case 5: bf16_tile<5, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                case 4: bf16_tile<4, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                case 3: bf16_tile<3, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                case 2: bf16_tile<2, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
                default: bf16_tile<1, NV>(ai, lda, bq, qc, ci, g.ldc, bias, ncols, first); break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// INT8 GEMM: exact int32 sums over k of (qa + 128) * qw, minus the column's 128 * sum qw, then the fp32 epilogue
// (float) acc * (sa * sw) + bias with the product rounded before the add.
// ---------------------------------------------------------------------------------------------------------------

#if VIM4J_LOWP_VECTOR_INT8

struct Int8Panel {
    const int32_t* comp;    // the panel's first column's compensation
    const float* scales;    // the panel's first column's weight scale
    const float* bias;      // or nullptr
    int ncols;
};

template <int R, int NV>
inline void int8_epilogue(vi (&acc)[R][NV], const float* sa, float* c, int64_t ldc, const Int8Panel& p) {
    for (int v = 0; v < NV; ++v) {
        const int valid = p.ncols - v * W;
        const vi comp = viload(reinterpret_cast<const uint32_t*>(p.comp) + v * W);  // padded: always W entries
        const vf sw = ld_upto(p.scales + v * W, valid);
        const vf bias = p.bias != nullptr ? ld_upto(p.bias + v * W, valid) : vzero();
        for (int r = 0; r < R; ++r) {
            const vf prod = no_contract(vmul(vcvt_i32(visub(acc[r][v], comp)), vmul(vset1(sa[r]), sw)));
            st_upto(c + r * ldc + v * W, p.bias != nullptr ? vadd(prod, bias) : prod, valid);
        }
    }
}

template <int R, int NV>
inline void int8_init(vi (&acc)[R][NV], const float* c, int64_t ldc, int ncols, bool first) {
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < NV; ++v) acc[r][v] = first ? vizero() : vas_int(ld_upto(c + r * ldc + v * W, ncols - v * W));
}

template <int R, int NV>
inline void int8_finish(vi (&acc)[R][NV], const float* sa, float* c, int64_t ldc, const Int8Panel& p, bool last) {
    if (last) {
        int8_epilogue<R, NV>(acc, sa, c, ldc, p);
    } else {
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) st_upto(c + r * ldc + v * W, vas_float(acc[r][v]), p.ncols - v * W);
    }
}

// One row tile over quads [0, qc) of a k-block: int32 partial sums start at 0 (first block) or from c, where they
// wait as raw int32 bits between blocks; the last block runs the epilogue. This one widens the bytes to int16 for
// vpmaddwd (avx2, and avx512 without VNNI).
template <int R, int NV>
void int8_tile(const uint32_t* a, int64_t lda, const uint32_t* bp, int qc, const float* sa, float* c, int64_t ldc,
               const Int8Panel& p, bool first, bool last) {
    constexpr int WIDTH = NV * W;
    vi acc[R][NV];
    int8_init<R, NV>(acc, c, ldc, p.ncols, first);
    for (int q = 0; q < qc; ++q) {
        vi be[NV], bo[NV];
        for (int v = 0; v < NV; ++v) {
            const vi wv = viload(bp + static_cast<int64_t>(q) * WIDTH + v * W);
            be[v] = vbytes_even_s(wv);
            bo[v] = vbytes_odd_s(wv);
        }
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const vi av = viset1(a[r * lda + q]);
            for (int v = 0; v < NV; ++v) acc[r][v] = vdot4_madd(acc[r][v], av, be[v], bo[v]);
        }
    }
    int8_finish<R, NV>(acc, sa, c, ldc, p, last);
}

#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512
// The same with vpdpbusd: one instruction per 4 k of a vector of columns.
template <int R, int NV>
VIM4J_TARGET_VNNI void int8_tile_vnni(const uint32_t* a, int64_t lda, const uint32_t* bp, int qc, const float* sa,
                                      float* c, int64_t ldc, const Int8Panel& p, bool first, bool last) {
    constexpr int WIDTH = NV * W;
    vi acc[R][NV];
    int8_init<R, NV>(acc, c, ldc, p.ncols, first);
    for (int q = 0; q < qc; ++q) {
        vi b[NV];
        for (int v = 0; v < NV; ++v) b[v] = viload(bp + static_cast<int64_t>(q) * WIDTH + v * W);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const vi av = viset1(a[r * lda + q]);
            for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, b[v]);
        }
    }
    int8_finish<R, NV>(acc, sa, c, ldc, p, last);
}
#define VIM4J_INT8_TILE(R_) (VNNI ? &int8_tile_vnni<R_, NV> : &int8_tile<R_, NV>)
#else
#define VIM4J_INT8_TILE(R_) (&int8_tile<R_, NV>)
#endif

template <int NV, bool VNNI>
void int8_panel(const LowpArgs& g, const uint32_t* bp, const Int8Panel& p, float* c) {
    const int32_t kq = int8_quads(g.k);
    const int64_t lda = g.lda;
    for (int32_t q0 = 0; q0 < kq; q0 += KQC) {
        const int qc = imin(KQC, kq - q0);
        const bool first = q0 == 0, last = q0 + qc == kq;
        const uint32_t* bq = bp + static_cast<int64_t>(q0) * NV * W;
        for (int32_t i = 0; i < g.m; i += MR) {
            const uint32_t* ai = static_cast<const uint32_t*>(g.a) + i * lda + q0;
            const float* sai = g.sa + i;
            float* ci = c + i * g.ldc;
            switch (imin(MR, g.m - i)) {
                case 6: VIM4J_INT8_TILE(6)(ai, lda, bq, qc, sai, ci, g.ldc, p, first, last); break;
                case 5: VIM4J_INT8_TILE(5)(ai, lda, bq, qc, sai, ci, g.ldc, p, first, last); break;
                case 4: VIM4J_INT8_TILE(4)(ai, lda, bq, qc, sai, ci, g.ldc, p, first, last); break;
                case 3: VIM4J_INT8_TILE(3)(ai, lda, bq, qc, sai, ci, g.ldc, p, first, last); break;
                case 2: VIM4J_INT8_TILE(2)(ai, lda, bq, qc, sai, ci, g.ldc, p, first, last); break;
                default: VIM4J_INT8_TILE(1)(ai, lda, bq, qc, sai, ci, g.ldc, p, first, last); break;
            }
        }
    }
}

#else  // portable

// Plain integer loops over the same packed layout; the epilogue in scalar fp32 with the same two roundings.
void int8_panel_scalar(const LowpArgs& g, const uint8_t* bp, int width, const int32_t* comp, const float* scales,
                       const float* bias, float* c, int ncols) {
    const int32_t kq = int8_quads(g.k);
    for (int32_t i = 0; i < g.m; ++i) {
        const uint8_t* ai = reinterpret_cast<const uint8_t*>(static_cast<const uint32_t*>(g.a) + i * g.lda);
        for (int jj = 0; jj < ncols; ++jj) {
            int32_t acc = 0;
            for (int32_t q = 0; q < kq; ++q) {
                const uint8_t* bw = bp + (static_cast<int64_t>(q) * width + jj) * 4;
                for (int t = 0; t < 4; ++t) acc += static_cast<int32_t>(ai[4 * q + t]) * static_cast<int8_t>(bw[t]);
            }
            const float prod = no_contract(static_cast<float>(acc - comp[jj]) * (g.sa[i] * scales[jj]));
            c[i * g.ldc + jj] = bias != nullptr ? prod + bias[jj] : prod;
        }
    }
}

#endif

void linear_lowp(const LowpArgs& g, int32_t p0, int32_t p1) {
    if (g.m <= 0) return;
    const int64_t cols = linear_packed_size(g.n, 1);
    for (int32_t p = p0; p < p1; ++p) {
        const int col0 = p * NR;
        const int ncols = imin(NR, g.n - col0);
        const bool full = panel_width(g.n, p) == NR;
        const float* bias = g.bias != nullptr ? g.bias + col0 : nullptr;
        float* c = g.c + col0;
        if (g.precision == VIM4J_PRECISION_BF16) {
            const uint32_t* bp = static_cast<const uint32_t*>(g.packed) + static_cast<int64_t>(col0) * bf16_pairs(g.k);
#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512
            if ((g.features & kFeatureBf16) != 0) {
                if (full) {
                    bf16_panel<2, true>(g, bp, bias, c, ncols);
                } else {
                    bf16_panel<1, true>(g, bp, bias, c, ncols);
                }
                continue;
            }
#endif
            if (full) {
                bf16_panel<2, false>(g, bp, bias, c, ncols);
            } else {
                bf16_panel<1, false>(g, bp, bias, c, ncols);
            }
            continue;
        }
        const int32_t kq = int8_quads(g.k);
        const uint32_t* bp = static_cast<const uint32_t*>(g.packed) + static_cast<int64_t>(col0) * kq;
        const int32_t* comp = reinterpret_cast<const int32_t*>(static_cast<const uint32_t*>(g.packed) + cols * kq) + col0;
#if VIM4J_LOWP_VECTOR_INT8
        const Int8Panel ip{comp, g.scales + col0, bias, ncols};
#if VIM4J_TIER_ISA == VIM4J_ISA_AVX512
        if ((g.features & kFeatureVnni) != 0) {
            if (full) {
                int8_panel<2, true>(g, bp, ip, c);
            } else {
                int8_panel<1, true>(g, bp, ip, c);
            }
            continue;
        }
#endif
        if (full) {
            int8_panel<2, false>(g, bp, ip, c);
        } else {
            int8_panel<1, false>(g, bp, ip, c);
        }
#else
        int8_panel_scalar(g, reinterpret_cast<const uint8_t*>(bp), panel_width(g.n, p), comp, g.scales + col0, bias, c,
                          ncols);
#endif
    }
}

// BF16 and INT8 linear layers (vim4j_linear at VIM4J_PRECISION_BF16 / _INT8) against docs/precision.md written out
// literally here:
//  - INT8 must equal the definition bit for bit: the int32 sums are exact and the epilogue
//    (float) acc * (sa * sw) + bias is the same two fp32 roundings in the same order;
//  - BF16 products of bf16-rounded values are exact, so the only difference is the order of the fp32 sum: the
//    reference sums in double and the tolerance is the fp32 summation bound (k + 2) * 2^-24 * sum |a16 * w16|.
// Shapes: m = 1 and m not a multiple of the micro-kernel's 6 rows, n not a multiple of any vector width (both panel
// widths), k = 1..7 (not a multiple of the bf16 pair or the int8 quad), k past the k-blocks (BF16 512, INT8 512),
// all-zero rows, huge and tiny magnitudes, rows holding inf or NaN; leading dimensions past the width; every
// result bit-identical for 1..4 threads. Also the packers (sizes, no writes past them, -128 refused) and the
// argument checks of the new fields. ctest runs this once per ISA tier, and the avx512 tier a second time with
// VIM4J_AVX512_EXT=none (the fallbacks of vdpbf16ps and vpdpbusd).
#include <algorithm>
#include <limits>

#include "test_common.h"

using vt::ErrStat;
using vt::PackedLinear;
using vt::Rng;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

const char* name(int precision) { return precision == VIM4J_PRECISION_BF16 ? "bf16" : "int8"; }

// The definition of INT8, element (i, j), for a row `a` of k values.
float int8_reference(const float* a, int k, const int8_t* qw_row, float sw, const float* bias, int j) {
    float amax = 0.0f;
    bool nan = false;
    for (int kk = 0; kk < k; ++kk) {
        if (std::isnan(a[kk])) nan = true;
        amax = std::max(amax, std::fabs(a[kk]));
    }
    if (nan) amax = kNaN;  // Math.max propagates NaN
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    const float sa = amax / 127.0f;
    int32_t acc = 0;
    for (int kk = 0; kk < k; ++kk) acc += vt::quantize_i8(a[kk], inv) * qw_row[kk];
    volatile float prod = static_cast<float>(acc) * (sa * sw);  // rounded before the bias is added
    return bias != nullptr ? prod + bias[j] : prod;
}

enum Fill { kUniform, kZeroRows, kHuge, kTiny, kSpecial };

void fill_a(Rng& rng, std::vector<float>& a, int m, int k, int lda, Fill fill) {
    a.assign(static_cast<size_t>(m) * lda + 8, 3.25e7f);  // gaps between rows hold junk the kernels must not read
    for (int i = 0; i < m; ++i)
        for (int kk = 0; kk < k; ++kk) {
            float v = rng.uniform(-1.0f, 1.0f);
            if (fill == kHuge) v *= 1e30f;
            if (fill == kTiny) v *= 1e-30f;
            if (fill == kZeroRows && i % 3 == 1) v = 0.0f;
            a[static_cast<size_t>(i) * lda + kk] = v;
        }
    if (fill == kSpecial && m >= 3) {
        a[static_cast<size_t>(1) * lda + k / 2] = kNaN;
        a[static_cast<size_t>(2) * lda + (k - 1)] = -kInf;
    }
}

void lowp_case(Rng& rng, int precision, int m, int n, int k, bool with_bias, int pad, Fill fill) {
    const int lda = k + pad, ldc = n + pad;
    std::vector<float> w(static_cast<size_t>(n) * k), bias(n), a;
    rng.fill(w.data(), w.size(), -1.0f, 1.0f);
    if (fill == kZeroRows)
        for (int kk = 0; kk < k; ++kk) w[kk] = 0.0f;  // a zero weight row too: sw = 0
    rng.fill(bias.data(), bias.size(), -1.0f, 1.0f);
    fill_a(rng, a, m, k, lda, fill);
    PackedLinear p;
    VT_CHECK(vt::pack_linear(w.data(), n, k, precision, p), "pack %s n=%d k=%d: %s", name(precision), n, k,
             vim4j_last_error());
    VT_CHECK(p.packed.back() == -7.0f, "pack %s n=%d k=%d wrote past vim4j_linear_packed_bytes", name(precision), n, k);
    const vim4j_linear_weight W = p.abi(with_bias ? bias.data() : nullptr);
    const vim4j_rows A = vt::rows(a.data(), lda);

    std::vector<float> c1;
    for (int threads = 0; threads <= vt::kMaxTestThreads; ++threads) {
        std::vector<float> c(static_cast<size_t>(m) * ldc + 8, 5.5f);
        const vim4j_rows C = vt::rows(c.data(), ldc);
        VT_CHECK_OK(vim4j_linear(vt::runtime(threads), &A, m, &W, &C));
        for (int i = 0; i < m; ++i)
            for (int j = n; j < ldc; ++j)
                VT_CHECK(c[static_cast<size_t>(i) * ldc + j] == 5.5f, "%s linear wrote a gap (i=%d j=%d)", name(precision), i, j);
        for (size_t t = static_cast<size_t>(m - 1) * ldc + n; t < c.size(); ++t)
            VT_CHECK(c[t] == 5.5f, "%s linear wrote past c", name(precision));
        if (threads == 0) {
            c1 = c;
        } else {
            VT_CHECK(std::memcmp(c.data(), c1.data(), sizeof(float) * c.size()) == 0,
                     "%s linear m=%d n=%d k=%d on %d threads differs from the caller's thread", name(precision), m, n, k,
                     threads);
        }
    }

    if (precision == VIM4J_PRECISION_INT8) {
        std::vector<int8_t> qw;
        std::vector<float> sw;
        vt::quantize_weights(w.data(), n, k, qw, sw);
        long bad = 0;
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                const float want = int8_reference(a.data() + static_cast<size_t>(i) * lda, k,
                                                  qw.data() + static_cast<size_t>(j) * k, sw[j],
                                                  with_bias ? bias.data() : nullptr, j);
                const float got = c1[static_cast<size_t>(i) * ldc + j];
                const bool same = vt::Buf::same(got, want) || (std::isnan(got) && std::isnan(want));
                if (!same && bad++ == 0)
                    VT_CHECK(false, "int8 m=%d n=%d k=%d fill=%d: c[%d, %d] = %.9g, definition %.9g", m, n, k,
                             static_cast<int>(fill), i, j, static_cast<double>(got), static_cast<double>(want));
            }
        VT_CHECK(bad == 0, "int8 m=%d n=%d k=%d: %ld values differ from the definition", m, n, k, bad);
        return;
    }
    ErrStat st;
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double s = with_bias ? bias[j] : 0.0, mag = with_bias ? std::fabs(bias[j]) : 0.0;
            for (int kk = 0; kk < k; ++kk) {
                const double t = static_cast<double>(vt::round_bf16(a[static_cast<size_t>(i) * lda + kk])) *
                                 vt::round_bf16(w[static_cast<size_t>(j) * k + kk]);
                s += t;
                mag += std::fabs(t);
            }
            // vdpbf16ps reads bf16 subnormals as 0: below 2^-126 of the products' scale that is an absolute error
            const double floor = fill == kTiny ? 1e-36 : 0.0;
            st.add(c1[static_cast<size_t>(i) * ldc + j], s, mag + floor, (k + 2) * 0x1p-24);
        }
    VT_CHECK(st.bad == 0, "bf16 m=%d n=%d k=%d fill=%d: %ld of %ld outside the fp32 summation bound; first: %s", m, n, k,
             static_cast<int>(fill), st.bad, st.n, st.first_bad);
}

void test_shapes() {
    Rng rng(1234);
    const int ms[] = {1, 5, 6, 7, 13, 40};
    const int ns[] = {1, 3, 17, 31, 33, 44, 64, 100};
    const int ks[] = {1, 2, 3, 4, 5, 7, 12, 33, 192, 385};
    for (int precision : {VIM4J_PRECISION_BF16, VIM4J_PRECISION_INT8}) {
        int idx = 0;
        for (int m : ms)
            for (int n : ns)
                for (int k : ks) {
                    ++idx;
                    if ((idx % 3) != 0 && m > 1 && k > 7) continue;  // a third of the large combinations
                    lowp_case(rng, precision, m, n, k, idx % 2 == 0, idx % 4, kUniform);
                }
        // the Vim-Tiny shapes, k-blocking past 512, and the value patterns
        lowp_case(rng, precision, 197, 768, 192, false, 0, kUniform);
        lowp_case(rng, precision, 197, 44, 384, false, 0, kUniform);
        lowp_case(rng, precision, 197, 192, 384, true, 3, kUniform);
        lowp_case(rng, precision, 9, 40, 1030, true, 1, kUniform);
        lowp_case(rng, precision, 13, 37, 2053, false, 0, kUniform);
        for (Fill f : {kZeroRows, kHuge, kTiny, kSpecial}) {
            lowp_case(rng, precision, 7, 33, 5, true, 1, f);
            lowp_case(rng, precision, 14, 65, 130, false, 0, f);
        }
        std::printf("  %s linear: shapes, value patterns and threads checked\n", name(precision));
    }
}

void test_packing_and_checks() {
    // sizes: fp32 agrees with vim4j_linear_packed_size; the low precisions are at most half / a quarter of it
    for (int n : {1, 7, 33, 768})
        for (int k : {1, 2, 3, 5, 384}) {
            const int64_t f = vim4j_linear_packed_size(n, k);
            VT_CHECK(vim4j_linear_packed_bytes(VIM4J_PRECISION_FP32, n, k) == 4 * f, "fp32 packed bytes n=%d k=%d", n, k);
            const int64_t cols = f / k;
            VT_CHECK(vim4j_linear_packed_bytes(VIM4J_PRECISION_BF16, n, k) == 4 * cols * ((k + 1) / 2),
                     "bf16 packed bytes n=%d k=%d", n, k);
            VT_CHECK(vim4j_linear_packed_bytes(VIM4J_PRECISION_INT8, n, k) == 4 * cols * ((k + 3) / 4) + 4 * cols,
                     "int8 packed bytes n=%d k=%d", n, k);
        }
    VT_CHECK(vim4j_linear_packed_bytes(3, 4, 4) == -1 && std::strstr(vim4j_last_error(), "precision") != nullptr,
             "unknown precision: %s", vim4j_last_error());
    VT_CHECK(vim4j_linear_packed_bytes(VIM4J_PRECISION_INT8, 0, 4) == -1, "n = 0 accepted");

    std::vector<int8_t> qw(12, 5);
    std::vector<float> buf(64);
    qw[7] = -128;
    VT_CHECK(vim4j_linear_pack_int8(qw.data(), 3, 4, buf.data()) == VIM4J_ERR_INVALID_ARGUMENT &&
                 std::strstr(vim4j_last_error(), "-128") != nullptr,
             "-128 accepted: %s", vim4j_last_error());
    VT_CHECK(vim4j_linear_pack_int8(nullptr, 3, 4, buf.data()) == VIM4J_ERR_INVALID_ARGUMENT, "NULL qw accepted");
    VT_CHECK(vim4j_linear_pack_bf16(nullptr, 3, 4, buf.data()) == VIM4J_ERR_INVALID_ARGUMENT, "NULL w accepted");

    std::vector<float> w(12, 0.5f), a(4, 1.0f), c(3, 0.0f);
    PackedLinear p;
    VT_CHECK(vt::pack_linear(w.data(), 3, 4, VIM4J_PRECISION_INT8, p), "pack");
    const vim4j_rows A = vt::rows(a.data(), 4), C = vt::rows(c.data(), 3);
    vim4j_linear_weight W = p.abi(nullptr);
    VT_CHECK_OK(vim4j_linear(nullptr, &A, 1, &W, &C));
    // 1 * 0.5: qa = 127 (sa = 1/127), qw = 127 (sw = 0.5/127), acc = 4 * 127 * 127
    VT_CHECK(c[0] == static_cast<float>(4 * 127 * 127) * ((1.0f / 127.0f) * (0.5f / 127.0f)), "c = %g", c[0]);
    W.scales = nullptr;
    VT_CHECK(vim4j_linear(nullptr, &A, 1, &W, &C) == VIM4J_ERR_INVALID_ARGUMENT &&
                 std::strstr(vim4j_last_error(), "w->scales") != nullptr,
             "int8 without scales: %s", vim4j_last_error());
    W = p.abi(nullptr);
    W.reserved = 1;
    VT_CHECK(vim4j_linear(nullptr, &A, 1, &W, &C) == VIM4J_ERR_INVALID_ARGUMENT &&
                 std::strstr(vim4j_last_error(), "w->reserved") != nullptr,
             "reserved != 0: %s", vim4j_last_error());
    W = p.abi(nullptr);
    W.precision = 7;
    VT_CHECK(vim4j_linear(nullptr, &A, 1, &W, &C) == VIM4J_ERR_INVALID_ARGUMENT &&
                 std::strstr(vim4j_last_error(), "w->precision") != nullptr,
             "precision 7: %s", vim4j_last_error());
    W = p.abi(nullptr);
    W.precision = VIM4J_PRECISION_BF16;  // scales only go with INT8
    VT_CHECK(vim4j_linear(nullptr, &A, 1, &W, &C) == VIM4J_ERR_INVALID_ARGUMENT &&
                 std::strstr(vim4j_last_error(), "w->scales") != nullptr,
             "bf16 with scales: %s", vim4j_last_error());
}

}  // namespace

int main() {
    const int setup = vt::tier_setup("test_precision");
    if (setup != 0) return setup;
    const char* ext = std::getenv("VIM4J_AVX512_EXT");
    std::printf("test_precision: VIM4J_AVX512_EXT=%s\n", ext != nullptr ? ext : "(unset)");
    test_packing_and_checks();
    test_shapes();
    return vt::finish("test_precision");
}

// Every kernel of libvim4j against plain reference loops (double accumulation), on many shapes: odd
// lengths, L = 1, channel counts that are not multiples of the vector width, N = 1..16, 17, 20, 33, 256,
// k = 1, m = 1, leading dimensions larger than the width, both directions, accumulate on and off,
// channel sub-ranges (views at an offset), special values (threshold 20, underflowing exp, -inf, NaN); the cases
// cycle through runtimes of 0 (NULL) to 4 threads, and every kernel is bit-identical for every thread count on
// shapes the split rules do cut. ctest runs this binary once per ISA tier (VIM4J_MAX_ISA).
#include <algorithm>
#include <cfloat>
#include <limits>

#include "test_common.h"

using vt::Buf;
using vt::ErrStat;
using vt::Rng;

namespace {

constexpr double kRtolLinear = 1e-5;
constexpr double kRtolNorm = 1e-5;
constexpr double kRtolConv = 1e-5;
constexpr double kRtolScan = 1e-5;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// The runtime of the next case: NULL, then 1..4 threads, round robin.
vim4j_runtime* next_runtime() {
    static int i = 0;
    return vt::runtime(i++ % (vt::kMaxTestThreads + 1));
}

void report(const char* what, const ErrStat& st, double tol) {
    std::printf("  %-28s %8ld values, worst error %.3g of magnitude (tolerance %.0e)\n", what, st.n, st.worst, tol);
    VT_CHECK(st.bad == 0, "%s: %ld of %ld values outside tolerance %.1e (worst %.3g); first: %s", what, st.bad, st.n,
             tol, st.worst, st.first_bad);
}

// ------------------------------------------------------------------------------------------------ linear

struct Packed {
    Buf buf;
    int n, k;
};

Packed pack(const Buf& w, int n, int k) {
    const int64_t size = vim4j_linear_packed_size(n, k);
    VT_CHECK(size >= static_cast<int64_t>(n) * k, "packed size %lld < n*k for n=%d k=%d", static_cast<long long>(size), n, k);
    Packed p{Buf(static_cast<size_t>(std::max<int64_t>(size, 0))), n, k};
    VT_CHECK_OK(vim4j_linear_pack(w.data(), n, k, p.buf.data()));
    VT_CHECK(p.buf.guards(), "vim4j_linear_pack wrote outside packed_size (n=%d k=%d)", n, k);
    return p;
}

void linear_case(Rng& rng, int m, int n, int k, bool with_bias, int lda, int ldc, ErrStat& st) {
    Buf a(static_cast<size_t>(m) * lda), w(static_cast<size_t>(n) * k), bias(n);
    rng.fill(a, -1.0f, 1.0f);
    rng.fill(w, -1.0f, 1.0f);
    rng.fill(bias, -1.0f, 1.0f);
    Packed p = pack(w, n, k);
    Buf c(static_cast<size_t>(m) * ldc);
    const vim4j_rows A = vt::rows(a.data(), lda), C = vt::rows(c.data(), ldc);
    const vim4j_linear_weight W{p.buf.data(), with_bias ? bias.data() : nullptr, n, k, VIM4J_PRECISION_FP32, 0, nullptr};
    VT_CHECK_OK(vim4j_linear(next_runtime(), &A, m, &W, &C));
    VT_CHECK(c.guards() && a.guards(), "linear m=%d n=%d k=%d wrote outside c", m, n, k);
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            double s = with_bias ? bias[j] : 0.0, mag = std::fabs(s);
            for (int kk = 0; kk < k; ++kk) {
                const double t = static_cast<double>(a[static_cast<size_t>(i) * lda + kk]) * w[static_cast<size_t>(j) * k + kk];
                s += t;
                mag += std::fabs(t);
            }
            st.add(c[static_cast<size_t>(i) * ldc + j], s, mag, kRtolLinear);
        }
        for (int j = n; j < ldc; ++j)
            VT_CHECK(Buf::same(c[static_cast<size_t>(i) * ldc + j], Buf::kSentinel), "linear wrote c gap (i=%d j=%d)", i, j);
    }
}

void test_linear() {
    std::printf("linear\n");
    Rng rng(1);
    ErrStat st;
    const int ms[] = {0, 1, 2, 5, 6, 7, 13};
    const int ns[] = {1, 3, 4, 5, 8, 15, 16, 17, 24, 31, 32, 33, 44, 48, 63, 64, 65, 100};
    const int ks[] = {1, 3, 12, 255, 256, 257, 513};
    int idx = 0;
    for (int m : ms)
        for (int n : ns)
            for (int k : ks) {
                ++idx;
                const int lda = k + (idx % 3 == 0 ? rng.range(1, 9) : 0);
                const int ldc = n + (idx % 4 == 1 ? rng.range(1, 9) : 0);
                linear_case(rng, m, n, k, idx % 2 == 0, lda, ldc, st);
            }
    // Vim-Tiny projections: in_proj, x_proj, dt_proj (reads x_dbl's first R columns), out_proj; head.
    linear_case(rng, 197, 768, 192, false, 192, 768, st);
    linear_case(rng, 197, 44, 384, false, 384, 44, st);
    linear_case(rng, 197, 384, 12, false, 44, 384, st);
    linear_case(rng, 197, 192, 384, false, 384, 192, st);
    linear_case(rng, 2, 1000, 192, true, 197 * 192, 1000, st);
    report("linear", st, kRtolLinear);

    // Row slices (views at a row offset) give bit-identical rows.
    {
        const int m = 61, n = 77, k = 300;
        Buf a(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), bias(n);
        rng.fill(a, -1, 1);
        rng.fill(w, -1, 1);
        rng.fill(bias, -1, 1);
        Packed p = pack(w, n, k);
        const vim4j_linear_weight W{p.buf.data(), bias.data(), n, k, VIM4J_PRECISION_FP32, 0, nullptr};
        Buf full(static_cast<size_t>(m) * n), parts(static_cast<size_t>(m) * n);
        const vim4j_rows A = vt::rows(a.data(), k), F = vt::rows(full.data(), n);
        VT_CHECK_OK(vim4j_linear(nullptr, &A, m, &W, &F));
        const int cuts[] = {0, 1, 8, 9, 30, 61};
        for (int s = 0; s + 1 < 6; ++s) {
            const vim4j_rows As = vt::rows(a.data() + static_cast<size_t>(cuts[s]) * k, k);
            const vim4j_rows Ps = vt::rows(parts.data() + static_cast<size_t>(cuts[s]) * n, n);
            VT_CHECK_OK(vim4j_linear(nullptr, &As, cuts[s + 1] - cuts[s], &W, &Ps));
        }
        VT_CHECK(std::memcmp(full.data(), parts.data(), sizeof(float) * m * n) == 0, "row slices differ from the full GEMM");
    }
    // Every thread count (panel splits for in_proj-like shapes, row splits for x_proj-like ones) gives the
    // single-threaded bits.
    {
        const int shapes[][3] = {{197, 768, 192}, {197, 44, 384}, {197, 384, 12}, {394, 192, 384}, {61, 77, 300}};
        for (const auto& sh : shapes) {
            const int m = sh[0], n = sh[1], k = sh[2];
            Buf a(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), bias(n);
            rng.fill(a, -1, 1);
            rng.fill(w, -1, 1);
            rng.fill(bias, -1, 1);
            Packed p = pack(w, n, k);
            const vim4j_linear_weight W{p.buf.data(), bias.data(), n, k, VIM4J_PRECISION_FP32, 0, nullptr};
            const vim4j_rows A = vt::rows(a.data(), k);
            Buf one(static_cast<size_t>(m) * n);
            const vim4j_rows O = vt::rows(one.data(), n);
            VT_CHECK_OK(vim4j_linear(nullptr, &A, m, &W, &O));
            for (int t = 1; t <= vt::kMaxTestThreads; ++t) {
                Buf many(static_cast<size_t>(m) * n);
                const vim4j_rows M = vt::rows(many.data(), n);
                VT_CHECK_OK(vim4j_linear(vt::runtime(t), &A, m, &W, &M));
                VT_CHECK(many.guards() && std::memcmp(one.data(), many.data(), sizeof(float) * m * n) == 0,
                         "linear %dx%dx%d on %d threads differs from 1 thread", m, k, n, t);
            }
        }
    }
    // NaN in a propagates to its row only; inf*0 etc. follow IEEE.
    {
        const int m = 9, n = 40, k = 33;
        Buf a(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k);
        rng.fill(a, -1, 1);
        rng.fill(w, -1, 1);
        a[4 * k + 7] = kNaN;
        Packed p = pack(w, n, k);
        Buf c(static_cast<size_t>(m) * n);
        const vim4j_rows A = vt::rows(a.data(), k), C = vt::rows(c.data(), n);
        const vim4j_linear_weight W{p.buf.data(), nullptr, n, k, VIM4J_PRECISION_FP32, 0, nullptr};
        VT_CHECK_OK(vim4j_linear(next_runtime(), &A, m, &W, &C));
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j)
                VT_CHECK(std::isnan(c[static_cast<size_t>(i) * n + j]) == (i == 4), "linear NaN propagation at (%d, %d)", i, j);
    }
}

// -------------------------------------------------------------------------------------------- rms norm

void test_rms_norm() {
    std::printf("add_rms_norm\n");
    Rng rng(2);
    ErrStat st;
    const int dims[] = {1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 64, 100, 192, 200, 384};
    const int rows_list[] = {0, 1, 3, 7};
    for (int dim : dims)
        for (int rows : rows_list)
            for (int with_hidden = 0; with_hidden < 2; ++with_hidden) {
                const size_t n = static_cast<size_t>(rows) * dim;
                Buf res(n), hid(n), wt(dim), out(n);
                rng.fill(res, -2, 2);
                rng.fill(hid, -2, 2);
                rng.fill(wt, -1.5f, 1.5f);
                std::vector<float> res0(res.data(), res.data() + n);
                const float eps = 1e-5f;
                VT_CHECK_OK(vim4j_add_rms_norm(next_runtime(), res.data(), with_hidden ? hid.data() : nullptr, wt.data(),
                                               out.data(), rows, dim, eps));
                VT_CHECK(res.guards() && out.guards(), "rms norm wrote out of bounds (dim=%d)", dim);
                for (int r = 0; r < rows; ++r) {
                    double ss = 0;
                    for (int i = 0; i < dim; ++i) {
                        const size_t o = static_cast<size_t>(r) * dim + i;
                        const float expect = with_hidden ? res0[o] + hid[o] : res0[o];  // fp32 add, as specified
                        VT_CHECK(Buf::same(res[o], expect), "residual[%zu] = %g, expected %g", o, res[o], expect);
                        ss += static_cast<double>(expect) * expect;
                    }
                    const double inv = 1.0 / std::sqrt(ss / dim + eps);
                    for (int i = 0; i < dim; ++i) {
                        const size_t o = static_cast<size_t>(r) * dim + i;
                        const double ref = static_cast<double>(res[o]) * inv * wt[i];
                        st.add(out[o], ref, std::fabs(ref), kRtolNorm);
                    }
                }
            }
    report("add_rms_norm", st, kRtolNorm);
    // in place (out == residual) and NaN rows
    {
        const int rows = 3, dim = 37;
        Buf res(rows * dim), wt(dim);
        rng.fill(res, -1, 1);
        rng.fill(wt, -1, 1);
        res[dim + 5] = kNaN;
        VT_CHECK_OK(vim4j_add_rms_norm(next_runtime(), res.data(), nullptr, wt.data(), res.data(), rows, dim, 1e-5f));
        for (int i = 0; i < rows * dim; ++i)
            VT_CHECK(std::isnan(res[i]) == (i / dim == 1), "rms norm NaN propagation at %d", i);
    }
    // every thread count gives the single-threaded bits (rows split)
    {
        const int rows = 394, dim = 384;
        Buf res(static_cast<size_t>(rows) * dim), hid(res.size()), wt(dim), out1(res.size());
        rng.fill(res, -2, 2);
        rng.fill(hid, -2, 2);
        rng.fill(wt, -1, 1);
        Buf res1 = res;
        VT_CHECK_OK(vim4j_add_rms_norm(nullptr, res1.data(), hid.data(), wt.data(), out1.data(), rows, dim, 1e-5f));
        for (int t = 1; t <= vt::kMaxTestThreads; ++t) {
            Buf rest = res, outt(res.size());
            VT_CHECK_OK(vim4j_add_rms_norm(vt::runtime(t), rest.data(), hid.data(), wt.data(), outt.data(), rows, dim, 1e-5f));
            VT_CHECK(std::memcmp(res1.data(), rest.data(), sizeof(float) * res.size()) == 0 &&
                         std::memcmp(out1.data(), outt.data(), sizeof(float) * res.size()) == 0,
                     "add_rms_norm on %d threads differs from 1 thread", t);
        }
    }
}

// ------------------------------------------------------------------------------------------------- conv

void conv_case(Rng& rng, int batch, int len, int channels, int kernel, bool reverse, int ldx, int ldo, int c0, int c1,
               ErrStat& st) {
    const size_t rows = static_cast<size_t>(batch) * len;
    Buf x(rows * ldx), w(static_cast<size_t>(channels) * kernel), bias(channels), out(rows * ldo);
    rng.fill(x, -2, 2);
    rng.fill(w, -1, 1);
    rng.fill(bias, -0.5f, 0.5f);
    if (c1 > c0) {  // channels [c0, c1) as views at an offset
        const vim4j_rows X = vt::rows(x.data() + c0, ldx), O = vt::rows(out.data() + c0, ldo);
        const vim4j_conv_weights W{w.data() + static_cast<size_t>(c0) * kernel, bias.data() + c0, c1 - c0, kernel};
        VT_CHECK_OK(vim4j_conv_silu(next_runtime(), &X, &W, &O, batch, len, reverse ? 1 : 0));
    }
    VT_CHECK(out.guards(), "conv wrote out of bounds");
    for (int b = 0; b < batch; ++b)
        for (int t = 0; t < len; ++t)
            for (int e = 0; e < ldo; ++e) {
                const size_t o = (static_cast<size_t>(b) * len + t) * ldo + e;
                if (e < c0 || e >= c1) {
                    VT_CHECK(Buf::same(out[o], Buf::kSentinel), "conv wrote channel %d outside [%d, %d)", e, c0, c1);
                    continue;
                }
                double acc = bias[e], mag = std::fabs(acc);
                for (int k = 0; k < kernel; ++k) {
                    const int src = reverse ? t + (kernel - 1 - k) : t - (kernel - 1 - k);
                    if (src < 0 || src >= len) continue;
                    const double term = static_cast<double>(w[static_cast<size_t>(e) * kernel + k]) *
                                        x[(static_cast<size_t>(b) * len + src) * ldx + e];
                    acc += term;
                    mag += std::fabs(term);
                }
                const double ref = vt::silu_d(acc);
                st.add(out[o], ref, std::fabs(ref) + 1.1 * mag, kRtolConv);
            }
}

void test_conv() {
    std::printf("conv_silu\n");
    Rng rng(3);
    ErrStat st;
    const int lens[] = {1, 2, 3, 5, 17, 197};
    const int chans[] = {1, 3, 5, 15, 16, 17, 33, 40, 64};
    const int kernels[] = {1, 2, 3, 4, 7, 16, 17, 20, 33};
    int idx = 0;
    for (int len : lens)
        for (int ch : chans)
            for (int k : kernels) {
                ++idx;
                const int batch = 1 + idx % 3;
                const int ldx = ch + (idx % 2 ? ch : 0) + (idx % 5 == 0 ? 3 : 0);  // like xz: 2E
                const int ldo = ch + (idx % 3 == 0 ? 5 : 0);
                int c0 = 0, c1 = ch;
                if (idx % 4 == 1) {
                    c0 = rng.range(0, ch);
                    c1 = rng.range(c0, ch);
                }
                conv_case(rng, batch, len, ch, k, idx % 2 == 0, ldx, ldo, c0, c1, st);
                if (len == 197 && k == 4) conv_case(rng, batch, len, ch, k, idx % 2 != 0, ldx, ldo, c0, c1, st);
            }
    conv_case(rng, 2, 197, 384, 4, false, 768, 384, 0, 384, st);
    conv_case(rng, 2, 197, 384, 4, true, 768, 384, 0, 384, st);
    report("conv_silu", st, kRtolConv);

    // channel ranges (views at a channel offset) and every thread count give bit-identical results
    {
        const int batch = 2, len = 197, ch = 200, k = 4;
        Buf x(static_cast<size_t>(batch) * len * ch), w(ch * k), bias(ch);
        rng.fill(x, -2, 2);
        rng.fill(w, -1, 1);
        rng.fill(bias, -1, 1);
        const vim4j_rows X = vt::rows(x.data(), ch);
        const vim4j_conv_weights W{w.data(), bias.data(), ch, k};
        for (int rev = 0; rev < 2; ++rev) {
            Buf full(x.size()), parts(x.size());
            const vim4j_rows F = vt::rows(full.data(), ch);
            VT_CHECK_OK(vim4j_conv_silu(nullptr, &X, &W, &F, batch, len, rev));
            const int cuts[] = {0, 7, 20, 21, 53, 200};
            for (int s = 0; s + 1 < 6; ++s) {
                const vim4j_rows Xs = vt::rows(x.data() + cuts[s], ch), Ps = vt::rows(parts.data() + cuts[s], ch);
                const vim4j_conv_weights Ws{w.data() + cuts[s] * k, bias.data() + cuts[s], cuts[s + 1] - cuts[s], k};
                VT_CHECK_OK(vim4j_conv_silu(nullptr, &Xs, &Ws, &Ps, batch, len, rev));
            }
            VT_CHECK(std::memcmp(full.data(), parts.data(), sizeof(float) * x.size()) == 0, "conv channel ranges differ");
            for (int t = 1; t <= vt::kMaxTestThreads; ++t) {
                Buf many(x.size());
                const vim4j_rows M = vt::rows(many.data(), ch);
                VT_CHECK_OK(vim4j_conv_silu(vt::runtime(t), &X, &W, &M, batch, len, rev));
                VT_CHECK(std::memcmp(full.data(), many.data(), sizeof(float) * x.size()) == 0,
                         "conv on %d threads differs from 1 thread (reverse=%d)", t, rev);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------- scan

struct ScanCase {
    int batch, len, channels, states;
    bool reverse, accumulate;
    float out_scale;
    int pad_ld;    // extra floats per row of u/delta/z/out
    int r_off;     // B starts r_off floats into each x_dbl row
    int c0, c1;
    int special;   // 0: ordinary data; 1: extreme dt/A, threshold 20; 2: NaN/inf
};

struct ScanData {
    int ldu, ldd, ldz, ldo, ldbc;
    Buf u, delta, a_t, bc, d_skip, dbias, z, out;
};

ScanData make_scan_data(Rng& rng, const ScanCase& sc) {
    const int E = sc.channels, N = sc.states;
    const size_t rows = static_cast<size_t>(sc.batch) * sc.len;
    ScanData d{E + sc.pad_ld, E + 2 * sc.pad_ld, 2 * E + sc.pad_ld, E + sc.pad_ld, sc.r_off + 2 * N + (sc.pad_ld % 3),
               Buf(), Buf(), Buf(), Buf(), Buf(), Buf(), Buf(), Buf()};
    d.u = Buf(rows * d.ldu);
    d.delta = Buf(rows * d.ldd);
    d.a_t = Buf(static_cast<size_t>(N) * E);
    d.bc = Buf(rows * d.ldbc);
    d.d_skip = Buf(E);
    d.dbias = Buf(E);
    d.z = Buf(rows * d.ldz);
    d.out = Buf(rows * d.ldo);
    rng.fill(d.u, -1.5f, 1.5f);
    rng.fill(d.delta, -4.0f, 1.0f);
    for (size_t i = 0; i < d.a_t.size(); ++i) d.a_t[i] = -std::exp(rng.uniform(-1.5f, 2.8f));
    rng.fill(d.bc, -1.0f, 1.0f);
    rng.fill(d.d_skip, -1.0f, 1.0f);
    rng.fill(d.dbias, -2.0f, 0.5f);
    rng.fill(d.z, -4.0f, 4.0f);
    if (sc.special == 1) {
        const float dv[] = {19.9f, 20.0f, 20.0001f, 20.1f, 25.0f, 60.0f, -30.0f, -90.0f, -120.0f, 5.0f, 12.0f};
        for (size_t i = 0; i < d.delta.size(); ++i)
            if (rng.range(0, 2) == 0) d.delta[i] = dv[rng.range(0, 10)];
        for (size_t i = 0; i < d.a_t.size(); ++i) {
            const int r = rng.range(0, 9);
            if (r == 0) d.a_t[i] = -1000.0f;   // dt*A far below -150
            if (r == 1) d.a_t[i] = -5.0f;      // with dt = 20..60: -100..-300
            if (r == 2) d.a_t[i] = -1e-6f;     // dA ~ 1
            if (r == 3) d.a_t[i] = -FLT_MAX;
        }
        for (size_t i = 0; i < d.z.size(); ++i)
            if (rng.range(0, 5) == 0) d.z[i] = rng.range(0, 1) ? 100.0f : -100.0f;
        for (int e = 0; e < E; ++e) d.dbias[e] = rng.range(0, 3) == 0 ? 0.0f : d.dbias[e];
    } else if (sc.special == 2) {
        const float inf = std::numeric_limits<float>::infinity();
        // a few NaN/inf inputs, each in its own channel so the other channels stay checkable
        for (int e = 0; e < E; ++e) {
            const int kind = e % 7;
            const size_t t = static_cast<size_t>(rng.range(0, static_cast<int>(rows) - 1));
            if (kind == 1) d.u[t * d.ldu + e] = kNaN;
            if (kind == 2) d.delta[t * d.ldd + e] = kNaN;
            if (kind == 3) d.z[t * d.ldz + E + e] = kNaN;
            if (kind == 4) d.a_t[static_cast<size_t>(rng.range(0, N - 1)) * E + e] = -inf;  // dA = 0
            if (kind == 5) d.delta[t * d.ldd + e] = -inf;  // dt = 0
        }
    }
    return d;
}

// Runs the scan over [c0, c1) and checks it against the double reference; out's initial content is
// NaN in the range when accumulate is off (must not be read) and random when on.
void scan_case(Rng& rng, const ScanCase& sc, ErrStat& st) {
    ScanData d = make_scan_data(rng, sc);
    const int E = sc.channels, N = sc.states;
    const size_t rows = static_cast<size_t>(sc.batch) * sc.len;
    for (size_t r = 0; r < rows; ++r)
        for (int e = sc.c0; e < sc.c1; ++e) d.out[r * d.ldo + e] = sc.accumulate ? rng.uniform(-1, 1) : kNaN;
    std::vector<float> out0(d.out.data(), d.out.data() + d.out.size());
    const float* zp = d.z.data() + E;  // z is the second half of an xz-like row
    if (sc.c1 > sc.c0) {
        // channels [c0, c1) as views at an offset; a_t is (states, channels), so its columns are copied out
        const int c0 = sc.c0, ce = sc.c1 - sc.c0;
        Buf at(static_cast<size_t>(N) * ce);
        for (int n = 0; n < N; ++n)
            for (int j = 0; j < ce; ++j) at[static_cast<size_t>(n) * ce + j] = d.a_t[static_cast<size_t>(n) * E + c0 + j];
        // C sometimes from its own buffer with its own leading dimension
        const int ldc = sc.pad_ld % 2 == 1 ? N + 5 : d.ldbc;
        Buf cbuf(rows * static_cast<size_t>(ldc));
        for (size_t r = 0; r < rows; ++r)
            for (int n = 0; n < N; ++n) cbuf[r * ldc + n] = d.bc[r * d.ldbc + sc.r_off + N + n];
        const float* cp = sc.pad_ld % 2 == 1 ? cbuf.data() : d.bc.data() + sc.r_off + N;
        const vim4j_scan_inputs in{vt::rows(d.u.data() + c0, d.ldu), vt::rows(d.delta.data() + c0, d.ldd),
                                   vt::rows(d.bc.data() + sc.r_off, d.ldbc), vt::rows(cp, ldc), vt::rows(zp + c0, d.ldz)};
        const vim4j_scan_weights w{at.data(), d.d_skip.data() + c0, d.dbias.data() + c0, ce, N};
        const vim4j_rows out = vt::rows(d.out.data() + c0, d.ldo);
        const int32_t flags = (sc.reverse ? VIM4J_SCAN_REVERSE : 0) | (sc.accumulate ? VIM4J_SCAN_ACCUMULATE : 0);
        VT_CHECK_OK(vim4j_selective_scan(next_runtime(), &in, &w, &out, sc.batch, sc.len, flags, sc.out_scale));
    }
    VT_CHECK(d.out.guards(), "scan wrote out of bounds");
    std::vector<double> h(N), ha(N);
    for (int b = 0; b < sc.batch; ++b)
        for (int e = 0; e < d.ldo; ++e) {
            if (e < sc.c0 || e >= sc.c1) {
                for (int t = 0; t < sc.len; ++t) {
                    const size_t o = (static_cast<size_t>(b) * sc.len + t) * d.ldo + e;
                    VT_CHECK(Buf::same(d.out[o], out0[o]), "scan wrote channel %d outside [%d, %d)", e, sc.c0, sc.c1);
                }
                continue;
            }
            std::fill(h.begin(), h.end(), 0.0);
            std::fill(ha.begin(), ha.end(), 0.0);
            for (int step = 0; step < sc.len; ++step) {
                const size_t t = static_cast<size_t>(b) * sc.len + (sc.reverse ? sc.len - 1 - step : step);
                const double uu = d.u[t * d.ldu + e];
                const double dt = vt::softplus_d(static_cast<double>(d.delta[t * d.ldd + e]) + d.dbias[e]);
                double y = static_cast<double>(d.d_skip[e]) * uu, ya = std::fabs(y);
                for (int n = 0; n < N; ++n) {
                    const double da = std::exp(dt * d.a_t[static_cast<size_t>(n) * E + e]);
                    const double dbu = dt * d.bc[t * d.ldbc + sc.r_off + n] * uu;
                    h[n] = da * h[n] + dbu;
                    ha[n] = da * ha[n] + std::fabs(dbu);
                    const double cc = d.bc[t * d.ldbc + sc.r_off + N + n];
                    y += cc * h[n];
                    ya += std::fabs(cc) * ha[n];
                }
                const double g = vt::silu_d(zp[t * d.ldz + e]);
                const size_t o = t * d.ldo + e;
                const double prev = sc.accumulate ? out0[o] : 0.0;
                const double ref = prev + sc.out_scale * y * g;
                // condition magnitude: |prev| + |scale| * sum|terms| * (|silu(z)| + absolute-error allowance)
                const double mag = std::fabs(prev) + std::fabs(sc.out_scale) * ya * (std::fabs(g) + 1e-7) + 1e-30;
                st.add(d.out[o], ref, mag, kRtolScan);
            }
        }
}

void test_scan() {
    std::printf("selective_scan\n");
    Rng rng(4);
    ErrStat st, st_special, st_nan;
    // every state count with the register path, beyond 16 with the stack path, with several widths
    const int states_list[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 33};
    const int chans[] = {1, 3, 15, 16, 17, 33, 40, 64};
    const int lens[] = {1, 2, 3, 17, 64};
    int idx = 0;
    for (int N : states_list)
        for (int E : chans) {
            ++idx;
            ScanCase sc{};
            sc.batch = 1 + idx % 3;
            sc.len = lens[idx % 5];
            sc.channels = E;
            sc.states = N;
            sc.reverse = idx % 2 == 0;
            sc.accumulate = (idx / 2) % 2 == 0;
            sc.out_scale = idx % 3 == 0 ? 0.5f : idx % 3 == 1 ? 1.0f : -2.0f;
            sc.pad_ld = idx % 4 == 0 ? 0 : rng.range(1, 7);
            sc.r_off = rng.range(0, 12);
            sc.c0 = 0;
            sc.c1 = E;
            if (idx % 3 == 2) {
                sc.c0 = rng.range(0, E);
                sc.c1 = rng.range(sc.c0, E);
            }
            scan_case(rng, sc, st);
        }
    // long sequences, both directions, accumulate on and off
    for (int rev = 0; rev < 2; ++rev)
        for (int acc = 0; acc < 2; ++acc) {
            scan_case(rng, ScanCase{1, 197, 48, 16, rev != 0, acc != 0, 0.5f, 0, 12, 0, 48, 0}, st);
            scan_case(rng, ScanCase{2, 197, 37, 20, rev != 0, acc != 0, 0.5f, 3, 5, 0, 37, 0}, st);
        }
    scan_case(rng, ScanCase{1, 9, 19, 256, true, false, 1.0f, 1, 2, 0, 19, 0}, st);    // N = 256 (max)
    scan_case(rng, ScanCase{1, 197, 384, 16, false, false, 0.5f, 0, 12, 0, 384, 0}, st);  // Vim-Tiny shape
    scan_case(rng, ScanCase{1, 197, 384, 16, true, true, 0.5f, 0, 12, 0, 384, 0}, st);
    scan_case(rng, ScanCase{1, 0, 16, 16, false, false, 1.0f, 0, 0, 0, 16, 0}, st);    // len 0: nothing to do
    report("selective_scan", st, kRtolScan);

    for (int i = 0; i < 24; ++i) {
        ScanCase sc{1 + i % 2, 1 + (i * 7) % 40, 1 + (i * 5) % 35, 1 + (i * 3) % 20, i % 2 == 0, i % 4 < 2,
                    i % 3 == 0 ? 0.5f : 1.0f, i % 3, i % 4, 0, 0, 1};
        sc.c1 = sc.channels;
        scan_case(rng, sc, st_special);
    }
    report("selective_scan special", st_special, kRtolScan);
    for (int i = 0; i < 12; ++i) {
        ScanCase sc{1 + i % 2, 2 + (i * 7) % 30, 8 + (i * 5) % 30, 1 + (i * 5) % 17, i % 2 == 0, i % 4 < 2, 1.0f,
                    i % 2, i % 3, 0, 0, 2};
        sc.c1 = sc.channels;
        scan_case(rng, sc, st_nan);
    }
    report("selective_scan NaN/inf", st_nan, kRtolScan);

    // channel ranges (views at a channel offset) and every thread count give bit-identical results
    {
        const int E = 200, N = 16;
        ScanCase sc{2, 61, E, N, false, true, 0.5f, 2, 12, 0, E, 0};
        for (int rev = 0; rev < 2; ++rev) {
            sc.reverse = rev != 0;
            ScanData d = make_scan_data(rng, sc);
            Buf full(d.out.size(), 0.25f), parts(d.out.size(), 0.25f);
            const int32_t flags = (rev ? VIM4J_SCAN_REVERSE : 0) | VIM4J_SCAN_ACCUMULATE;
            auto run = [&](vim4j_runtime* rt, Buf& out, int c0, int c1) {
                const int ce = c1 - c0;
                Buf at(static_cast<size_t>(N) * ce);
                for (int n = 0; n < N; ++n)
                    for (int j = 0; j < ce; ++j) at[static_cast<size_t>(n) * ce + j] = d.a_t[static_cast<size_t>(n) * E + c0 + j];
                const vim4j_scan_inputs in{vt::rows(d.u.data() + c0, d.ldu), vt::rows(d.delta.data() + c0, d.ldd),
                                           vt::rows(d.bc.data() + 12, d.ldbc), vt::rows(d.bc.data() + 12 + N, d.ldbc),
                                           vt::rows(d.z.data() + c0, d.ldz)};
                const vim4j_scan_weights w{at.data(), d.d_skip.data() + c0, d.dbias.data() + c0, ce, N};
                const vim4j_rows o = vt::rows(out.data() + c0, d.ldo);
                VT_CHECK_OK(vim4j_selective_scan(rt, &in, &w, &o, sc.batch, sc.len, flags, 0.5f));
            };
            run(nullptr, full, 0, E);
            const int cuts[] = {0, 5, 16, 17, 48, E};
            for (int s = 0; s + 1 < 6; ++s) run(nullptr, parts, cuts[s], cuts[s + 1]);
            VT_CHECK(std::memcmp(full.data(), parts.data(), sizeof(float) * full.size()) == 0, "scan channel ranges differ");
            for (int t = 1; t <= vt::kMaxTestThreads; ++t) {
                Buf many(d.out.size(), 0.25f);
                run(vt::runtime(t), many, 0, E);
                VT_CHECK(std::memcmp(full.data(), many.data(), sizeof(float) * full.size()) == 0,
                         "scan on %d threads differs from 1 thread (reverse=%d)", t, rev);
            }
        }
    }
}

// ----------------------------------------------------------------------------------------------- im2col

void test_im2col() {
    std::printf("im2col\n");
    Rng rng(5);
    struct C { int ch, h, w, patch, stride; };
    const C cases[] = {{3, 224, 224, 16, 16}, {3, 224, 224, 16, 8}, {1, 16, 16, 16, 16}, {2, 17, 19, 4, 3},
                       {1, 5, 7, 1, 1}, {3, 9, 8, 2, 2}, {2, 33, 20, 5, 7}, {4, 6, 6, 3, 1}};
    long bad = 0;
    for (const C& c : cases) {
        Buf img(static_cast<size_t>(c.ch) * c.h * c.w);
        rng.fill(img, -1, 1);
        const int gh = (c.h - c.patch) / c.stride + 1, gw = (c.w - c.patch) / c.stride + 1;
        const size_t cols = static_cast<size_t>(c.ch) * c.patch * c.patch;
        Buf out(static_cast<size_t>(gh) * gw * cols);
        VT_CHECK_OK(vim4j_im2col(next_runtime(), img.data(), c.ch, c.h, c.w, c.patch, c.stride, out.data()));
        VT_CHECK(out.guards(), "im2col wrote out of bounds");
        for (int py = 0; py < gh; ++py)
            for (int px = 0; px < gw; ++px)
                for (int ch = 0; ch < c.ch; ++ch)
                    for (int ky = 0; ky < c.patch; ++ky)
                        for (int kx = 0; kx < c.patch; ++kx) {
                            const float want = img[(static_cast<size_t>(ch) * c.h + py * c.stride + ky) * c.w + px * c.stride + kx];
                            const float got = out[(static_cast<size_t>(py) * gw + px) * cols + (static_cast<size_t>(ch) * c.patch + ky) * c.patch + kx];
                            if (!Buf::same(want, got)) ++bad;
                        }
    }
    VT_CHECK(bad == 0, "im2col: %ld wrong values", bad);
    // every thread count gives the same patches (split over patch rows)
    {
        Buf img(3 * 224 * 224);
        rng.fill(img, -1, 1);
        const size_t n = static_cast<size_t>(28) * 28 * 3 * 16 * 16;
        Buf one(n);
        VT_CHECK_OK(vim4j_im2col(nullptr, img.data(), 3, 224, 224, 16, 8, one.data()));
        for (int t = 1; t <= vt::kMaxTestThreads; ++t) {
            Buf many(n);
            VT_CHECK_OK(vim4j_im2col(vt::runtime(t), img.data(), 3, 224, 224, 16, 8, many.data()));
            VT_CHECK(many.guards() && std::memcmp(one.data(), many.data(), sizeof(float) * n) == 0,
                     "im2col on %d threads differs", t);
        }
    }
}

}  // namespace

int main() {
    const int setup = vt::tier_setup("test_kernels");
    if (setup != 0) return setup;
    test_linear();
    test_rms_norm();
    test_conv();
    test_scan();
    test_im2col();
    return vt::finish("test_kernels");
}

// Every CUDA kernel against a plain CPU reference loop in double precision, over odd and edge shapes (m = 1,
// k = 1, tails of every tile size, channels not a multiple of the block, N = 1..33 and 64/256 for both scan paths,
// leading dimensions wider than the data, both directions, accumulate), plus the fused mixer layer against the
// reference composition. FP32 tolerances are those of the CPU kernels' tests; TF32 is checked at its own bound
// and its deviation printed; BF16 (precision 2: bf16 weights uploaded as bf16 bits) against the products of the
// bf16-rounded inputs for the GEMMs and at its own bound for the mixer. Every GEMM tile shape (large / medium /
// small / skinny, aligned and unaligned operands) and every scan configuration (the sequence-parallel kernel's 4
// block shapes at their chunk boundaries, the sequential kernel) is reached. Exits 77 (skipped) without a CUDA
// device.
#include "cuda_test.h"

namespace {

using Vec = std::vector<float>;
using DVec = std::vector<double>;

std::mt19937 rng(1234);
void* S() { return ct::stream(); }

// VIM4J_CUDA_PRECISION_BF16 once the ABI header has it: bf16 weights, activations rounded to bf16 by the GEMM.
constexpr int32_t kBf16 = 2;
#ifdef VIM4J_CUDA_PRECISION_BF16
static_assert(VIM4J_CUDA_PRECISION_BF16 == kBf16, "BF16 precision code");
#endif

const char* precision_name(int precision) {
    return precision == VIM4J_CUDA_PRECISION_TF32 ? "tf32" : precision == kBf16 ? "bf16" : "fp32";
}

uint16_t bf16_bits(float x) {  // round to nearest even (finite inputs)
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}
float bf16_round(float x) {
    const uint32_t b = static_cast<uint32_t>(bf16_bits(x)) << 16;
    float r;
    std::memcpy(&r, &b, 4);
    return r;
}
// The bf16 array of w as the bytes of a float vector (what a device buffer of bf16 weights holds).
Vec bf16_packed(const Vec& w) {
    std::vector<uint16_t> h(w.size());
    for (size_t i = 0; i < w.size(); ++i) h[i] = bf16_bits(w[i]);
    Vec packed((w.size() + 1) / 2, 0.0f);
    std::memcpy(packed.data(), h.data(), h.size() * 2);
    return packed;
}
Vec bf16_rounded(const Vec& v) {
    Vec r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = bf16_round(v[i]);
    return r;
}

// Relative L2 error of got vs want, and the check against tol.
void expect_rel_l2(const char* what, const Vec& got, const DVec& want, double tol) {
    double num = 0, den = 0;
    bool finite = true;
    for (size_t i = 0; i < want.size(); ++i) {
        const double d = static_cast<double>(got[i]) - want[i];
        num += d * d;
        den += want[i] * want[i];
        finite = finite && std::isfinite(got[i]);
    }
    const double rel = std::sqrt(num / (den > 0 ? den : 1.0));
    CT_CHECK(finite && rel <= tol, "%s: relative L2 error %.3g exceeds %.3g (finite=%d)", what, rel, tol, finite);
}

// ---- references ----

void linear_ref(const Vec& a, int64_t lda, int m, const Vec& w, const Vec* bias, int n, int k, DVec& want,
                DVec& scale) {
    want.assign(static_cast<size_t>(m) * n, 0);
    scale.assign(want.size(), 0);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double s = bias ? (*bias)[j] : 0.0, mag = bias ? std::fabs((*bias)[j]) : 0.0;
            for (int kk = 0; kk < k; ++kk) {
                const double p = static_cast<double>(a[i * lda + kk]) * w[static_cast<size_t>(j) * k + kk];
                s += p;
                mag += std::fabs(p);
            }
            want[static_cast<size_t>(i) * n + j] = s;
            scale[static_cast<size_t>(i) * n + j] = mag;
        }
}

void test_linear(int m, int n, int k, int64_t lda_extra, int64_t ldc_extra, bool bias, int precision) {
    const int64_t lda = k + lda_extra, ldc = n + ldc_extra;
    Vec a = ct::random_vec(rng, static_cast<size_t>(m) * lda, -1, 1);
    Vec w = ct::random_vec(rng, static_cast<size_t>(n) * k, -1, 1);
    Vec b = ct::random_vec(rng, n, -1, 1);
    const bool bf16 = precision == kBf16;
    ct::Dev da(a), dw(bf16 ? bf16_packed(w) : w), db(b), dc(static_cast<size_t>(m) * ldc, 7.0f);
    const vim4j_cuda_linear_weight lw = ct::linear_weight(dw.ptr, bias ? db.ptr : nullptr, n, k, precision);
    CT_OK(vim4j_cuda_linear(da.ptr, lda, m, &lw, dc.ptr, ldc, S()));
    const Vec& c = dc.download();
    DVec want, scale;
    // BF16: against the products of the bf16-rounded inputs (exact in fp32), so the check is as tight as FP32's
    // and also proves the activations are rounded to nearest even as the GEMM stages them.
    linear_ref(bf16 ? bf16_rounded(a) : a, lda, m, bf16 ? bf16_rounded(w) : w, bias ? &b : nullptr, n, k, want, scale);
    Vec got(want.size());
    bool guard = true;
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) got[static_cast<size_t>(i) * n + j] = c[i * ldc + j];
        for (int64_t j = n; j < ldc; ++j) guard = guard && c[i * ldc + j] == 7.0f;
    }
    char what[160];
    std::snprintf(what, sizeof what, "linear %s m=%d n=%d k=%d lda=%lld ldc=%lld bias=%d", precision_name(precision),
                  m, n, k, static_cast<long long>(lda), static_cast<long long>(ldc), bias);
    // TF32 keeps 10 mantissa bits of each input: per product about 2^-10 relative, bounded by the magnitude sum.
    // BF16 against its rounded inputs: fp32 accumulation only (the tensor cores' adder may truncate: 1e-4).
    ct::expect_close(what, got, want, scale, precision == VIM4J_CUDA_PRECISION_TF32 ? 2e-3 : bf16 ? 1e-4 : 1e-5);
    CT_CHECK(guard, "%s: wrote past column n", what);
}

void test_norm(int rows, int dim, bool hidden) {
    Vec r = ct::random_vec(rng, static_cast<size_t>(rows) * dim, -2, 2);
    Vec h = ct::random_vec(rng, r.size(), -2, 2);
    Vec w = ct::random_vec(rng, dim, 0.5, 1.5);
    ct::Dev dr(r), dh(h), dw(w), dout(r.size());
    CT_OK(vim4j_cuda_add_rms_norm(dr.ptr, hidden ? dh.ptr : nullptr, dw.ptr, dout.ptr, rows, dim, 1e-5f, S()));
    DVec want_r(r.size()), want_o(r.size());
    for (int i = 0; i < rows; ++i) {
        double ss = 0;
        for (int j = 0; j < dim; ++j) {
            const size_t x = static_cast<size_t>(i) * dim + j;
            want_r[x] = static_cast<double>(r[x]) + (hidden ? h[x] : 0.0f);
            ss += want_r[x] * want_r[x];
        }
        const double inv = 1.0 / std::sqrt(ss / dim + 1e-5);
        for (int j = 0; j < dim; ++j) {
            const size_t x = static_cast<size_t>(i) * dim + j;
            want_o[x] = want_r[x] * inv * w[j];
        }
    }
    char what[96];
    std::snprintf(what, sizeof what, "add_rms_norm rows=%d dim=%d hidden=%d", rows, dim, hidden);
    expect_rel_l2(what, dout.download(), want_o, 2e-6);
    expect_rel_l2(what, dr.download(), want_r, 1e-7);
}

void conv_ref(const Vec& x, int64_t ldx, const Vec& w, const Vec& bias, int batch, int len, int ch, int kernel,
              bool reverse, DVec& out) {
    out.assign(static_cast<size_t>(batch) * len * ch, 0);
    for (int b = 0; b < batch; ++b)
        for (int t = 0; t < len; ++t)
            for (int e = 0; e < ch; ++e) {
                double acc = bias[e];
                for (int k = 0; k < kernel; ++k) {
                    const int back = kernel - 1 - k;
                    const int src = reverse ? t + back : t - back;
                    if (src < 0 || src >= len) continue;
                    acc += static_cast<double>(w[static_cast<size_t>(e) * kernel + k]) *
                           x[(static_cast<size_t>(b) * len + src) * ldx + e];
                }
                out[(static_cast<size_t>(b) * len + t) * ch + e] = ct::silu_ref(acc);
            }
}

void test_conv(int batch, int len, int ch, int kernel, bool reverse, int64_t ld_extra) {
    const int64_t ldx = ch + ld_extra, ldo = ch + ld_extra;
    Vec x = ct::random_vec(rng, static_cast<size_t>(batch) * len * ldx, -2, 2);
    Vec w = ct::random_vec(rng, static_cast<size_t>(ch) * kernel, -1, 1);
    Vec bias = ct::random_vec(rng, ch, -1, 1);
    ct::Dev dx(x), dw(w), db(bias), dout(static_cast<size_t>(batch) * len * ldo, 5.0f);
    const vim4j_cuda_rows xr = ct::rows(dx.ptr, ldx), outr = ct::rows(dout.ptr, ldo);
    const vim4j_cuda_conv_weights cw{dw.ptr, db.ptr, ch, kernel};
    CT_OK(vim4j_cuda_conv_silu(&xr, &cw, &outr, batch, len, reverse, S()));
    const Vec& o = dout.download();
    DVec want;
    conv_ref(x, ldx, w, bias, batch, len, ch, kernel, reverse, want);
    Vec got(want.size());
    for (size_t r = 0; r < static_cast<size_t>(batch) * len; ++r)
        for (int e = 0; e < ch; ++e) got[r * ch + e] = o[r * ldo + e];
    char what[96];
    std::snprintf(what, sizeof what, "conv_silu batch=%d len=%d ch=%d K=%d rev=%d", batch, len, ch, kernel, reverse);
    expect_rel_l2(what, got, want, 1e-6);
}

struct ScanCase {
    int batch, len, ch, states;
    bool reverse, accumulate;
    int64_t ld_extra;
};

// The spec's scan in double. delta given; B/C from one buffer (x_dbl layout) at offsets b_off / c_off.
void scan_ref(const Vec& u, int64_t ldu, const DVec& delta, int64_t ldd, const Vec& a_t, const Vec& bc, int64_t b_off,
              int64_t c_off, int64_t ldbc, const Vec& dskip, const Vec& dbias, const Vec& z, int64_t ldz, int batch,
              int len, int ch, int n, bool reverse, double scale, DVec& out, int64_t ldo) {
    std::vector<double> h(n);
    for (int b = 0; b < batch; ++b)
        for (int e = 0; e < ch; ++e) {
            std::fill(h.begin(), h.end(), 0.0);
            for (int step = 0; step < len; ++step) {
                const size_t t = static_cast<size_t>(b) * len + (reverse ? len - 1 - step : step);
                const double uu = u[t * ldu + e];
                const double dt = ct::softplus_ref(delta[t * ldd + e] + dbias[e]);
                double y = static_cast<double>(dskip[e]) * uu;
                for (int s = 0; s < n; ++s) {
                    h[s] = std::exp(dt * a_t[static_cast<size_t>(s) * ch + e]) * h[s] + dt * bc[t * ldbc + b_off + s] * uu;
                    y += bc[t * ldbc + c_off + s] * h[s];
                }
                out[t * ldo + e] += scale * y * ct::silu_ref(z[t * ldz + e]);
            }
        }
}

void test_scan(const ScanCase& c) {
    const int64_t ld = c.ch + c.ld_extra, ldbc = 3 + 2 * c.states + c.ld_extra;  // dt_low(3) | B | C (| pad)
    const size_t rows = static_cast<size_t>(c.batch) * c.len;
    Vec u = ct::random_vec(rng, rows * ld, -1, 1);
    Vec delta = ct::random_vec(rng, rows * ld, -3, 1);
    Vec a_t = ct::random_vec(rng, static_cast<size_t>(c.states) * c.ch, -2, -0.05f);
    Vec bc = ct::random_vec(rng, rows * ldbc, -1, 1);
    Vec dskip = ct::random_vec(rng, c.ch, -1, 1);
    Vec dbias = ct::random_vec(rng, c.ch, -1, 1);
    Vec z = ct::random_vec(rng, rows * ld, -2, 2);
    Vec out0 = ct::random_vec(rng, rows * ld, -1, 1);
    ct::Dev du(u), dd(delta), da(a_t), dbc(bc), ds(dskip), db(dbias), dz(z), dout(out0);
    const vim4j_cuda_scan_inputs in{ct::rows(du.ptr, ld), ct::rows(dd.ptr, ld), ct::rows(dbc.ptr + 3, ldbc),
                                    ct::rows(dbc.ptr + 3 + c.states, ldbc), ct::rows(dz.ptr, ld)};
    const vim4j_cuda_scan_weights sw{da.ptr, ds.ptr, db.ptr, c.ch, c.states};
    const vim4j_cuda_scan_mode mode{c.reverse, 0.5f, c.accumulate};
    const vim4j_cuda_rows outr = ct::rows(dout.ptr, ld);
    CT_OK(vim4j_cuda_selective_scan(&in, &sw, &outr, c.batch, c.len, &mode, S()));
    const Vec& o = dout.download();
    DVec want(rows * ld, 0.0);
    for (size_t i = 0; i < want.size(); ++i) want[i] = c.accumulate ? out0[i] : 0.0;
    DVec delta_d(delta.begin(), delta.end());
    scan_ref(u, ld, delta_d, ld, a_t, bc, 3, 3 + c.states, ldbc, dskip, dbias, z, ld, c.batch, c.len, c.ch, c.states,
             c.reverse, 0.5, want, ld);
    Vec got;
    DVec w;
    bool pad_kept = true;
    for (size_t r = 0; r < rows; ++r)
        for (int64_t e = 0; e < ld; ++e) {
            if (e < c.ch) {
                got.push_back(o[r * ld + e]);
                w.push_back(want[r * ld + e]);
            } else {
                pad_kept = pad_kept && o[r * ld + e] == out0[r * ld + e];
            }
        }
    char what[128];
    std::snprintf(what, sizeof what, "selective_scan batch=%d len=%d ch=%d N=%d rev=%d acc=%d ld+%lld", c.batch, c.len,
                  c.ch, c.states, c.reverse, c.accumulate, static_cast<long long>(c.ld_extra));
    expect_rel_l2(what, got, w, 5e-6);
    CT_CHECK(pad_kept, "%s: wrote into the leading-dimension padding", what);
}

void test_im2col_embed(int batch, int ch, int h, int w, int patch, int stride, int d) {
    const int gh = (h - patch) / stride + 1, gw = (w - patch) / stride + 1, m = gh * gw;
    const int cols = ch * patch * patch;
    Vec img = ct::random_vec(rng, static_cast<size_t>(batch) * ch * h * w, -1, 1);
    ct::Dev dimg(img), dcol(static_cast<size_t>(batch) * m * cols);
    const vim4j_cuda_patch_grid grid{ch, h, w, patch, stride};
    CT_OK(vim4j_cuda_im2col(dimg.ptr, batch, &grid, dcol.ptr, S()));
    const Vec& col = dcol.download();
    bool exact = true;
    for (int b = 0; b < batch; ++b)
        for (int p = 0; p < m; ++p)
            for (int c = 0; c < ch; ++c)
                for (int ky = 0; ky < patch; ++ky)
                    for (int kx = 0; kx < patch; ++kx) {
                        const int py = p / gw, px = p % gw;
                        const float want = img[((static_cast<size_t>(b) * ch + c) * h + py * stride + ky) * w + px * stride + kx];
                        exact = exact && col[(static_cast<size_t>(b) * m + p) * cols + (c * patch + ky) * patch + kx] == want;
                    }
    CT_CHECK(exact, "im2col batch=%d %dx%dx%d patch=%d stride=%d differs", batch, ch, h, w, patch, stride);

    Vec rows = ct::random_vec(rng, static_cast<size_t>(batch) * m * d, -1, 1);
    Vec cls = ct::random_vec(rng, d, -1, 1);
    Vec pos = ct::random_vec(rng, static_cast<size_t>(m + 1) * d, -1, 1);
    ct::Dev drows(rows), dcls(cls), dpos(pos), dres(static_cast<size_t>(batch) * (m + 1) * d);
    CT_OK(vim4j_cuda_embed_tokens(drows.ptr, dcls.ptr, dpos.ptr, dres.ptr, batch, m, d, S()));
    const Vec& res = dres.download();
    const int mid = m / 2;
    exact = true;
    for (int b = 0; b < batch; ++b)
        for (int t = 0; t <= m; ++t)
            for (int j = 0; j < d; ++j) {
                const float v = t == mid ? cls[j] : rows[(static_cast<size_t>(b) * m + (t < mid ? t : t - 1)) * d + j];
                exact = exact && res[(static_cast<size_t>(b) * (m + 1) + t) * d + j] == v + pos[static_cast<size_t>(t) * d + j];
            }
    CT_CHECK(exact, "embed_tokens batch=%d patches=%d d=%d differs", batch, m, d);

    Vec x = ct::random_vec(rng, 1001, -1, 1), y = ct::random_vec(rng, 1001, -1, 1);
    ct::Dev dx(x), dy(y);
    CT_OK(vim4j_cuda_add(dx.ptr, dy.ptr, 1001, S()));
    const Vec& sum = dx.download();
    exact = true;
    for (int i = 0; i < 1001; ++i) exact = exact && sum[i] == x[i] + y[i];
    CT_CHECK(exact, "add differs");
}

// The fused layer against the reference composition (in double) of vim-spec.md's mixer.
void test_mixer(int batch, int len, int dm, int n, int r, int kconv, int precision) {
    const int e = 2 * dm, xdbl = r + 2 * n;
    const size_t rows = static_cast<size_t>(batch) * len;
    auto rnd = [](size_t count, float lo, float hi) { return ct::random_vec(rng, count, lo, hi); };
    Vec h = rnd(rows * dm, -1, 1);
    Vec in_proj = rnd(static_cast<size_t>(2) * e * dm, -0.3f, 0.3f), out_proj = rnd(static_cast<size_t>(dm) * e, -0.2f, 0.2f);
    Vec conv_w[2], conv_b[2], x_proj[2], dt_proj[2], dt_bias[2], a_t[2], dsk[2];
    for (int d = 0; d < 2; ++d) {
        conv_w[d] = rnd(static_cast<size_t>(e) * kconv, -0.5f, 0.5f);
        conv_b[d] = rnd(e, -0.2f, 0.2f);
        x_proj[d] = rnd(static_cast<size_t>(xdbl) * e, -0.2f, 0.2f);
        dt_proj[d] = rnd(static_cast<size_t>(e) * r, -0.5f, 0.5f);
        dt_bias[d] = rnd(e, -3, -1);
        a_t[d] = rnd(static_cast<size_t>(n) * e, -4, -0.5f);
        dsk[d] = rnd(e, 0.5f, 1.5f);
    }
    // Workspaces and output start as NaN: the layer must write (or zero) every element it reads.
    const float nan = std::nanf("");
    // BF16: the GEMM weights (in_proj, out_proj, x_proj) are bf16 arrays, everything else fp32.
    const auto gw = [&](const Vec& w) { return precision == kBf16 ? bf16_packed(w) : w; };
    ct::Dev dh(h), dhidden(rows * dm, nan), din(gw(in_proj)), dout(gw(out_proj)), dxz(rows * 2 * e, nan),
        dxcf(rows * e, nan), dxcb(rows * e, nan), dxdf(rows * xdbl, nan), dxdb(rows * xdbl, nan), dy(rows * e, nan);
    ct::Dev cw0(conv_w[0]), cb0(conv_b[0]), xp0(gw(x_proj[0])), dp0(dt_proj[0]), db0(dt_bias[0]), at0(a_t[0]), ds0(dsk[0]);
    ct::Dev cw1(conv_w[1]), cb1(conv_b[1]), xp1(gw(x_proj[1])), dp1(dt_proj[1]), db1(dt_bias[1]), at1(a_t[1]), ds1(dsk[1]);
    ct::Dev ddelta(rows * e, nan);
    // The argument structs, built once like the Java backend does (weights per model, buffers per session).
    vim4j_cuda_mixer_weights mw{};
    mw.in_proj = ct::linear_weight(din.ptr, nullptr, 2 * e, dm, precision);
    mw.out_proj = ct::linear_weight(dout.ptr, nullptr, dm, e, precision);
    ct::Dev* br[2][7] = {{&cw0, &cb0, &xp0, &dp0, &db0, &at0, &ds0}, {&cw1, &cb1, &xp1, &dp1, &db1, &at1, &ds1}};
    for (int d = 0; d < 2; ++d) {
        vim4j_cuda_branch_weights& bw = d == 0 ? mw.forward : mw.backward;
        bw.conv = vim4j_cuda_conv_weights{br[d][0]->ptr, br[d][1]->ptr, e, kconv};
        bw.x_proj = ct::linear_weight(br[d][2]->ptr, nullptr, xdbl, e, precision);
        // dt_proj is read by the scan as fp32 whatever the layer's precision
        bw.dt_proj = ct::linear_weight(br[d][3]->ptr, nullptr, e, r,
                                       precision == kBf16 ? VIM4J_CUDA_PRECISION_FP32 : precision);
        bw.scan = vim4j_cuda_scan_weights{br[d][5]->ptr, br[d][6]->ptr, br[d][4]->ptr, e, n};
    }
    vim4j_cuda_mixer_buffers mb{};
    mb.dims = vim4j_cuda_mixer_dims{dm, e, n, r};
    mb.rows = static_cast<int64_t>(rows);
    mb.normed = dh.ptr;
    mb.hidden = dhidden.ptr;
    mb.xz = dxz.ptr;
    mb.delta = ddelta.ptr;
    mb.y = dy.ptr;
    mb.xc_f = dxcf.ptr;
    mb.xc_b = dxcb.ptr;
    mb.x_dbl_f = dxdf.ptr;
    mb.x_dbl_b = dxdb.ptr;
    // Twice on the same workspaces: the second call must not see the first one's y (the scans add onto y).
    Vec first;
    for (int call = 0; call < 2; ++call) {
        CT_OK(vim4j_cuda_mixer_forward(&mw, &mb, batch, len, S()));
        if (call == 0) first = dhidden.download();
    }
    const Vec got = dhidden.download();
    CT_CHECK(first == got, "mixer_forward: a second call on the same workspaces gives a different result");
    {
        // Captured into a CUDA graph (the Java backend's path) and replayed twice over NaN-filled y and hidden:
        // the zeroing of y must be part of the graph.
        std::fill(dy.host.begin(), dy.host.end(), nan);
        dy.upload();
        std::fill(dhidden.host.begin(), dhidden.host.end(), nan);
        dhidden.upload();
        int64_t graph = 0;
        CT_OK(vim4j_cuda_graph_begin(S()));
        {
            // The structs are read during the call only: a copy that dies before the replay must do.
            vim4j_cuda_mixer_weights w2 = mw;
            vim4j_cuda_mixer_buffers b2 = mb;
            CT_OK(vim4j_cuda_mixer_forward(&w2, &b2, batch, len, S()));
            std::memset(&w2, 0xFF, sizeof w2);
            std::memset(&b2, 0xFF, sizeof b2);
        }
        CT_OK(vim4j_cuda_graph_end(S(), &graph));
        void* g = reinterpret_cast<void*>(static_cast<intptr_t>(graph));
        CT_OK(vim4j_cuda_graph_launch(g, S()));
        CT_OK(vim4j_cuda_graph_launch(g, S()));
        const Vec& replayed = dhidden.download();
        CT_CHECK(replayed == first, "mixer_forward: the graph replay differs from the direct call");
        CT_OK(vim4j_cuda_graph_destroy(g));
    }

    DVec xz, scale;
    linear_ref(h, dm, static_cast<int>(rows), in_proj, nullptr, 2 * e, dm, xz, scale);
    Vec xzf(xz.begin(), xz.end());  // the reference continues from fp32-rounded activations like the device
    Vec x_part(rows * e), z_part(rows * e);
    for (size_t i = 0; i < rows; ++i)
        for (int j = 0; j < e; ++j) {
            x_part[i * e + j] = xzf[i * 2 * e + j];
            z_part[i * e + j] = xzf[i * 2 * e + e + j];
        }
    DVec y(rows * e, 0.0);
    for (int d = 0; d < 2; ++d) {
        DVec xc;
        conv_ref(x_part, e, conv_w[d], conv_b[d], batch, len, e, kconv, d == 1, xc);
        Vec xcf(xc.begin(), xc.end());
        DVec xd;
        linear_ref(xcf, e, static_cast<int>(rows), x_proj[d], nullptr, xdbl, e, xd, scale);
        Vec xdf(xd.begin(), xd.end());
        DVec delta(rows * e);
        for (size_t i = 0; i < rows; ++i)
            for (int j = 0; j < e; ++j) {
                double s = 0;
                for (int k = 0; k < r; ++k) s += static_cast<double>(xdf[i * xdbl + k]) * dt_proj[d][static_cast<size_t>(j) * r + k];
                delta[i * e + j] = s;
            }
        scan_ref(xcf, e, delta, e, a_t[d], xdf, r, r + n, xdbl, dsk[d], dt_bias[d], z_part, e, batch, len, e, n, d == 1,
                 0.5, y, e);
    }
    Vec yf(y.begin(), y.end());
    DVec want;
    linear_ref(yf, e, static_cast<int>(rows), out_proj, nullptr, dm, e, want, scale);
    char what[128];
    std::snprintf(what, sizeof what, "mixer_forward %s batch=%d len=%d D=%d N=%d R=%d", precision_name(precision), batch,
                  len, dm, n, r);
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        num += (got[i] - want[i]) * (got[i] - want[i]);
        den += want[i] * want[i];
    }
    std::printf("  %s: relative L2 error %.3g\n", what, std::sqrt(num / den));
    // TF32 / BF16 against the fp32 composition: 10 / 8 mantissa bits at the inputs of three GEMMs.
    expect_rel_l2(what, got, want, precision == VIM4J_CUDA_PRECISION_TF32 ? 1e-2 : precision == kBf16 ? 3e-2 : 1e-5);
}

}  // namespace

int main() {
    const int skip = ct::device_or_skip("test_cuda_kernels");
    if (skip != 0) return skip;

    for (int precision : {VIM4J_CUDA_PRECISION_FP32, VIM4J_CUDA_PRECISION_TF32, kBf16}) {
        test_linear(1, 1, 1, 0, 0, true, precision);
        test_linear(1, 7, 3, 2, 1, false, precision);
        test_linear(65, 63, 17, 0, 0, true, precision);
        test_linear(197, 768, 192, 0, 0, false, precision);  // Vim-Tiny in_proj
        test_linear(197, 44, 384, 5, 3, false, precision);   // x_proj with padded leading dimensions
        test_linear(130, 129, 33, 0, 0, true, precision);
        test_linear(3, 1000, 192, 197 * 192 - 192, 0, true, precision);  // the head: class-token rows, lda = L*D
        // every tile shape, aligned (cp.async) and not (element copies): 128 x 128 needs >= 264 tiles, 64 x 64 >= 132
        test_linear(4224, 1024, 24, 0, 0, true, precision);  // large tiles
        test_linear(1100, 520, 36, 0, 4, false, precision);  // medium tiles
        test_linear(1031, 530, 19, 1, 0, true, precision);   // medium, unaligned lda and k
        test_linear(300, 80, 64, 0, 0, true, precision);     // skinny (Vim-Base's x_proj width), aligned
    }
    for (int dim : {1, 16, 31, 192, 257, 768}) {
        test_norm(3, dim, true);
        test_norm(2, dim, false);
    }
    for (bool rev : {false, true}) {
        test_conv(1, 1, 1, 4, rev, 0);
        test_conv(2, 9, 130, 4, rev, 3);
        test_conv(1, 5, 7, 20, rev, 0);  // more taps than tokens
        test_conv(3, 197, 384, 4, rev, 384);
    }
    const int states[] = {1, 3, 4, 8, 12, 16, 17, 20, 32, 33, 64, 256};
    for (int n : states)
        for (bool rev : {false, true}) test_scan({2, 13, 37, n, rev, rev, n % 2 == 1 ? 3 : 0});
    test_scan({1, 1, 1, 16, false, false, 0});
    test_scan({3, 197, 384, 16, true, true, 0});
    test_scan({1, 1500, 200, 16, false, false, 5});
    // The sequence-parallel kernel at its chunk boundaries (chunk = 8 steps x 128 / CB threads): lengths 1, chunk-1,
    // chunk, chunk+1 in both directions, with the launch picking CB from the number of sequences (batch x channels)
    // and the length: few short sequences -> 4 channels per block (256-step chunks); few long ones (len > 256, at
    // most 3 blocks per SM) -> 2 channels (512-step chunks); more sequences -> 8 (128), 16 (64), 32 (32).
    for (bool rev : {false, true}) {
        for (int len : {1, 255, 256}) test_scan({2, len, 37, 16, rev, rev, 0});        // CB = 4, one chunk
        for (int len : {257, 511, 512, 513}) test_scan({24, len, 37, 16, rev, rev, 0});  // CB = 4, 2-3 chunks
        for (int len : {257, 511, 512, 513}) test_scan({2, len, 37, 16, rev, !rev, 0});  // CB = 2
        test_scan({1, 6085, 19, 16, rev, false, 0});  // 1248 x 1248 (CB = 2): 12 chunks
        test_scan({3, 513, 9, 20, rev, !rev, 1});     // N = 20: a partial group of states
        for (int len : {127, 128, 129}) test_scan({200, len, 32, 4, rev, false, 0});  // CB = 8
        for (int len : {63, 64, 65}) test_scan({400, len, 32, 4, rev, rev, 0});      // CB = 16
        for (int len : {31, 32, 33}) test_scan({768, len, 32, 4, rev, false, 0});    // CB = 32
        test_scan({1536, 5, 32, 16, rev, rev, 0});  // many sequences: the sequential kernel, one lane per channel
    }
    test_im2col_embed(2, 3, 24, 20, 4, 4, 16);
    test_im2col_embed(1, 3, 18, 18, 6, 3, 24);
    test_im2col_embed(3, 1, 28, 28, 4, 4, 8);
    for (int precision : {VIM4J_CUDA_PRECISION_FP32, VIM4J_CUDA_PRECISION_TF32, kBf16}) {
        test_mixer(1, 5, 16, 16, 1, 4, precision);
        test_mixer(2, 37, 24, 8, 2, 4, precision);
        test_mixer(1, 197, 192, 16, 12, 4, precision);  // one Vim-Tiny layer
        test_mixer(3, 300, 16, 16, 2, 4, precision);    // two scan chunks per sequence, batch > 1
    }
    return ct::finish("test_cuda_kernels");
}

// vim4j_mixer_forward against (1) the same layer composed from the primitives in the order of
// Kernels.mixer()/branch(): bit-identical for every thread count, and (2) a double-precision reference of the
// whole layer. Also: several callers of one runtime at once (one leases its pool, the others run alone), two
// runtimes with different thread counts used at once, workspaces larger than the call (rows > batch * len), and
// biases on the projections (which Vim does not have, but the ABI allows).
#include <algorithm>
#include <thread>

#include "test_common.h"

using vt::Buf;
using vt::Rng;

namespace {

struct Cfg {
    int batch, len, D, E, N, R, K;
};

struct Linear {
    Buf w;       // (n, k) PyTorch layout
    vt::PackedLinear packed;
    Buf bias;    // empty: no bias
    int n, k;
    vim4j_linear_weight abi() const { return packed.abi(bias.size() > 0 ? bias.data() : nullptr); }
};

// The precision of the layers' in_proj, x_proj and out_proj (dt_proj stays fp32, as VimWeights prepares it).
int g_precision = VIM4J_PRECISION_FP32;

Linear make_linear(Rng& rng, int n, int k, float scale, bool with_bias = false, bool lowp = true) {
    Linear l{Buf(static_cast<size_t>(n) * k), {}, Buf(), n, k};
    rng.fill(l.w, -scale, scale);
    VT_CHECK(vt::pack_linear(l.w.data(), n, k, lowp ? g_precision : VIM4J_PRECISION_FP32, l.packed), "pack: %s",
             vim4j_last_error());
    if (with_bias) {
        l.bias = Buf(n);
        rng.fill(l.bias, -0.2f, 0.2f);
    }
    return l;
}

struct BranchW {
    Buf conv_w, conv_b, dt_bias, a_t, d;
    Linear x_proj, dt_proj;
};

struct Layer {
    Cfg c;
    Linear in_proj, out_proj;
    BranchW br[2];

    vim4j_branch_weights branch(int d) const {
        const BranchW& b = br[d];
        return {{b.conv_w.data(), b.conv_b.data(), c.E, c.K}, b.x_proj.abi(), b.dt_proj.abi(),
                {b.a_t.data(), b.d.data(), b.dt_bias.data(), c.E, c.N}};
    }
    vim4j_mixer_weights abi() const { return {in_proj.abi(), branch(0), branch(1), out_proj.abi()}; }
};

Layer make_layer(Rng& rng, const Cfg& c, bool biases = false) {
    Layer L{c, make_linear(rng, 2 * c.E, c.D, 1.0f / std::sqrt(static_cast<float>(c.D)), biases),
            make_linear(rng, c.D, c.E, 1.0f / std::sqrt(static_cast<float>(c.E)), biases), {}};
    for (int d = 0; d < 2; ++d) {
        BranchW& b = L.br[d];
        b.conv_w = Buf(static_cast<size_t>(c.E) * c.K);
        rng.fill(b.conv_w, -0.5f, 0.5f);
        b.conv_b = Buf(c.E);
        rng.fill(b.conv_b, -0.2f, 0.2f);
        b.x_proj = make_linear(rng, c.R + 2 * c.N, c.E, 1.0f / std::sqrt(static_cast<float>(c.E)), biases);
        b.dt_proj = make_linear(rng, c.E, c.R, 1.0f / std::sqrt(static_cast<float>(c.R)), biases, false);
        b.dt_bias = Buf(c.E);
        for (int e = 0; e < c.E; ++e) {
            const double dt = std::exp(rng.uniform(std::log(0.001f), std::log(0.1f)));
            b.dt_bias[e] = static_cast<float>(std::log(std::expm1(dt)));
        }
        b.a_t = Buf(static_cast<size_t>(c.N) * c.E);
        for (int n = 0; n < c.N; ++n)
            for (int e = 0; e < c.E; ++e) b.a_t[static_cast<size_t>(n) * c.E + e] = -(n + 1) * rng.uniform(0.5f, 1.5f);
        b.d = Buf(c.E);
        rng.fill(b.d, 0.5f, 1.5f);
    }
    return L;
}

// A mixer workspace for `capacity` rows (>= batch * len): normed (the input, a copy of h) and hidden, xz, delta, y
// and each direction's xc and x_dbl.
struct Work {
    size_t capacity;
    Buf normed, xz, delta, y, hidden, xc[2], x_dbl[2];
    Work(const Cfg& c, const Buf& h, size_t extra_rows = 0) {
        capacity = static_cast<size_t>(c.batch) * c.len + extra_rows;
        normed = Buf(capacity * c.D);
        std::copy(h.data(), h.data() + h.size(), normed.data());
        xz = Buf(capacity * 2 * c.E);
        delta = Buf(capacity * c.E);
        y = Buf(capacity * c.E);
        hidden = Buf(capacity * c.D);
        for (int d = 0; d < 2; ++d) {
            xc[d] = Buf(capacity * c.E);
            x_dbl[d] = Buf(capacity * (c.R + 2 * c.N));
        }
    }
    bool guards() const {
        return normed.guards() && xz.guards() && delta.guards() && y.guards() && hidden.guards() && xc[0].guards() &&
               xc[1].guards() && x_dbl[0].guards() && x_dbl[1].guards();
    }
    vim4j_mixer_buffers abi(const Cfg& c) {
        return {{c.D, c.E, c.N, c.R}, static_cast<int64_t>(capacity), normed.data(), hidden.data(), xz.data(),
                delta.data(), y.data(), {xc[0].data(), x_dbl[0].data()}, {xc[1].data(), x_dbl[1].data()}};
    }
};

int32_t run_fused(vim4j_runtime* rt, const Layer& L, Work& w) {
    const vim4j_mixer_weights mw = L.abi();
    const vim4j_mixer_buffers mb = w.abi(L.c);
    return vim4j_mixer_forward(rt, &mw, &mb, L.c.batch, L.c.len);
}

// Kernels.mixer() + branch(), primitive by primitive (on the caller's thread).
void run_composed(const Layer& L, Work& w) {
    const Cfg& c = L.c;
    const int rows = c.batch * c.len, E = c.E, R = c.R, N = c.N, xd = R + 2 * N;
    const vim4j_linear_weight in_proj = L.in_proj.abi(), out_proj = L.out_proj.abi();
    const vim4j_rows normed = vt::rows(w.normed.data(), c.D), xz = vt::rows(w.xz.data(), 2 * E);
    VT_CHECK_OK(vim4j_linear(nullptr, &normed, rows, &in_proj, &xz));
    for (int dir = 0; dir < 2; ++dir) {
        const vim4j_branch_weights b = L.branch(dir);
        const vim4j_rows xc = vt::rows(w.xc[dir].data(), E), x_dbl = vt::rows(w.x_dbl[dir].data(), xd);
        const vim4j_rows delta = vt::rows(w.delta.data(), E), y = vt::rows(w.y.data(), E);
        VT_CHECK_OK(vim4j_conv_silu(nullptr, &xz, &b.conv, &xc, c.batch, c.len, dir));
        VT_CHECK_OK(vim4j_linear(nullptr, &xc, rows, &b.x_proj, &x_dbl));
        VT_CHECK_OK(vim4j_linear(nullptr, &x_dbl, rows, &b.dt_proj, &delta));
        const vim4j_scan_inputs in{xc, delta, vt::rows(w.x_dbl[dir].data() + R, xd), vt::rows(w.x_dbl[dir].data() + R + N, xd),
                                   vt::rows(w.xz.data() + E, 2 * E)};
        const int32_t flags = dir == 0 ? 0 : VIM4J_SCAN_REVERSE | VIM4J_SCAN_ACCUMULATE;
        VT_CHECK_OK(vim4j_selective_scan(nullptr, &in, &b.scan, &y, c.batch, c.len, flags, 0.5f));
    }
    const vim4j_rows y = vt::rows(w.y.data(), E), hidden = vt::rows(w.hidden.data(), c.D);
    VT_CHECK_OK(vim4j_linear(nullptr, &y, rows, &out_proj, &hidden));
}

double bias_at(const Linear& l, int j) { return l.bias.size() > 0 ? static_cast<double>(l.bias[j]) : 0.0; }

// The whole layer in double precision, straight from docs/vim-spec.md 2.1/2.2 (flip by indexing).
std::vector<double> run_reference(const Layer& L, const Buf& h) {
    const Cfg& c = L.c;
    const int rows = c.batch * c.len, E = c.E, R = c.R, N = c.N, xd = R + 2 * N;
    std::vector<double> xz(static_cast<size_t>(rows) * 2 * E), y(static_cast<size_t>(rows) * E, 0.0);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < 2 * E; ++j) {
            double s = bias_at(L.in_proj, j);
            for (int k = 0; k < c.D; ++k) s += static_cast<double>(h[static_cast<size_t>(i) * c.D + k]) * L.in_proj.w[static_cast<size_t>(j) * c.D + k];
            xz[static_cast<size_t>(i) * 2 * E + j] = s;
        }
    std::vector<double> xc(static_cast<size_t>(rows) * E), xdbl(static_cast<size_t>(rows) * xd), hs(N);
    for (int dir = 0; dir < 2; ++dir) {
        const BranchW& b = L.br[dir];
        for (int bi = 0; bi < c.batch; ++bi)
            for (int t = 0; t < c.len; ++t)
                for (int e = 0; e < E; ++e) {
                    double acc = b.conv_b[e];
                    for (int k = 0; k < c.K; ++k) {
                        const int src = dir ? t + (c.K - 1 - k) : t - (c.K - 1 - k);
                        if (src >= 0 && src < c.len)
                            acc += b.conv_w[static_cast<size_t>(e) * c.K + k] * xz[(static_cast<size_t>(bi) * c.len + src) * 2 * E + e];
                    }
                    xc[(static_cast<size_t>(bi) * c.len + t) * E + e] = vt::silu_d(acc);
                }
        for (int i = 0; i < rows; ++i)
            for (int j = 0; j < xd; ++j) {
                double s = bias_at(b.x_proj, j);
                for (int k = 0; k < E; ++k) s += xc[static_cast<size_t>(i) * E + k] * b.x_proj.w[static_cast<size_t>(j) * E + k];
                xdbl[static_cast<size_t>(i) * xd + j] = s;
            }
        for (int bi = 0; bi < c.batch; ++bi)
            for (int e = 0; e < E; ++e) {
                std::fill(hs.begin(), hs.end(), 0.0);
                for (int step = 0; step < c.len; ++step) {
                    const size_t t = static_cast<size_t>(bi) * c.len + (dir ? c.len - 1 - step : step);
                    double draw = bias_at(b.dt_proj, e);
                    for (int r = 0; r < R; ++r) draw += xdbl[t * xd + r] * b.dt_proj.w[static_cast<size_t>(e) * R + r];
                    const double dt = vt::softplus_d(draw + b.dt_bias[e]);
                    const double u = xc[t * E + e];
                    double yy = b.d[e] * u;
                    for (int n = 0; n < N; ++n) {
                        hs[n] = std::exp(dt * b.a_t[static_cast<size_t>(n) * E + e]) * hs[n] + dt * xdbl[t * xd + R + n] * u;
                        yy += xdbl[t * xd + R + N + n] * hs[n];
                    }
                    y[t * E + e] += 0.5 * yy * vt::silu_d(xz[t * 2 * E + E + e]);
                }
            }
    }
    std::vector<double> out(static_cast<size_t>(rows) * c.D);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < c.D; ++j) {
            double s = bias_at(L.out_proj, j);
            for (int k = 0; k < E; ++k) s += y[static_cast<size_t>(i) * E + k] * L.out_proj.w[static_cast<size_t>(j) * E + k];
            out[static_cast<size_t>(i) * c.D + j] = s;
        }
    return out;
}

// The first n floats of a and b are the same bits.
bool same_bits(const Buf& a, const Buf& b, size_t n) {
    return a.size() >= n && b.size() >= n && std::memcmp(a.data(), b.data(), sizeof(float) * n) == 0;
}

void test_config(Rng& rng, const Cfg& c, bool with_reference, bool biases = false) {
    Layer L = make_layer(rng, c, biases);
    Buf h(static_cast<size_t>(c.batch) * c.len * c.D);
    rng.fill(h, -2, 2);
    Work composed(c, h);
    run_composed(L, composed);
    VT_CHECK(composed.guards(), "composed run wrote out of bounds");
    for (int threads = 0; threads <= vt::kMaxTestThreads; ++threads) {
        Work fused(c, h, threads == 2 ? 7 : 0);  // a workspace larger than the call, too
        VT_CHECK_OK(run_fused(vt::runtime(threads), L, fused));
        VT_CHECK(fused.guards(), "mixer wrote out of bounds");
        VT_CHECK(same_bits(fused.hidden, composed.hidden, composed.hidden.size()),
                 "mixer (threads=%d) differs from the composed primitives (b=%d L=%d D=%d E=%d N=%d R=%d K=%d biases=%d)",
                 threads, c.batch, c.len, c.D, c.E, c.N, c.R, c.K, biases);
        VT_CHECK(same_bits(fused.y, composed.y, composed.y.size()) && same_bits(fused.xz, composed.xz, composed.xz.size()),
                 "mixer workspace differs (threads=%d)", threads);
        if (threads == 2) {
            bool untouched = true;  // rows past batch * len are not written
            for (size_t i = composed.hidden.size(); i < fused.hidden.size(); ++i)
                untouched = untouched && Buf::same(fused.hidden[i], Buf::kSentinel);
            VT_CHECK(untouched, "mixer wrote hidden rows past batch * len");
        }
    }
    if (with_reference) {
        const std::vector<double> ref = run_reference(L, h);
        double max_ref = 0, max_err = 0, se = 0, sr = 0;
        for (size_t i = 0; i < ref.size(); ++i) {
            const double e = std::fabs(composed.hidden[i] - ref[i]);
            max_ref = std::max(max_ref, std::fabs(ref[i]));
            max_err = std::max(max_err, e);
            se += e * e;
            sr += ref[i] * ref[i];
        }
        const double rel = std::sqrt(se / (sr + 1e-300));
        std::printf("  b=%d L=%-3d D=%-3d E=%-3d N=%-2d R=%-2d K=%d%s: max |err| %.3g (max |ref| %.3g), relative L2 %.3g\n",
                    c.batch, c.len, c.D, c.E, c.N, c.R, c.K, biases ? " biases" : "", max_err, max_ref, rel);
        VT_CHECK(rel <= 1e-5 && max_err <= 1e-4 * max_ref + 1e-30, "mixer vs double reference: rel %.3g max %.3g", rel,
                 max_err);
    }
}

// Four callers share a 2-thread runtime (one leases its pool, the others run alone) while four more share a
// 3-thread runtime: every result is the single-threaded one.
void test_concurrent_callers(Rng& rng) {
    const Cfg c{2, 37, 24, 48, 16, 3, 4};
    Layer L = make_layer(rng, c);
    Buf h(static_cast<size_t>(c.batch) * c.len * c.D);
    rng.fill(h, -2, 2);
    Work composed(c, h);
    run_composed(L, composed);
    std::vector<int> ok(8, 1);
    std::vector<std::thread> callers;
    for (int i = 0; i < 8; ++i)
        callers.emplace_back([&, i] {
            Work w(c, h);
            for (int rep = 0; rep < 20; ++rep) {
                if (run_fused(vt::runtime(i < 4 ? 2 : 3), L, w) != VIM4J_OK ||
                    !same_bits(w.hidden, composed.hidden, composed.hidden.size()))
                    ok[i] = 0;
            }
        });
    for (auto& t : callers) t.join();
    for (int i = 0; i < 8; ++i) VT_CHECK(ok[i] == 1, "concurrent caller %d got a wrong result", i);
}

}  // namespace

int main() {
    const int setup = vt::tier_setup("test_mixer");
    if (setup != 0) return setup;
    Rng rng(11);
    const Cfg cfgs[] = {
        {1, 1, 8, 16, 1, 1, 1},   {1, 5, 8, 16, 4, 2, 4},    {2, 7, 24, 40, 16, 3, 4},  {1, 20, 40, 24, 17, 12, 4},
        {3, 9, 16, 33, 5, 1, 3},  {2, 13, 12, 20, 16, 4, 2}, {1, 31, 32, 64, 8, 4, 4},  {2, 3, 10, 18, 20, 5, 5},
    };
    for (const Cfg& c : cfgs) test_config(rng, c, true);
    test_config(rng, Cfg{1, 197, 192, 384, 16, 12, 4}, true);   // Vim-Tiny layer
    test_config(rng, Cfg{2, 197, 192, 384, 16, 12, 4}, false);  // batch 2
    test_config(rng, Cfg{2, 13, 24, 40, 16, 3, 4}, true, true);  // biases on every projection
    test_concurrent_callers(rng);
    // BF16 and INT8 projections: the fused layer against the same primitives (which test_precision checks against
    // docs/precision.md), bit for bit, on every thread count; the double reference above is fp32's only.
    for (int precision : {VIM4J_PRECISION_BF16, VIM4J_PRECISION_INT8}) {
        g_precision = precision;
        for (const Cfg& c : cfgs) test_config(rng, c, false);
        test_config(rng, Cfg{1, 197, 192, 384, 16, 12, 4}, false);
        test_config(rng, Cfg{2, 13, 24, 40, 16, 3, 4}, false, true);
        test_concurrent_callers(rng);
    }
    g_precision = VIM4J_PRECISION_FP32;
    // zero rows is a no-op
    {
        const Cfg c{0, 5, 8, 16, 4, 2, 4};
        Layer L = make_layer(rng, c);
        Buf h(1);
        Work w(c, Buf(0), 1);
        VT_CHECK_OK(run_fused(vt::runtime(2), L, w));
        VT_CHECK(w.guards() && Buf::same(w.hidden[0], Buf::kSentinel), "batch 0 wrote something");
    }
    return vt::finish("test_mixer");
}

// vim4j_mixer_forward against (1) the same layer composed from the primitives in the order of
// VimForward.mixer()/branch(): bit-identical for every thread count, and (2) a double-precision reference
// of the whole layer. Also: several callers at once (one leases the pool, the others run alone).
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
    Buf packed;
    int n, k;
};

Linear make_linear(Rng& rng, int n, int k, float scale) {
    Linear l{Buf(static_cast<size_t>(n) * k), Buf(), n, k};
    rng.fill(l.w, -scale, scale);
    l.packed = Buf(static_cast<size_t>(vim4j_linear_packed_size(n, k)));
    VT_CHECK_OK(vim4j_linear_pack(l.w.data(), n, k, l.packed.data()));
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
};

Layer make_layer(Rng& rng, const Cfg& c) {
    Layer L{c, make_linear(rng, 2 * c.E, c.D, 1.0f / std::sqrt(static_cast<float>(c.D))),
            make_linear(rng, c.D, c.E, 1.0f / std::sqrt(static_cast<float>(c.E))), {}};
    for (int d = 0; d < 2; ++d) {
        BranchW& b = L.br[d];
        b.conv_w = Buf(static_cast<size_t>(c.E) * c.K);
        rng.fill(b.conv_w, -0.5f, 0.5f);
        b.conv_b = Buf(c.E);
        rng.fill(b.conv_b, -0.2f, 0.2f);
        b.x_proj = make_linear(rng, c.R + 2 * c.N, c.E, 1.0f / std::sqrt(static_cast<float>(c.E)));
        b.dt_proj = make_linear(rng, c.E, c.R, 1.0f / std::sqrt(static_cast<float>(c.R)));
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

struct Work {
    Buf xz, xc, x_dbl, delta, y, hidden;
    explicit Work(const Cfg& c) {
        const size_t rows = static_cast<size_t>(c.batch) * c.len;
        xz = Buf(rows * 2 * c.E);
        xc = Buf(rows * c.E);
        x_dbl = Buf(rows * (c.R + 2 * c.N));
        delta = Buf(rows * c.E);
        y = Buf(rows * c.E);
        hidden = Buf(rows * c.D);
    }
    bool guards() const {
        return xz.guards() && xc.guards() && x_dbl.guards() && delta.guards() && y.guards() && hidden.guards();
    }
};

int32_t run_fused(const Layer& L, const Buf& h, Work& w) {
    const Cfg& c = L.c;
    const BranchW& f = L.br[0];
    const BranchW& b = L.br[1];
    return vim4j_mixer_forward(h.data(), w.hidden.data(), c.batch, c.len, c.D, c.E, c.N, c.R, c.K,
                               L.in_proj.packed.data(), L.out_proj.packed.data(),
                               f.conv_w.data(), f.conv_b.data(), f.x_proj.packed.data(), f.dt_proj.packed.data(),
                               f.dt_bias.data(), f.a_t.data(), f.d.data(),
                               b.conv_w.data(), b.conv_b.data(), b.x_proj.packed.data(), b.dt_proj.packed.data(),
                               b.dt_bias.data(), b.a_t.data(), b.d.data(),
                               w.xz.data(), w.xc.data(), w.x_dbl.data(), w.delta.data(), w.y.data());
}

// VimForward.mixer() + branch(), primitive by primitive.
void run_composed(const Layer& L, const Buf& h, Work& w) {
    const Cfg& c = L.c;
    const int rows = c.batch * c.len, E = c.E, R = c.R, N = c.N, xd = R + 2 * N;
    VT_CHECK_OK(vim4j_linear(h.data(), c.D, rows, L.in_proj.packed.data(), nullptr, 2 * E, c.D, w.xz.data(), 2 * E));
    for (int dir = 0; dir < 2; ++dir) {
        const BranchW& b = L.br[dir];
        VT_CHECK_OK(vim4j_conv_silu(w.xz.data(), 2 * E, b.conv_w.data(), b.conv_b.data(), w.xc.data(), E, c.batch, c.len,
                                    E, c.K, dir, 0, E));
        VT_CHECK_OK(vim4j_linear(w.xc.data(), E, rows, b.x_proj.packed.data(), nullptr, xd, E, w.x_dbl.data(), xd));
        VT_CHECK_OK(vim4j_linear(w.x_dbl.data(), xd, rows, b.dt_proj.packed.data(), nullptr, E, R, w.delta.data(), E));
        VT_CHECK_OK(vim4j_selective_scan(w.xc.data(), E, w.delta.data(), E, b.a_t.data(), w.x_dbl.data() + R,
                                         w.x_dbl.data() + R + N, xd, b.d.data(), b.dt_bias.data(), w.xz.data() + E,
                                         2 * E, w.y.data(), E, c.batch, c.len, E, N, dir, 0.5f, dir, 0, E));
    }
    VT_CHECK_OK(vim4j_linear(w.y.data(), E, rows, L.out_proj.packed.data(), nullptr, c.D, E, w.hidden.data(), c.D));
}

// The whole layer in double precision, straight from vim-spec.md 2.1/2.2 (flip by indexing).
std::vector<double> run_reference(const Layer& L, const Buf& h) {
    const Cfg& c = L.c;
    const int rows = c.batch * c.len, E = c.E, R = c.R, N = c.N, xd = R + 2 * N;
    std::vector<double> xz(static_cast<size_t>(rows) * 2 * E), y(static_cast<size_t>(rows) * E, 0.0);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < 2 * E; ++j) {
            double s = 0;
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
                double s = 0;
                for (int k = 0; k < E; ++k) s += xc[static_cast<size_t>(i) * E + k] * b.x_proj.w[static_cast<size_t>(j) * E + k];
                xdbl[static_cast<size_t>(i) * xd + j] = s;
            }
        for (int bi = 0; bi < c.batch; ++bi)
            for (int e = 0; e < E; ++e) {
                std::fill(hs.begin(), hs.end(), 0.0);
                for (int step = 0; step < c.len; ++step) {
                    const size_t t = static_cast<size_t>(bi) * c.len + (dir ? c.len - 1 - step : step);
                    double draw = 0;
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
            double s = 0;
            for (int k = 0; k < E; ++k) s += y[static_cast<size_t>(i) * E + k] * L.out_proj.w[static_cast<size_t>(j) * E + k];
            out[static_cast<size_t>(i) * c.D + j] = s;
        }
    return out;
}

bool same_bits(const Buf& a, const Buf& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

void test_config(Rng& rng, const Cfg& c, bool with_reference) {
    Layer L = make_layer(rng, c);
    Buf h(static_cast<size_t>(c.batch) * c.len * c.D);
    rng.fill(h, -2, 2);
    Work composed(c);
    run_composed(L, h, composed);
    VT_CHECK(composed.guards(), "composed run wrote out of bounds");
    for (int threads = 1; threads <= 4; ++threads) {
        vim4j_set_threads(threads);
        Work fused(c);
        VT_CHECK_OK(run_fused(L, h, fused));
        VT_CHECK(fused.guards(), "mixer wrote out of bounds");
        VT_CHECK(same_bits(fused.hidden, composed.hidden),
                 "mixer (threads=%d) differs from the composed primitives (b=%d L=%d D=%d E=%d N=%d R=%d K=%d)", threads,
                 c.batch, c.len, c.D, c.E, c.N, c.R, c.K);
        VT_CHECK(same_bits(fused.y, composed.y) && same_bits(fused.xz, composed.xz), "mixer workspace differs (threads=%d)",
                 threads);
    }
    vim4j_set_threads(1);
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
        std::printf("  b=%d L=%-3d D=%-3d E=%-3d N=%-2d R=%-2d K=%d: max |err| %.3g (max |ref| %.3g), relative L2 %.3g\n",
                    c.batch, c.len, c.D, c.E, c.N, c.R, c.K, max_err, max_ref, rel);
        VT_CHECK(rel <= 1e-5 && max_err <= 1e-4 * max_ref + 1e-30, "mixer vs double reference: rel %.3g max %.3g", rel,
                 max_err);
    }
}

void test_concurrent_callers(Rng& rng) {
    const Cfg c{2, 37, 24, 48, 16, 3, 4};
    Layer L = make_layer(rng, c);
    Buf h(static_cast<size_t>(c.batch) * c.len * c.D);
    rng.fill(h, -2, 2);
    Work composed(c);
    run_composed(L, h, composed);
    vim4j_set_threads(2);
    std::vector<int> ok(4, 1);
    std::vector<std::thread> callers;
    for (int i = 0; i < 4; ++i)
        callers.emplace_back([&, i] {
            Work w(c);
            for (int rep = 0; rep < 20; ++rep) {
                if (run_fused(L, h, w) != VIM4J_OK || !same_bits(w.hidden, composed.hidden)) ok[i] = 0;
            }
        });
    for (auto& t : callers) t.join();
    for (int i = 0; i < 4; ++i) VT_CHECK(ok[i] == 1, "concurrent caller %d got a wrong result", i);
    vim4j_set_threads(1);
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
    test_concurrent_callers(rng);
    // zero rows is a no-op
    {
        const Cfg c{0, 5, 8, 16, 4, 2, 4};
        Layer L = make_layer(rng, c);
        Buf h(1);
        Work w(Cfg{1, 1, 8, 16, 4, 2, 4});
        VT_CHECK_OK(run_fused(L, h, w));
    }
    return vt::finish("test_mixer");
}

// vim4j_bench: times libvim4j on the shapes of a Vim-Tiny forward at 224x224 (L = 197, D = 192,
// d_inner = 384, N = 16, R = 12, K = 4, 24 layers):
//   in_proj 197x192 -> 768, out_proj 197x384 -> 192 (and x_proj / dt_proj; also the Vim-Small projection
//   shapes) on runtimes of 1 and 2 threads, the 48 selective scans of a forward (both directions) on 1 and 2
//   threads, and a whole 24-layer stack of vim4j_mixer_forward on 1 and 2 threads.
// Prints min and median over repetitions.
// Usage: vim4j_bench [seconds-per-measurement (default 1.0)] [gemm] [scan] [mixer]   (default: all)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

#include "vim4j.h"

namespace {

double g_seconds = 1.0;

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the calling thread: on a shared machine it excludes the time the thread was descheduled,
// so single-thread kernel timings stay meaningful under load.
double thread_cpu() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double process_cpu() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
    double min_ms, med_ms;  // wall clock
    double cpu_min_ms;      // calling thread's CPU time
    double proc_cpu_min_ms; // CPU time of all threads of the process
    int reps;
};

template <class F>
Timing time_it(F&& f) {
    f();  // warm-up
    std::vector<double> t, c, pc;
    const double start = now();
    while ((now() - start < g_seconds || t.size() < 5) && t.size() < 100000) {
        const double p0 = process_cpu();
        const double c0 = thread_cpu();
        const double t0 = now();
        f();
        t.push_back((now() - t0) * 1e3);
        c.push_back((thread_cpu() - c0) * 1e3);
        pc.push_back((process_cpu() - p0) * 1e3);
    }
    std::sort(t.begin(), t.end());
    std::sort(c.begin(), c.end());
    std::sort(pc.begin(), pc.end());
    return {t.front(), t[t.size() / 2], c.front(), pc.front(), static_cast<int>(t.size())};
}

void check(int32_t rc, const char* what) {
    if (rc != VIM4J_OK) {
        std::fprintf(stderr, "%s failed: %s\n", what, vim4j_last_error());
        std::exit(1);
    }
}

std::mt19937 g_rng(42);
std::vector<float> randv(size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = d(g_rng);
    return v;
}

std::vector<float> packed(int n, int k, float scale) {
    std::vector<float> w = randv(static_cast<size_t>(n) * k, -scale, scale);
    std::vector<float> p(static_cast<size_t>(vim4j_linear_packed_size(n, k)));
    check(vim4j_linear_pack(w.data(), n, k, p.data()), "pack");
    return p;
}

// The runtimes of 1 and 2 threads.
vim4j_runtime* g_rt[3] = {};

// W packed at a precision (INT8: quantized per output channel with scales = amax / 127, as Quantization.int8).
struct LowpWeight {
    std::vector<float> packed, scales;
};

LowpWeight packed_at(int precision, int n, int k, float scale) {
    std::vector<float> w = randv(static_cast<size_t>(n) * k, -scale, scale);
    LowpWeight out;
    out.packed.resize(static_cast<size_t>((vim4j_linear_packed_bytes(precision, n, k) + 3) / 4));
    if (precision == VIM4J_PRECISION_BF16) {
        check(vim4j_linear_pack_bf16(w.data(), n, k, out.packed.data()), "pack_bf16");
    } else if (precision == VIM4J_PRECISION_INT8) {
        std::vector<int8_t> q(w.size());
        out.scales.resize(n);
        for (int j = 0; j < n; ++j) {
            float amax = 0.0f;
            for (int kk = 0; kk < k; ++kk) amax = std::max(amax, std::fabs(w[static_cast<size_t>(j) * k + kk]));
            out.scales[j] = amax / 127.0f;
            for (int kk = 0; kk < k; ++kk)
                q[static_cast<size_t>(j) * k + kk] =
                    static_cast<int8_t>(std::nearbyint(w[static_cast<size_t>(j) * k + kk] * (127.0f / amax)));
        }
        check(vim4j_linear_pack_int8(q.data(), n, k, out.packed.data()), "pack_int8");
    } else {
        check(vim4j_linear_pack(w.data(), n, k, out.packed.data()), "pack");
    }
    return out;
}

const char* precision_name(int p) { return p == VIM4J_PRECISION_BF16 ? "bf16" : p == VIM4J_PRECISION_INT8 ? "int8" : "fp32"; }

void bench_linear(const char* shape, int m, int k, int n, int lda, int threads, int precision = VIM4J_PRECISION_FP32) {
    char name[64];
    std::snprintf(name, sizeof(name), "%s %s", precision_name(precision), shape);
    std::vector<float> a = randv(static_cast<size_t>(m) * lda, -1, 1);
    const LowpWeight w = packed_at(precision, n, k, 0.1f);
    std::vector<float> c(static_cast<size_t>(m) * n);
    const vim4j_rows A{a.data(), lda}, C{c.data(), n};
    const vim4j_linear_weight W{w.packed.data(), nullptr, n, k, precision, 0,
                                precision == VIM4J_PRECISION_INT8 ? w.scales.data() : nullptr};
    Timing t = time_it([&] { check(vim4j_linear(g_rt[threads], &A, m, &W, &C), name); });
    const double gflop = 2.0 * m * n * k * 1e-9;
    if (threads == 1) {
        std::printf("  %-28s wall %8.4f ms min %8.4f med | cpu %8.4f ms min | %6.1f GFLOP/s (wall min) %6.1f (cpu min)\n",
                    name, t.min_ms, t.med_ms, t.cpu_min_ms, gflop / (t.min_ms * 1e-3), gflop / (t.cpu_min_ms * 1e-3));
    } else {
        std::printf("  %-28s wall %8.4f ms min %8.4f med | cpu all threads %8.4f ms min | %6.1f GFLOP/s (wall min)\n",
                    name, t.min_ms, t.med_ms, t.proc_cpu_min_ms, gflop / (t.min_ms * 1e-3));
    }
}

constexpr int L = 197, D = 192, E = 384, N = 16, R = 12, K = 4, DEPTH = 24, XD = R + 2 * N;

struct ScanInputs {
    std::vector<float> u, delta, a_t, xdbl, dskip, dbias, xz, y;
    ScanInputs()
        : u(randv(static_cast<size_t>(L) * E, -1, 1)),
          delta(randv(static_cast<size_t>(L) * E, -4, 0)),
          a_t(static_cast<size_t>(N) * E),
          xdbl(randv(static_cast<size_t>(L) * XD, -1, 1)),
          dskip(randv(E, 0.5f, 1.5f)),
          dbias(randv(E, -4, -2)),
          xz(randv(static_cast<size_t>(L) * 2 * E, -2, 2)),
          y(static_cast<size_t>(L) * E) {
        for (int n = 0; n < N; ++n)
            for (int e = 0; e < E; ++e) a_t[static_cast<size_t>(n) * E + e] = -(n + 1.0f);
    }
    void scan(vim4j_runtime* rt, bool reverse) {
        const vim4j_scan_inputs in{{u.data(), E}, {delta.data(), E}, {xdbl.data() + R, XD}, {xdbl.data() + R + N, XD},
                                   {xz.data() + E, 2 * E}};
        const vim4j_scan_weights w{a_t.data(), dskip.data(), dbias.data(), E, N};
        const vim4j_rows out{y.data(), E};
        check(vim4j_selective_scan(rt, &in, &w, &out, 1, L, reverse ? VIM4J_SCAN_REVERSE | VIM4J_SCAN_ACCUMULATE : 0, 0.5f),
              "scan");
    }
};

void bench_scans() {
    ScanInputs in;
    const double updates = 48.0 * L * E * N;
    Timing t1 = time_it([&] {
        for (int i = 0; i < 24; ++i) {
            in.scan(g_rt[1], false);
            in.scan(g_rt[1], true);
        }
    });
    std::printf("  %-28s wall %8.3f ms min %8.3f med | cpu %8.3f ms min | %5.2f Gstate-updates/s (cpu min)\n",
                "48 scans, 1 thread", t1.min_ms, t1.med_ms, t1.cpu_min_ms, updates / (t1.cpu_min_ms * 1e-3) * 1e-9);
    // 2 threads: the runtime splits the channels
    Timing t2 = time_it([&] {
        for (int i = 0; i < 24; ++i) {
            in.scan(g_rt[2], false);
            in.scan(g_rt[2], true);
        }
    });
    std::printf("  %-28s wall %8.3f ms min %8.3f med | %5.2f Gstate-updates/s (wall min)\n", "48 scans, 2 threads",
                t2.min_ms, t2.med_ms, updates / (t2.min_ms * 1e-3) * 1e-9);
}

struct LayerW {
    std::vector<float> in_proj, out_proj, conv_w[2], conv_b[2], x_proj[2], dt_proj[2], dt_bias[2], a_t[2], d[2];
    LayerW() {
        in_proj = packed(2 * E, D, 1.0f / std::sqrt(static_cast<float>(D)));
        out_proj = packed(D, E, 1.0f / std::sqrt(static_cast<float>(E)));
        for (int i = 0; i < 2; ++i) {
            conv_w[i] = randv(static_cast<size_t>(E) * K, -0.5f, 0.5f);
            conv_b[i] = randv(E, -0.1f, 0.1f);
            x_proj[i] = packed(XD, E, 1.0f / std::sqrt(static_cast<float>(E)));
            dt_proj[i] = packed(E, R, 1.0f / std::sqrt(static_cast<float>(R)));
            dt_bias[i] = randv(E, -6.9f, -2.3f);
            a_t[i].resize(static_cast<size_t>(N) * E);
            for (int n = 0; n < N; ++n)
                for (int e = 0; e < E; ++e) a_t[i][static_cast<size_t>(n) * E + e] = -(n + 1.0f);
            d[i] = randv(E, 0.5f, 1.5f);
        }
    }
};

void bench_mixer_stack(int batch) {
    std::vector<LayerW> layers(DEPTH);
    const size_t rows = static_cast<size_t>(batch) * L;
    std::vector<float> h = randv(rows * D, -1, 1), hidden(rows * D), xz(rows * 2 * E), xc[2] = {std::vector<float>(rows * E), std::vector<float>(rows * E)},
                       xdbl[2] = {std::vector<float>(rows * XD), std::vector<float>(rows * XD)}, delta(rows * E), y(rows * E);
    const vim4j_mixer_buffers b{{D, E, N, R}, static_cast<int64_t>(rows), h.data(), hidden.data(), xz.data(), delta.data(),
                                y.data(), {xc[0].data(), xdbl[0].data()}, {xc[1].data(), xdbl[1].data()}};
    std::vector<vim4j_mixer_weights> mw;
    for (LayerW& w : layers) {
        vim4j_branch_weights br[2];
        for (int i = 0; i < 2; ++i)
            br[i] = {{w.conv_w[i].data(), w.conv_b[i].data(), E, K}, {w.x_proj[i].data(), nullptr, XD, E, VIM4J_PRECISION_FP32, 0, nullptr},
                     {w.dt_proj[i].data(), nullptr, E, R, VIM4J_PRECISION_FP32, 0, nullptr}, {w.a_t[i].data(), w.d[i].data(), w.dt_bias[i].data(), E, N}};
        mw.push_back({{w.in_proj.data(), nullptr, 2 * E, D, VIM4J_PRECISION_FP32, 0, nullptr}, br[0], br[1],
                      {w.out_proj.data(), nullptr, D, E, VIM4J_PRECISION_FP32, 0, nullptr}});
    }
    vim4j_runtime* rt = nullptr;
    auto stack = [&] {
        for (const vim4j_mixer_weights& w : mw) check(vim4j_mixer_forward(rt, &w, &b, batch, L), "mixer");
    };
    // GEMM + conv flops of the 24 layers (the scan's exp/FMA work is not counted)
    const double mac = static_cast<double>(rows) * (2.0 * E * D + D * E + 2.0 * (E * XD + R * E + E * K)) * DEPTH;
    for (int threads = 1; threads <= 2; ++threads) {
        rt = g_rt[threads];
        Timing t = time_it(stack);
        char label[64];
        std::snprintf(label, sizeof(label), "24 mixers, batch %d, %d thr", batch, threads);
        std::printf("  %-28s wall %8.3f ms min %8.3f med | cpu: caller %8.3f, all threads %8.3f ms min | %6.1f GFLOP/s"
                    " GEMM+conv (wall min)\n",
                    label, t.min_ms, t.med_ms, t.cpu_min_ms, t.proc_cpu_min_ms, 2.0 * mac * 1e-9 / (t.min_ms * 1e-3));
    }
}

const char* isa_name(int isa) {
    return isa == VIM4J_ISA_AVX512 ? "avx512" : isa == VIM4J_ISA_AVX2 ? "avx2" : "portable";
}

}  // namespace

bool wants(int argc, char** argv, const char* what) {
    if (argc <= 2) return true;
    for (int i = 2; i < argc; ++i)
        if (std::string(argv[i]) == what) return true;
    return false;
}

int main(int argc, char** argv) {
    if (argc > 1) g_seconds = std::atof(argv[1]);
    std::printf("vim4j_bench: tier %s, abi %d, %u hardware threads, %.2f s per measurement\n", isa_name(vim4j_isa()),
                vim4j_abi_version(), std::thread::hardware_concurrency(), g_seconds);
    g_rt[1] = vim4j_runtime_create(1);
    g_rt[2] = vim4j_runtime_create(2);
    if (wants(argc, argv, "gemm")) {
        for (int threads = 1; threads <= 2; ++threads) {
            std::printf("GEMM (%d thread%s)\n", threads, threads > 1 ? "s" : "");
            // every precision of the projections VimWeights prepares at the model's precision (dt_proj stays fp32)
            for (int p : {VIM4J_PRECISION_FP32, VIM4J_PRECISION_BF16, VIM4J_PRECISION_INT8}) {
                bench_linear("in_proj  197x192 -> 768", L, D, 2 * E, D, threads, p);
                bench_linear("out_proj 197x384 -> 192", L, E, D, E, threads, p);
                bench_linear("x_proj   197x384 -> 44", L, E, XD, E, threads, p);
            }
            bench_linear("dt_proj  197x12 -> 384", L, R, E, XD, threads);
            std::printf("GEMM, Vim-Small shapes (D = 384, d_inner = 768, dt_rank 24; %d thread%s)\n", threads,
                        threads > 1 ? "s" : "");
            bench_linear("in_proj  197x384 -> 1536", L, 384, 1536, 384, threads);
            bench_linear("out_proj 197x768 -> 384", L, 768, 384, 768, threads);
            bench_linear("x_proj   197x768 -> 56", L, 768, 24 + 2 * N, 768, threads);
            bench_linear("dt_proj  197x24 -> 768", L, 24, 768, 24 + 2 * N, threads);
        }
    }
    if (wants(argc, argv, "scan")) {
        std::printf("selective scan (L=197, E=384, N=16, 24 layers x 2 directions)\n");
        bench_scans();
    }
    if (wants(argc, argv, "mixer")) {
        std::printf("mixer stack (vim4j_mixer_forward x 24 layers)\n");
        bench_mixer_stack(1);
    }
    vim4j_runtime_destroy(g_rt[1]);
    vim4j_runtime_destroy(g_rt[2]);
    return 0;
}

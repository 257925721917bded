// Per-kernel benchmark of libvim4j_cuda on Vim-Tiny/Small/Base shapes: time per call (CUDA events, median of
// repeats after warm-up), achieved bandwidth for the memory-bound kernels and FLOP/s for the GEMMs, against the
// H200 figures of issue 5 (about 4.3 TB/s copy, about 790 TFLOP/s dense BF16; 67 TFLOP/s FP32 and 395 TFLOP/s
// TF32 dense are NVIDIA's H200 SXM data-sheet figures). One line per measurement, "key=value" fields, for
// benchmarks/device/check.sh. Exits 77 without a CUDA device.
//
//   vim4j_cuda_bench [--quick]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "vim4j_cuda.h"

namespace {

constexpr double kPeakBytes = 4.3e12;
constexpr double kPeakFp32 = 67e12, kPeakTf32 = 395e12, kPeakBf16 = 790e12;

void* g_stream = nullptr;
bool g_failed = false;

bool ok(int32_t rc, const char* what) {
    if (rc != VIM4J_CUDA_OK) {
        std::fprintf(stderr, "vim4j_cuda_bench: %s: %s\n", what, vim4j_cuda_last_error());
        g_failed = true;
        return false;
    }
    return true;
}

float* dev(size_t floats, float lo = -1.0f, float hi = 1.0f) {
    int64_t a = 0;
    if (!ok(vim4j_cuda_malloc(static_cast<int64_t>(std::max<size_t>(floats, 1) * 4), &a), "malloc")) return nullptr;
    std::vector<float> h(std::max<size_t>(floats, 1));
    std::mt19937 rng(static_cast<unsigned>(floats));
    std::uniform_real_distribution<float> d(lo, hi);
    for (auto& x : h) x = d(rng);
    float* p = reinterpret_cast<float*>(static_cast<intptr_t>(a));
    ok(vim4j_cuda_memcpy(p, h.data(), static_cast<int64_t>(h.size() * 4), g_stream), "upload");
    ok(vim4j_cuda_stream_synchronize(g_stream), "sync");
    return p;
}

// Median milliseconds of `reps` timed calls of f (after 3 warm-up calls), each timed with events.
template <typename F>
double time_ms(F f, int reps) {
    int64_t e0 = 0, e1 = 0;
    ok(vim4j_cuda_event_create(&e0), "event");
    ok(vim4j_cuda_event_create(&e1), "event");
    void* a = reinterpret_cast<void*>(static_cast<intptr_t>(e0));
    void* b = reinterpret_cast<void*>(static_cast<intptr_t>(e1));
    for (int i = 0; i < 3; ++i) f();
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        ok(vim4j_cuda_event_record(a, g_stream), "record");
        f();
        ok(vim4j_cuda_event_record(b, g_stream), "record");
        float ms = 0;
        ok(vim4j_cuda_event_elapsed(a, b, &ms), "elapsed");
        t.push_back(ms);
    }
    vim4j_cuda_event_destroy(a);
    vim4j_cuda_event_destroy(b);
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

void report_bw(const char* kernel, const char* model, int batch, int len, double ms, double bytes) {
    const double bps = bytes / (ms * 1e-3);
    std::printf("kernel=%s model=%s batch=%d len=%d ms=%.4f bytes=%.0f GBps=%.1f pct_of_4.3TBps=%.1f\n", kernel, model, batch,
                len, ms, bytes, bps / 1e9, 100.0 * bps / kPeakBytes);
}

void report_flops(const char* kernel, const char* model, int batch, int len, const char* precision, double ms, double flops) {
    const double fps = flops / (ms * 1e-3);
    const double peak = std::strcmp(precision, "tf32") == 0 ? kPeakTf32 : kPeakFp32;
    std::printf("kernel=%s model=%s batch=%d len=%d precision=%s ms=%.4f TFLOPs=%.2f pct_of_%s_peak=%.1f "
                "pct_of_790TF_bf16=%.2f\n",
                kernel, model, batch, len, precision, ms, fps / 1e12, precision, 100.0 * fps / peak, 100.0 * fps / kPeakBf16);
}

struct Model {
    const char* name;
    int d;
};

void bench(const Model& mdl, int batch, int len, int reps) {
    const int d = mdl.d, e = 2 * d, n = 16, r = (d + 15) / 16, xdbl = r + 2 * n, k = 4;
    const size_t rows = static_cast<size_t>(batch) * len;
    float *h = dev(rows * d), *hidden = dev(rows * d), *res = dev(rows * d), *normw = dev(d, 0.5f, 1.5f);
    float *in_proj = dev(static_cast<size_t>(2) * e * d, -0.1f, 0.1f), *out_proj = dev(static_cast<size_t>(d) * e, -0.1f, 0.1f);
    float *xz = dev(rows * 2 * e), *xcf = dev(rows * e), *xcb = dev(rows * e), *xdf = dev(rows * xdbl), *xdb = dev(rows * xdbl);
    float *y = dev(rows * e), *delta = dev(rows * e, -3, 0);
    float *convw = dev(static_cast<size_t>(e) * k), *convb = dev(e), *xproj = dev(static_cast<size_t>(xdbl) * e, -0.1f, 0.1f);
    float *dtproj = dev(static_cast<size_t>(e) * r, -0.2f, 0.2f), *dtb = dev(e, -4, -2), *at = dev(static_cast<size_t>(n) * e, -8, -1);
    float* dsk = dev(e, 0.5f, 1.5f);
    if (g_failed) return;
    void* s = g_stream;
    for (int prec : {VIM4J_CUDA_PRECISION_FP32, VIM4J_CUDA_PRECISION_TF32}) {
        const char* pn = prec == VIM4J_CUDA_PRECISION_TF32 ? "tf32" : "fp32";
        auto lw = [&](const float* w, int32_t n_out, int32_t k_in) {
            vim4j_cuda_linear_weight l{};
            l.weight = w;
            l.n = n_out;
            l.k = k_in;
            l.precision = prec;
            l.layout = VIM4J_CUDA_LAYOUT_ROW_MAJOR;
            return l;
        };
        const vim4j_cuda_linear_weight w_in = lw(in_proj, 2 * e, d), w_x = lw(xproj, xdbl, e), w_out = lw(out_proj, d, e);
        double ms = time_ms([&] { ok(vim4j_cuda_linear(h, d, static_cast<int32_t>(rows), &w_in, xz, 2 * e, s), "in_proj"); }, reps);
        report_flops("in_proj", mdl.name, batch, len, pn, ms, 2.0 * rows * d * 2 * e);
        ms = time_ms([&] { ok(vim4j_cuda_linear(xcf, e, static_cast<int32_t>(rows), &w_x, xdf, xdbl, s), "x_proj"); }, reps);
        report_flops("x_proj", mdl.name, batch, len, pn, ms, 2.0 * rows * e * xdbl);
        ms = time_ms([&] { ok(vim4j_cuda_linear(y, e, static_cast<int32_t>(rows), &w_out, hidden, d, s), "out_proj"); }, reps);
        report_flops("out_proj", mdl.name, batch, len, pn, ms, 2.0 * rows * e * d);
        vim4j_cuda_mixer_weights mw{};
        mw.in_proj = w_in;
        mw.out_proj = w_out;
        for (vim4j_cuda_branch_weights* b : {&mw.forward, &mw.backward}) {  // both directions share the weights
            b->conv = vim4j_cuda_conv_weights{convw, convb, e, k};
            b->x_proj = w_x;
            b->dt_proj = lw(dtproj, e, r);
            b->scan = vim4j_cuda_scan_weights{at, dsk, dtb, e, n};
        }
        vim4j_cuda_mixer_buffers mb{};
        mb.dims = vim4j_cuda_mixer_dims{d, e, n, r};
        mb.rows = static_cast<int64_t>(rows);
        mb.normed = h;
        mb.hidden = hidden;
        mb.xz = xz;
        mb.delta = delta;
        mb.y = y;
        mb.xc_f = xcf;
        mb.xc_b = xcb;
        mb.x_dbl_f = xdf;
        mb.x_dbl_b = xdb;
        ms = time_ms([&] { ok(vim4j_cuda_mixer_forward(&mw, &mb, batch, len, s), "mixer"); }, reps);
        std::printf("kernel=mixer_layer model=%s batch=%d len=%d precision=%s ms=%.4f per_image_us=%.2f\n", mdl.name, batch, len, pn,
                    ms, 1000.0 * ms / batch);
    }
    // Scan, one direction, delta given: reads u, delta, z (E floats each per row) + B, C (2N per row), writes out.
    double ms = time_ms([&] {
        const vim4j_cuda_scan_inputs in{{xcf, e}, {delta, e}, {xdf + r, xdbl}, {xdf + r + n, xdbl}, {xz + e, 2 * e}};
        const vim4j_cuda_scan_weights sw{at, dsk, dtb, e, n};
        const vim4j_cuda_scan_mode mode{0, 1.0f, 0};
        const vim4j_cuda_rows out{y, e};
        ok(vim4j_cuda_selective_scan(&in, &sw, &out, batch, len, &mode, s), "scan");
    }, reps);
    report_bw("selective_scan", mdl.name, batch, len, ms, 4.0 * rows * (4.0 * e + 2.0 * n));
    const vim4j_cuda_rows cx{xz, 2 * e}, co{xcf, e};
    const vim4j_cuda_conv_weights cw{convw, convb, e, k};
    ms = time_ms([&] { ok(vim4j_cuda_conv_silu(&cx, &cw, &co, batch, len, 0, s), "conv"); }, reps);
    report_bw("conv_silu", mdl.name, batch, len, ms, 4.0 * rows * 2.0 * e);
    ms = time_ms([&] { ok(vim4j_cuda_add_rms_norm(res, hidden, normw, h, static_cast<int32_t>(rows), d, 1e-5f, s), "norm"); }, reps);
    report_bw("add_rms_norm", mdl.name, batch, len, ms, 4.0 * rows * 4.0 * d);
    for (float* p : {h, hidden, res, normw, in_proj, out_proj, xz, xcf, xcb, xdf, xdb, y, delta, convw, convb, xproj, dtproj, dtb, at, dsk})
        vim4j_cuda_free(p);
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    char name[256] = "";
    if (vim4j_cuda_init(0, name, sizeof name) != VIM4J_CUDA_OK) {
        std::printf("vim4j_cuda_bench: skipped: %s\n", vim4j_cuda_last_error());
        return 77;
    }
    std::printf("device=\"%s\"\n", name);
    int64_t st = 0;
    if (!ok(vim4j_cuda_stream_create(&st), "stream")) return 1;
    g_stream = reinterpret_cast<void*>(static_cast<intptr_t>(st));
    const Model tiny{"tiny", 192}, small{"small", 384}, base{"base", 768};
    const int reps = quick ? 5 : 20;
    for (int batch : {1, 64, 256}) bench(tiny, batch, 197, reps);
    if (!quick) {
        for (int batch : {1, 64}) bench(small, batch, 197, reps);
        for (int batch : {1, 64}) bench(base, batch, 197, reps);
        bench(tiny, 1, 6085, reps);  // 1248 x 1248
    }
    return g_failed ? 1 : 0;
}

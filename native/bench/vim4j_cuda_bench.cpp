// Benchmark of libvim4j_cuda on Vim-Tiny/Small/Base shapes, for benchmarks/device/check.sh. Exits 77 without a
// CUDA device.
//
//   vim4j_cuda_bench [--quick]     per kernel: time per call (CUDA events, median of repeats after warm-up), GB/s
//                                  for the memory-bound kernels and TFLOP/s for the GEMMs against the H200's peaks
//                                  (4.8 TB/s HBM3e; dense 67 TFLOP/s FP32, 495 TF32, 990 BF16), one "key=value"
//                                  line per measurement, in FP32, TF32 and BF16 (bf16 weights, precision 2)
//   vim4j_cuda_bench --forward RES BATCH PRECISION ITERS
//                                  a whole Vim-Tiny forward (patch embedding, 24 x (add+RMSNorm, fused mixer), final
//                                  norm, head) through the C ABI, captured once into a CUDA graph and replayed:
//                                  p50/min ms and the peak device memory allocated (weights + workspaces), one
//                                  JSON line ("kind": "vim4j_forward"; benchmarks/device/figure1.py reads it)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "vim4j_cuda.h"

namespace {

constexpr double kPeakBytes = 4.8e12;
constexpr double kPeakFp32 = 67e12, kPeakTf32 = 495e12, kPeakBf16 = 990e12;
constexpr int32_t kBf16 = 2;  // VIM4J_CUDA_PRECISION_BF16

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

uint16_t bf16_bits(float x) {  // round to nearest even (finite values)
    uint32_t b;
    std::memcpy(&b, &x, 4);
    return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
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

// A GEMM weight of n floats in the precision's storage: fp32, or bf16 bits for BF16 (half the bytes).
float* weight(size_t n, float lo, float hi, int32_t precision) {
    if (precision != kBf16) return dev(n, lo, hi);
    std::vector<float> h(n);
    std::mt19937 rng(static_cast<unsigned>(n));
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<uint16_t> b(n);
    for (size_t i = 0; i < n; ++i) b[i] = bf16_bits(d(rng));
    int64_t a = 0;
    if (!ok(vim4j_cuda_malloc(static_cast<int64_t>(std::max<size_t>(n, 2) * 2), &a), "malloc")) return nullptr;
    float* p = reinterpret_cast<float*>(static_cast<intptr_t>(a));
    ok(vim4j_cuda_memcpy(p, b.data(), static_cast<int64_t>(n * 2), g_stream), "upload");
    ok(vim4j_cuda_stream_synchronize(g_stream), "sync");
    return p;
}

const char* precision_name(int32_t p) { return p == VIM4J_CUDA_PRECISION_TF32 ? "tf32" : p == kBf16 ? "bf16" : "fp32"; }

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
    std::printf("kernel=%s model=%s batch=%d len=%d ms=%.4f bytes=%.0f GBps=%.1f pct_of_4.8TBps=%.1f\n", kernel, model, batch,
                len, ms, bytes, bps / 1e9, 100.0 * bps / kPeakBytes);
}

void report_flops(const char* kernel, const char* model, int batch, int len, const char* precision, double ms, double flops) {
    const double fps = flops / (ms * 1e-3);
    const double peak = std::strcmp(precision, "tf32") == 0 ? kPeakTf32 : std::strcmp(precision, "bf16") == 0 ? kPeakBf16 : kPeakFp32;
    std::printf("kernel=%s model=%s batch=%d len=%d precision=%s ms=%.4f TFLOPs=%.2f pct_of_%s_peak=%.1f\n", kernel,
                model, batch, len, precision, ms, fps / 1e12, precision, 100.0 * fps / peak);
}

struct Model {
    const char* name;
    int d;
};

void bench(const Model& mdl, int batch, int len, int reps) {
    const int d = mdl.d, e = 2 * d, n = 16, r = (d + 15) / 16, xdbl = r + 2 * n, k = 4;
    const size_t rows = static_cast<size_t>(batch) * len;
    float *h = dev(rows * d), *hidden = dev(rows * d), *res = dev(rows * d), *normw = dev(d, 0.5f, 1.5f);
    float *xz = dev(rows * 2 * e), *xcf = dev(rows * e), *xcb = dev(rows * e), *xdf = dev(rows * xdbl), *xdb = dev(rows * xdbl);
    float *y = dev(rows * e), *delta = dev(rows * e, -3, 0);
    float *convw = dev(static_cast<size_t>(e) * k), *convb = dev(e);
    float *dtproj = dev(static_cast<size_t>(e) * r, -0.2f, 0.2f), *dtb = dev(e, -4, -2), *at = dev(static_cast<size_t>(n) * e, -8, -1);
    float* dsk = dev(e, 0.5f, 1.5f);
    if (g_failed) return;
    void* s = g_stream;
    for (int prec : {VIM4J_CUDA_PRECISION_FP32, VIM4J_CUDA_PRECISION_TF32, kBf16}) {
        const char* pn = precision_name(prec);
        float *in_proj = weight(static_cast<size_t>(2) * e * d, -0.1f, 0.1f, prec);
        float *out_proj = weight(static_cast<size_t>(d) * e, -0.1f, 0.1f, prec);
        float *xproj = weight(static_cast<size_t>(xdbl) * e, -0.1f, 0.1f, prec);
        if (g_failed) return;
        auto lw = [&](const float* w, int32_t n_out, int32_t k_in, int32_t p) {
            vim4j_cuda_linear_weight l{};
            l.weight = w;
            l.n = n_out;
            l.k = k_in;
            l.precision = p;
            l.layout = VIM4J_CUDA_LAYOUT_ROW_MAJOR;
            return l;
        };
        const vim4j_cuda_linear_weight w_in = lw(in_proj, 2 * e, d, prec), w_x = lw(xproj, xdbl, e, prec),
                                       w_out = lw(out_proj, d, e, prec);
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
            b->dt_proj = lw(dtproj, e, r, prec == kBf16 ? VIM4J_CUDA_PRECISION_FP32 : prec);  // fp32 in the scan
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
        std::printf("kernel=mixer_layer model=%s batch=%d len=%d precision=%s ms=%.4f per_image_us=%.2f launches=4\n", mdl.name,
                    batch, len, pn, ms, 1000.0 * ms / batch);
        for (float* p : {in_proj, out_proj, xproj}) vim4j_cuda_free(p);
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
    std::printf("kernel=selective_scan_updates model=%s batch=%d len=%d Gupdates_per_s=%.1f\n", mdl.name, batch, len,
                static_cast<double>(rows) * e * n / (ms * 1e-3) / 1e9);
    const vim4j_cuda_rows cx{xz, 2 * e}, co{xcf, e};
    const vim4j_cuda_conv_weights cw{convw, convb, e, k};
    ms = time_ms([&] { ok(vim4j_cuda_conv_silu(&cx, &cw, &co, batch, len, 0, s), "conv"); }, reps);
    report_bw("conv_silu", mdl.name, batch, len, ms, 4.0 * rows * 2.0 * e);
    ms = time_ms([&] { ok(vim4j_cuda_add_rms_norm(res, hidden, normw, h, static_cast<int32_t>(rows), d, 1e-5f, s), "norm"); }, reps);
    report_bw("add_rms_norm", mdl.name, batch, len, ms, 4.0 * rows * 4.0 * d);
    for (float* p : {h, hidden, res, normw, xz, xcf, xcb, xdf, xdb, y, delta, convw, convb, dtproj, dtb, at, dsk})
        vim4j_cuda_free(p);
}


// ---- a whole Vim-Tiny forward through the ABI (D 192, E 384, N 16, R 12, conv 4, 24 layers, patch 16) ----
struct Forward {
    static constexpr int D = 192, E = 384, N = 16, R = 12, K = 4, DEPTH = 24, P = 16, CLASSES = 1000;
    int res, batch, precision, patches, len;
    int64_t rows;
    std::vector<float*> bufs;
    float *images, *cols, *patch_w, *patch_b, *patch_rows, *cls, *pos, *residual, *hidden, *normed, *xz, *xcf, *xcb;
    float *xdf, *xdb, *y, *norm_f, *head_w, *head_b, *logits;
    struct Layer {
        float *norm_w, *in_proj, *out_proj, *conv_w[2], *conv_b[2], *x_proj[2], *dt_proj[2], *dt_bias[2], *a_t[2], *d[2];
    };
    std::vector<Layer> layers;

    float* keep(float* p) {
        bufs.push_back(p);
        return p;
    }
    Forward(int res_, int batch_, int precision_) : res(res_), batch(batch_), precision(precision_) {
        const int grid = res / P;
        patches = grid * grid;
        len = patches + 1;
        rows = static_cast<int64_t>(batch) * len;
        const int xdbl = R + 2 * N;
        images = keep(dev(static_cast<size_t>(batch) * 3 * res * res));
        cols = keep(dev(static_cast<size_t>(batch) * patches * 3 * P * P));
        patch_w = keep(weight(static_cast<size_t>(D) * 3 * P * P, -0.05f, 0.05f, precision));
        patch_b = keep(dev(D));
        patch_rows = keep(dev(static_cast<size_t>(batch) * patches * D));
        cls = keep(dev(D));
        pos = keep(dev(static_cast<size_t>(len) * D, -0.1f, 0.1f));
        residual = keep(dev(rows * D));
        hidden = keep(dev(rows * D));
        normed = keep(dev(rows * D));
        xz = keep(dev(rows * 2 * E));
        xcf = keep(dev(rows * E));
        xcb = keep(dev(rows * E));
        xdf = keep(dev(rows * xdbl));
        xdb = keep(dev(rows * xdbl));
        y = keep(dev(rows * E));
        norm_f = keep(dev(D, 0.5f, 1.5f));
        head_w = keep(weight(static_cast<size_t>(CLASSES) * D, -0.05f, 0.05f, precision));
        head_b = keep(dev(CLASSES));
        logits = keep(dev(static_cast<size_t>(batch) * CLASSES));
        for (int l = 0; l < DEPTH; ++l) {
            Layer ly;
            ly.norm_w = keep(dev(D, 0.5f, 1.5f));
            ly.in_proj = keep(weight(static_cast<size_t>(2) * E * D, -0.07f, 0.07f, precision));
            ly.out_proj = keep(weight(static_cast<size_t>(D) * E, -0.05f, 0.05f, precision));
            for (int dir = 0; dir < 2; ++dir) {
                ly.conv_w[dir] = keep(dev(static_cast<size_t>(E) * K, -0.5f, 0.5f));
                ly.conv_b[dir] = keep(dev(E, -0.1f, 0.1f));
                ly.x_proj[dir] = keep(weight(static_cast<size_t>(xdbl) * E, -0.05f, 0.05f, precision));
                ly.dt_proj[dir] = keep(dev(static_cast<size_t>(E) * R, -0.3f, 0.3f));
                ly.dt_bias[dir] = keep(dev(E, -4.0f, -2.0f));
                ly.a_t[dir] = keep(dev(static_cast<size_t>(N) * E, -8.0f, -1.0f));
                ly.d[dir] = keep(dev(E, 0.5f, 1.5f));
            }
            layers.push_back(ly);
        }
    }
    ~Forward() {
        for (float* p : bufs) vim4j_cuda_free(p);
    }
    // The argument structs, built once like the Java backend does (weights per model, buffers per session).
    static vim4j_cuda_linear_weight linear(const float* w, const float* bias, int32_t n, int32_t k, int32_t precision) {
        vim4j_cuda_linear_weight l{};
        l.weight = w;
        l.bias = bias;
        l.n = n;
        l.k = k;
        l.precision = precision;
        l.layout = VIM4J_CUDA_LAYOUT_ROW_MAJOR;
        return l;
    }
    // 3 + 24 * 5 + 2 launches (the mixer: 4 each).
    void enqueue(void* s) {
        const int32_t r32 = static_cast<int32_t>(rows);
        const int xdbl = R + 2 * N;
        const vim4j_cuda_patch_grid grid{3, res, res, P, P};
        ok(vim4j_cuda_im2col(images, batch, &grid, cols, s), "im2col");
        const vim4j_cuda_linear_weight pw = linear(patch_w, patch_b, D, 3 * P * P, precision);
        ok(vim4j_cuda_linear(cols, 3 * P * P, batch * patches, &pw, patch_rows, D, s), "patch_embed");
        ok(vim4j_cuda_embed_tokens(patch_rows, cls, pos, residual, batch, patches, D, s), "embed_tokens");
        vim4j_cuda_mixer_buffers mb{};
        mb.dims = vim4j_cuda_mixer_dims{D, E, N, R};
        mb.rows = rows;
        mb.normed = normed;
        mb.hidden = hidden;
        mb.xz = xz;
        mb.delta = y;  // unused by the fused layer (dt_proj is folded into the scan)
        mb.y = y;
        mb.xc_f = xcf;
        mb.xc_b = xcb;
        mb.x_dbl_f = xdf;
        mb.x_dbl_b = xdb;
        // dt_proj is read by the scan as fp32 whatever the layer's precision
        const int32_t dt_precision = precision == kBf16 ? VIM4J_CUDA_PRECISION_FP32 : precision;
        for (int l = 0; l < DEPTH; ++l) {
            const Layer& ly = layers[l];
            ok(vim4j_cuda_add_rms_norm(residual, l == 0 ? nullptr : hidden, ly.norm_w, normed, r32, D, 1e-5f, s), "norm");
            vim4j_cuda_mixer_weights mw{};
            mw.in_proj = linear(ly.in_proj, nullptr, 2 * E, D, precision);
            mw.out_proj = linear(ly.out_proj, nullptr, D, E, precision);
            for (int dir = 0; dir < 2; ++dir) {
                vim4j_cuda_branch_weights& bw = dir == 0 ? mw.forward : mw.backward;
                bw.conv = vim4j_cuda_conv_weights{ly.conv_w[dir], ly.conv_b[dir], E, K};
                bw.x_proj = linear(ly.x_proj[dir], nullptr, xdbl, E, precision);
                bw.dt_proj = linear(ly.dt_proj[dir], nullptr, E, R, dt_precision);
                bw.scan = vim4j_cuda_scan_weights{ly.a_t[dir], ly.d[dir], ly.dt_bias[dir], E, N};
            }
            ok(vim4j_cuda_mixer_forward(&mw, &mb, batch, len, s), "mixer");
        }
        ok(vim4j_cuda_add_rms_norm(residual, hidden, norm_f, normed, r32, D, 1e-5f, s), "final norm");
        // the head on the class tokens (row patches / 2 of every image)
        const vim4j_cuda_linear_weight hw = linear(head_w, head_b, CLASSES, D, precision);
        ok(vim4j_cuda_linear(normed + static_cast<int64_t>(patches / 2) * D, static_cast<int64_t>(len) * D, batch, &hw,
                             logits, CLASSES, s),
           "head");
    }
};

int forward_bench(int res, int batch, int32_t precision, int iters) {
    ok(vim4j_cuda_reset_peak(), "reset_peak");
    int64_t free0 = 0, total = 0;
    ok(vim4j_cuda_mem_info(&free0, &total), "mem_info");
    double p50 = 0, best = 0;
    int64_t cur = 0, peak = 0;
    {
        Forward f(res, batch, precision);
        if (g_failed) return 1;
        void* s = g_stream;
        int64_t graph = 0;
        ok(vim4j_cuda_graph_begin(s), "graph_begin");
        f.enqueue(s);
        ok(vim4j_cuda_graph_end(s, &graph), "graph_end");
        if (g_failed) return 1;
        void* g = reinterpret_cast<void*>(static_cast<intptr_t>(graph));
        int64_t e0 = 0, e1 = 0;
        ok(vim4j_cuda_event_create(&e0), "event");
        ok(vim4j_cuda_event_create(&e1), "event");
        void* a = reinterpret_cast<void*>(static_cast<intptr_t>(e0));
        void* b = reinterpret_cast<void*>(static_cast<intptr_t>(e1));
        for (int i = 0; i < 3; ++i) ok(vim4j_cuda_graph_launch(g, s), "graph_launch");
        std::vector<double> t;
        for (int i = 0; i < iters; ++i) {
            ok(vim4j_cuda_event_record(a, s), "record");
            ok(vim4j_cuda_graph_launch(g, s), "graph_launch");
            ok(vim4j_cuda_event_record(b, s), "record");
            float ms = 0;
            ok(vim4j_cuda_event_elapsed(a, b, &ms), "elapsed");
            t.push_back(ms);
        }
        ok(vim4j_cuda_stream_synchronize(s), "sync");
        vim4j_cuda_event_destroy(a);
        vim4j_cuda_event_destroy(b);
        vim4j_cuda_graph_destroy(g);
        std::sort(t.begin(), t.end());
        p50 = t[t.size() / 2];
        best = t[0];
        ok(vim4j_cuda_allocated(&cur, &peak), "allocated");
    }
    if (g_failed) return 1;
    const int len = (res / 16) * (res / 16) + 1;
    std::printf("{\"kind\": \"vim4j_forward\", \"model\": \"vim-tiny\", \"resolution\": %d, \"batch\": %d, \"tokens\": %d, "
                "\"precision\": \"%s\", \"p50_ms\": %.4f, \"min_ms\": %.4f, \"images_per_s\": %.1f, \"peak_MiB\": %.1f, "
                "\"launches_per_layer\": 5}\n",
                res, batch, len, precision_name(precision), p50, best, 1000.0 * batch / p50, peak / 1048576.0);
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const bool forward = argc > 1 && std::strcmp(argv[1], "--forward") == 0;
    if (forward && argc != 6) {
        std::fprintf(stderr, "usage: vim4j_cuda_bench --forward RES BATCH fp32|tf32|bf16 ITERS\n");
        return 2;
    }
    char name[256] = "";
    if (vim4j_cuda_init(0, name, sizeof name) != VIM4J_CUDA_OK) {
        std::printf("vim4j_cuda_bench: skipped: %s\n", vim4j_cuda_last_error());
        return 77;
    }
    std::printf("device=\"%s\"\n", name);
    int64_t st = 0;
    if (!ok(vim4j_cuda_stream_create(&st), "stream")) return 1;
    g_stream = reinterpret_cast<void*>(static_cast<intptr_t>(st));
    if (forward) {
        const int32_t prec = std::strcmp(argv[4], "bf16") == 0   ? kBf16
                             : std::strcmp(argv[4], "tf32") == 0 ? VIM4J_CUDA_PRECISION_TF32
                                                                 : VIM4J_CUDA_PRECISION_FP32;
        return forward_bench(std::atoi(argv[2]), std::atoi(argv[3]), prec, std::atoi(argv[5])) == 0 && !g_failed ? 0 : 1;
    }
    const Model tiny{"tiny", 192}, small{"small", 384}, base{"base", 768};
    const int reps = quick ? 5 : 20;
    for (int batch : {1, 256}) bench(tiny, batch, 197, reps);
    bench(tiny, 1, 6085, reps);  // 1248 x 1248
    if (!quick) {
        bench(tiny, 64, 197, reps);
        for (int batch : {1, 64}) bench(small, batch, 197, reps);
        for (int batch : {1, 64}) bench(base, batch, 197, reps);
    }
    return g_failed ? 1 : 0;
}
